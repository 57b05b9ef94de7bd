"""The headless commands, run as a user would run them: in a real process, with no display."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.visit.workspaces import open_workspace, workspace_path
from sync.kit_model import StandardsSetInfo, VisitDetails
from sync.standards_import import import_standards
from tests.sync import standards_fixtures as fx

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWER_APP_HOME": str(home)}
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)  # headless commands must not need Qt at all
    proc = subprocess.run(  # noqa: PLW1510 (callers check the exit code themselves)
        [sys.executable, "-m", "reviewer_app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def tree(folder: Path) -> dict[str, str]:
    """Every file under folder with its SHA-256: what "unchanged" means.

    The log folder is left out on purpose: it records why a kit was refused.
    """
    if not folder.exists():
        return {}
    return {
        rel: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        for p in sorted(folder.rglob("*"))
        if not (rel := p.relative_to(folder).as_posix()).startswith("logs")
    }


@pytest.fixture(scope="module")
def demo_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kits")
    kit = folder / "demo.rvkit"
    run("demo", "kit", "-o", str(kit), home=folder / "home")
    return kit


def test_version_prints_without_a_display(app_home: Path) -> None:
    proc = run("--version", home=app_home)
    assert proc.stdout.startswith("reviewer-app ")


def test_demo_kit_verifies_only_in_demo_mode(demo_kit: Path, app_home: Path) -> None:
    good = run("--demo", "kit", "verify", str(demo_kit), home=app_home)
    assert good.stdout.startswith("OK ")
    assert len(good.stdout.strip().splitlines()) == 1
    refused = run("kit", "verify", str(demo_kit), home=app_home, check=False)
    assert refused.returncode == 2
    assert "trust" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_visit_open_prints_the_visit_id_last_and_reopens(demo_kit: Path, app_home: Path) -> None:
    visit = json.loads((DEMO_DIR / "visit.json").read_text(encoding="utf-8"))
    lead = next(m["member_id"] for m in visit["team"] if m["lead"])
    first = run("visit", "open", str(demo_kit), "--as", lead, "--demo", home=app_home)
    assert first.stdout.strip().splitlines()[-1] == visit["visit_id"]
    workspace = app_home / "data" / "visits" / visit["visit_id"] / "workspace.sqlite"
    assert workspace.is_file()
    again = run("visit", "open", str(demo_kit), "--as", lead, "--demo", home=app_home)
    assert again.stdout.strip().splitlines()[-1] == visit["visit_id"]
    listed = run("visit", "list", home=app_home)
    assert visit["visit_id"] in listed.stdout


def test_visit_open_refuses_someone_not_on_the_team(demo_kit: Path, app_home: Path) -> None:
    proc = run(
        "visit", "open", str(demo_kit), "--as", "nobody", "--demo", home=app_home, check=False
    )
    assert proc.returncode == 2
    assert "not on this visit's team" in proc.stderr


def _tampered(kit: Path, out: Path) -> Path:
    """The same kit with one byte of standards.json changed (its hash in the manifest now lies)."""
    with zipfile.ZipFile(kit) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "standards.json":
                data = data.replace(b"Staffing", b"Stuffing", 1)
            dst.writestr(info, data)
    return out


def test_a_refused_kit_changes_nothing(demo_kit: Path, app_home: Path, tmp_path: Path) -> None:
    visit = json.loads((DEMO_DIR / "visit.json").read_text(encoding="utf-8"))
    lead = next(m["member_id"] for m in visit["team"] if m["lead"])
    run("visit", "open", str(demo_kit), "--as", lead, "--demo", home=app_home)
    before = tree(app_home)
    bad_inputs = {
        "tampered.rvkit": _tampered(demo_kit, tmp_path / "tampered.rvkit"),
        "random.rvkit": tmp_path / "random.rvkit",
        "truncated.rvkit": tmp_path / "truncated.rvkit",
    }
    bad_inputs["random.rvkit"].write_bytes(os.urandom(5000))
    bad_inputs["truncated.rvkit"].write_bytes(demo_kit.read_bytes()[:-4000])
    for name, kit in bad_inputs.items():
        proc = run("visit", "open", str(kit), "--as", lead, "--demo", home=app_home, check=False)
        assert proc.returncode == 2, name
        assert "Traceback" not in proc.stderr, name
        assert len(proc.stderr.strip().splitlines()) == 1, (name, proc.stderr)
    assert tree(app_home) == before


def test_keys_generate_trust_list_and_build(app_home: Path, tmp_path: Path) -> None:
    key = tmp_path / "staff.key"
    out = run("keys", "generate", "--out", str(key), home=app_home)
    assert key.is_file() and (tmp_path / "staff.key.pub").is_file()
    kid = out.stdout.strip().split()[-1]
    assert (
        run("keys", "list", home=app_home).stdout.strip() == ""
        or kid not in run("keys", "list", home=app_home).stdout
    )
    run("keys", "trust", str(tmp_path / "staff.key.pub"), home=app_home)
    assert kid in run("keys", "list", home=app_home).stdout
    kit = tmp_path / "visit.rvkit"
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_DIR / "evidence", evidence)
    run(
        "kit",
        "build",
        "--standards",
        str(DEMO_DIR / "standards.csv"),
        "--visit",
        str(DEMO_DIR / "visit.json"),
        "--self-assessment",
        str(DEMO_DIR / "self_assessment.json"),
        "--evidence",
        str(evidence),
        "--key",
        str(key),
        "-o",
        str(kit),
        home=app_home,
    )
    verified = run("kit", "verify", str(kit), home=app_home)
    assert kid in verified.stdout
    assert "keys generate" not in verified.stderr


def test_keys_generate_never_overwrites(app_home: Path, tmp_path: Path) -> None:
    key = tmp_path / "k"
    run("keys", "generate", "--out", str(key), home=app_home)
    before = key.read_bytes()
    proc = run("keys", "generate", "--out", str(key), home=app_home, check=False)
    assert proc.returncode == 2
    assert key.read_bytes() == before


def test_kit_build_reports_a_bad_standards_row(app_home: Path, tmp_path: Path) -> None:
    key = tmp_path / "k"
    run("keys", "generate", "--out", str(key), home=app_home)
    csv = tmp_path / "standards.csv"
    csv.write_text(
        "Ref,Section,Title,Requirement\nHN-101,Staffing,Lead,A lead\nHN-101,Staffing,Dup,Again\n",
        encoding="utf-8",
    )
    proc = run(
        "kit",
        "build",
        "--standards",
        str(csv),
        "--visit",
        str(DEMO_DIR / "visit.json"),
        "--key",
        str(key),
        "-o",
        str(tmp_path / "x.rvkit"),
        home=app_home,
        check=False,
    )
    assert proc.returncode == 2
    assert "row 3" in proc.stderr and "HN-101" in proc.stderr
    assert not (tmp_path / "x.rvkit").exists()


NAMED = ["--standards-title", fx.TITLE, "--standards-version", "V4", "--standards-date", "Oct 2018"]


@pytest.mark.parametrize(
    ("writer", "options", "named"),
    [
        (
            fx.write_cp1252_csv,
            NAMED,
            StandardsSetInfo(
                "quality-standards-for-health-services-caring-for-people-with-haemoglobin-"
                "disorders",
                fx.TITLE,
                "V4",
                "Oct 2018",
            ),
        ),
        (fx.write_xlsx, [], StandardsSetInfo("hn", "hn", "1")),
    ],
    ids=["windows-1252-csv", "xlsx"],
)
def test_kit_build_of_a_published_set_leaves_out_levels_not_reviewed_and_opens(
    app_home: Path,
    tmp_path: Path,
    writer: Callable[[Path], Path],
    options: list[str],
    named: StandardsSetInfo,
) -> None:
    key = tmp_path / "staff.key"
    run("keys", "generate", "--out", str(key), home=app_home)
    run("keys", "trust", f"{key}.pub", home=app_home)
    standards = writer(tmp_path / ("hn.csv" if writer is fx.write_cp1252_csv else "hn.xlsx"))
    kit = tmp_path / "hn.rvkit"
    args = ["--standards", str(standards), "--visit", str(fx.write_visit(tmp_path / "visit.json"))]

    built = run("kit", "build", *args, *options, "--key", str(key), "-o", str(kit), home=app_home)

    expected = import_standards(standards, set_info=named, visit=VisitDetails.from_dict(fx.VISIT))
    assert built.stderr.splitlines() == [f"warning: {w}" for w in expected.warnings]
    assert "HN-201" in built.stderr and "Network" in built.stderr
    assert f"{len(fx.KEPT)} standards of {named.title} (version {named.version}" in built.stdout
    opened = run("visit", "open", str(kit), "--as", "m-lead", home=app_home)
    assert opened.stdout.strip().splitlines()[-1] == fx.VISIT["visit_id"]

    paths = AppPaths.from_environment()
    with open_workspace(paths, workspace_path(paths, str(fx.VISIT["visit_id"]))) as ws:
        stored = {s["ref"]: s for s in ws.standards()}
        info = ws.kit_info()
    assert info is not None
    assert json.loads(info["manifest_json"])["standards_set"] == named.to_dict()
    assert tuple(stored) == fx.KEPT
    every = ["SHT", "LHT"]
    for s in expected.standards.standards:
        want = {**s.to_dict(), "applies_to": list(s.applies_to) or every, "order": s.order - 1}
        assert {k: stored[s.ref][k] for k in want} == want, s.ref
    assert stored["HN-101"]["evidence_expected"] == "Written information for patients and carers"
    assert stored["HN-101"]["notes"][0] == {
        "name": "Notes",
        "value": "Information should be available in other languages – see HN-102.",
    }
    assert [p["label"] for p in stored["HN-102"]["parts"]] == ["a", "a.i", "a.ii", "b", "c"]
    assert "Specialist nurse\t2.0\t\n" in stored["HN-104"]["requirement"]
    assert stored["HN-107"]["requirement"] == fx.CHARACTERS


@pytest.mark.parametrize(
    "argv",
    [["--demo"], ["--kit", "visit.rvkit"], ["--visit", "v-1", "--demo"], ["--kit=visit.rvkit"]],
)
def test_opening_the_window_parses_as_the_whole_command_line_does(argv: list[str]) -> None:
    from reviewer_app.app.cli import _window_only, build_parser

    assert _window_only(argv)  # the sub-commands are left out of the parser: it starts sooner
    short = vars(build_parser(commands=False).parse_args(argv))
    whole = vars(build_parser().parse_args(argv))
    assert short == {k: v for k, v in whole.items() if k != "command"}


@pytest.mark.parametrize("argv", [["--help"], ["sync", "--json"], ["--demo", "staff"], ["bogus"]])
def test_a_sub_command_or_help_gets_the_whole_command_line(argv: list[str]) -> None:
    from reviewer_app.app.cli import _window_only

    assert not _window_only(argv)


def test_an_unknown_command_is_still_named_as_such(tmp_path: Path) -> None:
    proc = run("bogus", home=tmp_path, check=False)
    assert proc.returncode == 2 and "invalid choice: 'bogus'" in proc.stderr


def test_a_headless_command_keeps_the_garbage_collector(tmp_path: Path) -> None:
    """Only the window's start turns Python's cycle collector off (until the window shows):
    a headless command (merging many bundles, a report) keeps it, and its memory with it.
    (In a process of its own: ``cli.run`` ends the process after a window.)"""
    code = (
        "import gc, sys\n"
        "from reviewer_app.app import cli\n"
        "sys.argv = ['reviewer-app', 'visit', 'list']\n"
        "try:\n"
        "    cli.run()\n"
        "except SystemExit as ended:\n"
        "    print(ended.code, gc.isenabled())\n"
    )
    env = {**os.environ, "REVIEWER_APP_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout.strip().splitlines()[-1] == "0 True", proc.stderr
