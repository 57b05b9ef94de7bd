"""Building a kit from a plan: pre-flight, keys, the kit a reviewer opens, and re-issuing."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keyring
import keyring.errors
import pytest

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.demo.kits import demo_self_assessment, demo_visit
from reviewer_app.staff import build, library, provider
from reviewer_app.staff.planner import VisitPlan
from reviewer_app.visit.kit_changes import take_pending
from reviewer_app.visit.workspaces import open_kit, open_session, open_workspace, workspace_path
from sync.keys import KeyFileError, generate_key
from sync.kit_model import StandardsSet

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    out = tmp_path / "keys" / "org_key"
    generate_key(out, PASSPHRASE.encode())
    return out


@pytest.fixture
def standards() -> StandardsSet:
    result = library.preview(DEMO_DIR / "standards.csv")
    assert result.standards is not None
    return result.standards


def demo_plan() -> VisitPlan:
    plan = VisitPlan.from_visit(demo_visit())
    provider.add_evidence_folder(plan, DEMO_DIR / "evidence")
    plan.self_assessment = list(demo_self_assessment())
    return plan


def test_preflight_of_an_empty_plan_says_what_to_do() -> None:
    checks = build.preflight(VisitPlan.new(), None)
    assert [c.severity for c in checks] == ["error"] * 6
    assert "The team is empty: add reviewers from the pool under Team." in [
        c.message for c in checks
    ]


def test_preflight_warns_and_errors(tmp_path: Path, standards: StandardsSet) -> None:
    plan = demo_plan()
    assert build.preflight(plan, standards) == []
    plan.set_exception("HN-101", [])
    plan.team[0].lead = False
    gone = tmp_path / "gone.pdf"
    gone.write_bytes(b"x")
    provider.add_evidence_files(plan, [gone])
    gone.unlink()
    plan.timetable[2] = replace(plan.timetable[2], location=plan.timetable[3].location)
    messages = [(c.severity, c.message) for c in build.preflight(plan, standards)]
    assert messages[0] == ("error", "The team has no lead: choose one under Team.")
    assert messages[1][0] == "error" and "gone.pdf is missing" in messages[1][1]
    assert messages[2][0] == "warning" and messages[2][1].startswith("Timetable clash:")
    assert messages[3] == (
        "warning",
        "1 standards apply to no component and will be left out: HN-101.",
    )
    with pytest.raises(UserError, match="no lead"):
        build.build_plan_kit(plan, standards, tmp_path / "x.rvkit", object())  # type: ignore[arg-type]
    assert not (tmp_path / "x.rvkit").exists()


def test_wrong_passphrase_is_a_clear_message(key_file: Path) -> None:
    assert build.key_file_is_protected(key_file)
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        build.load_key_file(key_file, "wrong")


def test_keyring_keeps_the_key(key_file: Path) -> None:
    key = build.load_key_file(key_file, PASSPHRASE)
    kid = build.save_key_to_keyring(key)
    again = build.load_key_from_keyring()
    from sync.keys import key_id

    assert key_id(again.public_key()) == kid


def test_no_keyring_is_said_politely(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    def fail(*_args: object) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "get_password", fail)
    monkeypatch.setattr(keyring, "set_password", fail)
    with pytest.raises(build.KeyringUnavailable, match="sign with the key file instead"):
        build.load_key_from_keyring()
    with pytest.raises(build.KeyringUnavailable, match="no keyring"):
        build.save_key_to_keyring(build.load_key_file(key_file, PASSPHRASE))


def test_empty_keyring_points_to_the_key_file() -> None:
    with pytest.raises(build.KeyringUnavailable, match="choose the key file"):
        build.load_key_from_keyring()


def verify_cli(kit: Path, key_file: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "reviewer_app"]
    subprocess.run(
        [*cmd, "keys", "trust", f"{key_file}.pub"], env=env, check=True, capture_output=True
    )
    return subprocess.run(
        [*cmd, "kit", "verify", str(kit)], check=False, env=env, capture_output=True, text=True
    )


def test_reissued_kit_keeps_work_and_reports_changes(
    tmp_path: Path, key_file: Path, standards: StandardsSet
) -> None:
    plan = demo_plan()
    key = build.load_key_file(key_file, PASSPHRASE)
    first = build.build_plan_kit(plan, standards, tmp_path / "v1.rvkit", key)
    result = verify_cli(tmp_path / "v1.rvkit", key_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK {tmp_path / 'v1.rvkit'}: kit {first.kit_id}")

    paths = AppPaths.from_environment()
    opened = open_kit(tmp_path / "v1.rvkit", "m-cns", paths=paths)
    assert opened.changes is None and not opened.reissued
    session = open_session(paths, opened.visit_id).result(timeout=30)
    session.set_judgement("HN-102", "shc", "met").result(timeout=10)
    session.add_note("HN-102", "Leaflet seen in clinic").result(timeout=10)
    session.close()

    # Staff reword HN-101, drop HN-103, move the patients' meeting and build again.
    reworded = tuple(
        replace(s, requirement=s.requirement + " Reviewed yearly.") if s.ref == "HN-101" else s
        for s in standards.standards
        if s.ref != "HN-103"
    )
    plan.timetable[4] = replace(plan.timetable[4], start="11:30", end="12:30")
    plan.self_assessment = [e for e in plan.self_assessment if e.ref != "HN-103"]
    second = build.build_plan_kit(
        plan, replace(standards, standards=reworded), tmp_path / "v2.rvkit", key
    )
    assert second.visit_id == first.visit_id and second.kit_id != first.kit_id

    again = open_kit(tmp_path / "v2.rvkit", "m-cns", paths=paths)
    assert again.reissued and again.changes is not None
    assert again.changes.standards_removed == ("HN-103 Individual care plan",)
    assert [line.split(" ")[0] for line in again.changes.standards_reworded] == ["HN-101"]
    assert again.changes.sessions_changed == (
        "2026-12-03 11:30-12:30 Meeting with patients and carers: moved from 2026-12-03 "
        "11:15-12:15",
    )
    session = open_session(paths, again.visit_id).result(timeout=30)
    try:
        assert session.data.judgement("HN-102", "shc").value == "met"
        assert [n.text for n in session.data.notes_for("HN-102")] == ["Leaflet seen in clinic"]
        assert "HN-103" not in {s.ref for s in session.data.standards}
        pending = session.worker.submit(take_pending).result(timeout=10)
        assert pending == again.changes
        assert session.worker.submit(take_pending).result(timeout=10) is None  # shown once
    finally:
        session.close()
    with open_workspace(paths, workspace_path(paths, again.visit_id)) as ws:
        assert ws.kit_info()["kit_id"] == second.kit_id  # type: ignore[index]
