"""A real full disk under the command line (issue 13, item 4): a small tmpfs mounted for the
test (root only; skipped with the reason where mounting is not allowed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.reviewer_app.test_cli import run

SENTENCE = "nothing you saved is lost. Free some space and go on."


def test_a_report_onto_a_full_disk_says_so_and_leaves_nothing_behind(
    app_home: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("8k")
    made = run("demo", "visit", "--photos", "2", home=app_home)
    visit_id = made.stdout.strip().splitlines()[-1]
    out = disk / "report.pdf"

    proc = run("report", "--visit", visit_id, "-o", str(out), home=app_home, check=False)

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (" in proc.stderr and SENTENCE in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(disk.iterdir()) == []  # no half-written report, no temporary file


def test_a_bundle_onto_a_full_stick_is_refused_before_it_starts(
    app_home: Path, small_disk: Callable[[str], Path], demo_kit_file: Path
) -> None:
    stick = small_disk("8k")
    opened = run("visit", "open", str(demo_kit_file), "--as", "m-cns", "--demo", home=app_home)
    visit_id = opened.stdout.strip().splitlines()[-1]

    proc = run(
        "bundle", "export", "--visit", visit_id, "-o", str(stick), home=app_home, check=False
    )

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (0 MB free)" in proc.stderr and SENTENCE in proc.stderr
    assert list(stick.iterdir()) == []


def test_opening_a_kit_on_a_full_disk_is_refused_and_leaves_nothing(
    small_disk: Callable[[str], Path], demo_kit_file: Path
) -> None:
    home = small_disk("8k") / "home"  # the laptop's user folders, on the full disk
    proc = run("visit", "open", str(demo_kit_file), "--as", "m-cns", "--demo", home=home,
               check=False)  # fmt: skip

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (" in proc.stderr and SENTENCE in proc.stderr
    assert not list((home / "data").glob("visits/*/workspace.sqlite"))
    assert not list((home / "data").glob("staging/*"))
