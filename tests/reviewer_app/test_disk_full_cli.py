"""A real full disk under the command line (issue 13, item 4): a small tmpfs mounted for the
test (root only; skipped with the reason where mounting is not allowed)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reviewer_app.test_cli import run

SENTENCE = "nothing you saved is lost. Free some space and go on."


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 KB file system, as full as a laptop at the end of a long visit."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or 'not root'}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_report_onto_a_full_disk_says_so_and_leaves_nothing_behind(
    app_home: Path, small_disk: Path
) -> None:
    made = run("demo", "visit", "--photos", "2", home=app_home)
    visit_id = made.stdout.strip().splitlines()[-1]
    out = small_disk / "report.pdf"

    proc = run("report", "--visit", visit_id, "-o", str(out), home=app_home, check=False)

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (" in proc.stderr and SENTENCE in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(small_disk.iterdir()) == []  # no half-written report, no temporary file


def test_a_bundle_onto_a_full_stick_is_refused_before_it_starts(
    app_home: Path, small_disk: Path, demo_kit_file: Path
) -> None:
    opened = run("visit", "open", str(demo_kit_file), "--as", "m-cns", "--demo", home=app_home)
    visit_id = opened.stdout.strip().splitlines()[-1]

    proc = run(
        "bundle", "export", "--visit", visit_id, "-o", str(small_disk), home=app_home, check=False
    )

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (0 MB free)" in proc.stderr and SENTENCE in proc.stderr
    assert list(small_disk.iterdir()) == []


def test_opening_a_kit_on_a_full_disk_is_refused_and_leaves_nothing(
    small_disk: Path, demo_kit_file: Path
) -> None:
    home = small_disk / "home"  # the laptop's user folders, on the full disk
    proc = run("visit", "open", str(demo_kit_file), "--as", "m-cns", "--demo", home=home,
               check=False)  # fmt: skip

    assert proc.returncode == 2, proc.stderr
    assert "The disk is full (" in proc.stderr and SENTENCE in proc.stderr
    assert not list((home / "data").glob("visits/*/workspace.sqlite"))
    assert not list((home / "data").glob("staging/*"))
