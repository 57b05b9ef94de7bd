"""Pooling a team's work through bundles, as the lead and a reviewer would: two laptops (two
REVIEWER_APP_HOMEs, so two device ids) with the demo visit, the receipts, the history, the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from reviewer_app.app.device import device_id
from reviewer_app.app.paths import AppPaths
from reviewer_app.team.bundles import (
    NOTE_ALREADY,
    NOTE_OLDER,
    export_visit_bundle,
    import_history,
    import_visit_bundles,
)
from reviewer_app.visit.model import (
    JUDGEMENT,
    NOTE,
    PHOTO,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import Workspace
from tests.keys import app_key

ROOT = Path(__file__).resolve().parents[2]
VISIT = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"


def laptop(home: Path, kit: Path, member_id: str) -> AppPaths:
    paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
    assert open_kit(kit, member_id, paths=paths, demo=True).visit_id == VISIT
    return paths


def workspace(paths: AppPaths) -> Workspace:
    return open_workspace(paths, workspace_path(paths, VISIT))


def state(paths: AppPaths) -> tuple[bytes, int]:
    with workspace(paths) as ws:
        return ws.canonical_state(), ws.op_count()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 60)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def lead(tmp_path: Path, demo_kit_file: Path) -> AppPaths:
    return laptop(tmp_path / "lead", demo_kit_file, "m-lead")


@pytest.fixture
def cns(tmp_path: Path, demo_kit_file: Path) -> AppPaths:
    return laptop(tmp_path / "cns", demo_kit_file, "m-cns")


def judge(paths: AppPaths, member: str, value: str, ref: str = "HN-101") -> None:
    with workspace(paths) as ws:
        ws.record(member, JUDGEMENT, judgement_id(ref, "shc", member), {"value": value})


def test_a_reviewers_work_arrives_at_the_leads(lead: AppPaths, cns: AppPaths, tmp_path: Path):
    with workspace(cns) as ws:
        ws.record(
            "m-cns",
            JUDGEMENT,
            judgement_id("HN-101", "shc", "m-cns"),
            {"value": "not_met", "reason": "No job plan"},
        )
        ws.record("m-cns", NOTE, "n1", {"ref": "HN-101", "text": "Rota?", "author": "m-cns"})
        sha = ws.blobs.add_photo(jpeg())
        ws.record("m-cns", PHOTO, "p1", {"ref": "HN-101", "sha256": sha, "author": "m-cns"})
        photo = ws.blobs.read_bytes(sha)
        sent = ws.op_count()
    judge(lead, "m-lead", "met")

    file = export_visit_bundle(cns, VISIT, tmp_path)
    assert re.fullmatch(r"visit-7c1e5a52-member-2-\d{8}-\d{4}\.rvbundle", file.name)
    [receipt] = import_visit_bundles(lead, VISIT, [file])

    assert receipt.ok and receipt.new == sent and receipt.known == 0 and not receipt.refused
    assert (receipt.member_id, receipt.member_name) == ("m-cns", "Siobhán O'Brien")
    assert receipt.disagreements == 1  # Met (lead) against Not met (reviewer)
    with workspace(lead) as ws:
        assert ws.entity(JUDGEMENT, judgement_id("HN-101", "shc", "m-cns")) == {
            "value": "not_met",
            "reason": "No job plan",
        }
        assert ws.entity(NOTE, "n1")["text"] == "Rota?"  # type: ignore[index]
        assert ws.blobs.read_bytes(sha) == photo
    assert import_history(lead, VISIT) == [receipt.to_dict()]


def test_importing_a_bundle_twice_changes_nothing(lead: AppPaths, cns: AppPaths, tmp_path: Path):
    judge(cns, "m-cns", "met")
    file = export_visit_bundle(cns, VISIT, tmp_path / "cns.rvbundle")
    import_visit_bundles(lead, VISIT, [file])
    before = state(lead)

    [again] = import_visit_bundles(lead, VISIT, [file])

    assert (again.new, again.known, again.note) == (0, state(cns)[1], NOTE_ALREADY)
    assert state(lead) == before
    assert [r["note"] for r in import_history(lead, VISIT)] == ["", NOTE_ALREADY]


def test_an_older_bundle_after_a_newer_one_loses_nothing(
    lead: AppPaths, cns: AppPaths, tmp_path: Path
):
    judge(cns, "m-cns", "met")
    older = export_visit_bundle(cns, VISIT, tmp_path / "older.rvbundle")
    judge(cns, "m-cns", "not_met")
    judge(cns, "m-cns", "met", ref="HN-102")
    newer = export_visit_bundle(cns, VISIT, tmp_path / "newer.rvbundle")

    first, second = import_visit_bundles(lead, VISIT, [newer, older])

    assert first.new == 3 and second.new == 0 and second.note == NOTE_OLDER
    with workspace(lead) as ws:
        assert ws.field(JUDGEMENT, judgement_id("HN-101", "shc", "m-cns"), "value") == "not_met"
        assert ws.op_count() == 3


def test_a_team_judgement_by_a_non_lead_is_refused_and_the_rest_imported(
    lead: AppPaths, cns: AppPaths, tmp_path: Path
):
    tj = team_judgement_id("HN-101", "shc")
    with workspace(cns) as ws:
        ws.record("m-cns", TEAM_JUDGEMENT, tj, {"value": "met", "rationale": "I decided"})
    judge(cns, "m-cns", "met")
    file = export_visit_bundle(cns, VISIT, tmp_path / "cns.rvbundle")

    [receipt] = import_visit_bundles(lead, VISIT, [file])

    assert receipt.ok and receipt.new == 1
    assert {(r["entity"], r["entity_id"], r["member_id"]) for r in receipt.refused} == {
        (TEAM_JUDGEMENT, tj, "m-cns")
    }
    assert all(
        r["reason"] == "only the lead reviewer, Dr Zoë Hartley, sets the team judgement"
        for r in receipt.refused
    )
    with workspace(lead) as ws:
        assert ws.entities(TEAM_JUDGEMENT) == {}
        assert ws.field(JUDGEMENT, judgement_id("HN-101", "shc", "m-cns"), "value") == "met"


def test_the_leads_team_judgement_reaches_the_reviewer(
    lead: AppPaths, cns: AppPaths, tmp_path: Path
):
    tj = team_judgement_id("HN-101", "shc")
    with workspace(lead) as ws:
        ws.record("m-lead", TEAM_JUDGEMENT, tj, {"value": "not_met", "rationale": "Agreed"})
    file = export_visit_bundle(lead, VISIT, tmp_path / "lead.rvbundle")
    [receipt] = import_visit_bundles(cns, VISIT, [file])
    assert receipt.new == 2 and not receipt.refused
    with workspace(cns) as ws:
        assert ws.entity(TEAM_JUDGEMENT, tj) == {"value": "not_met", "rationale": "Agreed"}


def test_a_refused_file_leaves_the_visit_unchanged_and_says_why(
    lead: AppPaths, cns: AppPaths, tmp_path: Path
):
    judge(cns, "m-cns", "met")
    good = export_visit_bundle(cns, VISIT, tmp_path / "cns.rvbundle")
    with zipfile.ZipFile(good) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["manifest.hmac"] = b"0" * 64
    forged = tmp_path / "forged.rvbundle"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    before = state(lead)

    bad, ok = import_visit_bundles(lead, VISIT, [forged, good])

    assert bad.refused_reason == "bad_hmac" and "team key" in bad.refused_file
    assert bad.new == 0 and ok.new == 1
    assert state(lead) != before  # the good file, after the bad one, was still imported
    assert not (lead.data / "staging").exists()


def test_an_unknown_visit_is_a_user_error(lead: AppPaths, tmp_path: Path) -> None:
    from reviewer_app.app.errors import is_user_error

    with pytest.raises(Exception) as raised:
        export_visit_bundle(lead, "no-such-visit", tmp_path)
    assert is_user_error(raised.value) and "no-such-visit" in str(raised.value)


# -- the command line ----------------------------------------------------------------------------


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWER_APP_HOME": str(home)}
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(  # noqa: PLW1510 (the tests check the exit code)
        [sys.executable, "-m", "reviewer_app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.usefixtures("wrapped_keys")  # the commands' processes unwrap the visits' keys
def test_bundle_export_and_import_on_the_command_line(tmp_path: Path, demo_kit_file: Path) -> None:
    lead_home, cns_home = tmp_path / "lead", tmp_path / "cns"
    laptop(lead_home, demo_kit_file, "m-lead")
    cns = laptop(cns_home, demo_kit_file, "m-cns")
    judge(cns, "m-cns", "not_met")
    out = tmp_path / "out"
    out.mkdir()

    exported = run("bundle", "export", "--visit", VISIT, "-o", str(out), home=cns_home)
    assert exported.returncode == 0, exported.stderr
    file = Path(exported.stdout.strip().splitlines()[-1])
    assert file.parent == out and file.suffix == ".rvbundle" and file.is_file()

    imported = run("bundle", "import", str(file), "--visit", VISIT, "--json", home=lead_home)
    assert imported.returncode == 0, imported.stderr
    [receipt] = json.loads(imported.stdout)
    assert receipt["new"] == 1 and receipt["known"] == 0 and receipt["member_id"] == "m-cns"
    assert receipt["refused"] == [] and receipt["refused_file"] == ""

    junk = tmp_path / "junk.rvbundle"
    junk.write_bytes(os.urandom(2000))
    mixed = run(
        "bundle", "import", str(file), str(junk), "--visit", VISIT, "--json", home=lead_home
    )
    assert mixed.returncode == 2
    known, refused = json.loads(mixed.stdout)
    assert known["new"] == 0 and known["note"] == NOTE_ALREADY
    assert refused["refused_reason"] == "not_zip"
    assert "junk.rvbundle is not a team bundle" in mixed.stderr
    assert "Traceback" not in mixed.stderr

    text = run("bundle", "import", str(file), "--visit", VISIT, home=lead_home)
    assert text.returncode == 0 and "0 new, 1 already known" in text.stdout


def test_a_backup_is_taken_before_an_import(lead: AppPaths, cns: AppPaths, tmp_path: Path):
    """Issue 13: should an import be regretted, the visit as it was is there to go back to."""
    from reviewer_app.team.bundles import import_into_workspace
    from storage.workspace import backup_made

    def backups() -> list[Path]:  # looked at without the open-time backup
        path = workspace_path(lead, VISIT)
        with Workspace.open(path, key=app_key(path), device_id=device_id(lead), backup=False) as ws:
            return ws.backups()

    judge(lead, "m-lead", "met", "HN-102")  # the lead's own work since the last backup
    file = export_visit_bundle(cns, VISIT, tmp_path / "cns.rvbundle")
    before = backups()
    path = workspace_path(lead, VISIT)  # as the window has it: open since the morning
    with Workspace.open(path, key=app_key(path), device_id=device_id(lead), backup=False) as ws:
        import_into_workspace(ws, [file], tmp_path / "staging")
    made = [b for b in backups() if b not in before]
    assert [backup_made(b)[1] for b in made] == ["import"]
