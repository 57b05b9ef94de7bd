"""``reviewer-app finalise``, run as a lead would run it: in a real process, with no display.

It makes the window's checks (completeness gaps, unconfirmed possible personal data), lists what
stands in the way (one line each, or JSON) with exit 2, and on sign-off prints the new version,
its snapshot id and content hash. Only the workspace's member who is the lead may finalise.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.kill_finalise import inspect, paths_for
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead.finalise import completeness, privacy_id
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.lead.view import CONFIRMED_KEY
from reviewer_app.visit.model import TEAM_JUDGEMENT, team_judgement_id
from reviewer_app.visit.read_model import read_visit_data
from reviewer_app.visit.workspaces import open_workspace, workspace_path

ROOT = Path(__file__).resolve().parents[2]
LEAD = "Dr Zoë Hartley"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWER_APP_HOME": str(home)}
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)  # headless: no Qt at all
    env.pop("REVIEWER_APP_TEST_PAUSE", None)
    return subprocess.run(  # noqa: PLW1510 (the tests check the exit code)
        [sys.executable, "-m", "reviewer_app", "finalise", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )


def one_sentence(stderr: str) -> str:
    """The whole of stderr, which must be one line of ours (never a traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("reviewer-app: "), stderr
    return lines[0].removeprefix("reviewer-app: ")


@pytest.fixture
def visit(app_home: Path, wrapped_keys: object) -> str:
    """A worked demo visit with its three gaps and one possible phone number still open (its
    key wrapped in a file: the commands' processes unwrap it)."""
    return create_demo_visit(paths_for(app_home), DemoVisitOptions(photos=1))


def settle(home: Path, visit_id: str) -> str:
    """Record a team judgement for every gap, as the lead; the privacy hit's id."""
    with open_workspace(paths_for(home), workspace_path(paths_for(home), visit_id)) as ws:
        data = read_visit_data(ws)
        assert data.visit.lead is not None
        for gap in completeness(data):
            tid = team_judgement_id(gap.ref, gap.component)
            ws.record(data.visit.lead.member_id, TEAM_JUDGEMENT, tid, {"value": "met"})
        [hit] = privacy_hits(read_visit_data(ws))
    return privacy_id(hit)


def test_gaps_and_privacy_hits_are_listed_one_a_line_exit_2(app_home: Path, visit: str) -> None:
    for args in ((), ("--sign-off",)):
        proc = run(app_home, "--visit", visit, *args)
        assert proc.returncode == 2
        lines = proc.stdout.splitlines()
        assert [line.split(":")[0] for line in lines[:3]] == ["gap"] * 3
        assert lines[0].startswith("gap: HN-204 Specialist nursing (Specialist Haemoglobinopathy")
        assert re.fullmatch(r"privacy [0-9a-f]{10}: Finding 1 \(Good practice\), .*", lines[3])
        assert len(lines) == 4
        assert one_sentence(proc.stderr) == (
            "Not finalised: 3 thing(s) to finish and 1 possible piece(s) of personal data to "
            "edit, or to confirm (--confirm-privacy ID) if not patient-identifying."
        )
    assert inspect(app_home, visit).versions == []  # --sign-off changed nothing


def test_json_lists_them_as_one_object(app_home: Path, visit: str) -> None:
    proc = run(app_home, "--visit", visit, "--sign-off", "--json")
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["status"] == "refused" and out["message"].startswith("Not finalised: 3 thing(s)")
    assert [(g["kind"], g["ref"], g["component"]) for g in out["gaps"]] == [
        ("standard", "HN-204", "shc"),
        ("standard", "HN-305", "shc"),
        ("standard", "HN-404", "shc"),
    ]
    [hit] = out["privacy"]
    assert (hit["kind"], hit["match"]) == ("phone", "0121 496 0000")
    assert re.fullmatch(r"[0-9a-f]{10}", hit["id"]) and json.loads(hit["key"])[0] == "finding"


def test_sign_off_prints_the_version_then_nothing_changed(app_home: Path, visit: str) -> None:
    hit = settle(app_home, visit)
    proc = run(app_home, "--visit", visit, "--confirm-privacy", hit)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_sentence(proc.stderr) == (
        f"Ready to finalise; run again with --sign-off to sign off as {LEAD}."
    )
    with open_workspace(paths_for(app_home), workspace_path(paths_for(app_home), visit)) as ws:
        assert len(ws.get_local(CONFIRMED_KEY)) == 1  # type: ignore[arg-type]  # kept, as a tick

    proc = run(app_home, "--visit", visit, "--sign-off")
    assert proc.returncode == 0, proc.stderr
    [(version, snapshot_id)] = inspect(app_home, visit).versions
    with open_workspace(paths_for(app_home), workspace_path(paths_for(app_home), visit)) as ws:
        sha = ws.snapshots()[0].content_sha256
    assert proc.stdout.splitlines() == [
        f"finalised version 1 of visit {visit}",
        f"snapshot_id {snapshot_id}",
        f"content_sha256 {sha}",
    ]
    assert proc.stderr.strip() == "version 1: queued to send at the next sync"
    assert inspect(app_home, visit).sending == {snapshot_id}

    for args in ((), ("--json",)):
        proc = run(app_home, "--visit", visit, "--sign-off", *args)
        assert proc.returncode == 2
        assert one_sentence(proc.stderr) == (
            "Nothing has changed since version 1 was finalised; edit the findings or "
            "judgements first to amend it."
        )
    out = json.loads(proc.stdout)
    assert (out["status"], out["version"], out["gaps"], out["privacy"]) == ("unchanged", 1, [], [])


def test_json_on_success(app_home: Path, visit: str) -> None:
    hit = settle(app_home, visit)
    proc = run(app_home, "--visit", visit, "--sign-off", "--json", "--confirm-privacy", hit)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    [(version, snapshot_id)] = inspect(app_home, visit).versions
    assert (out["status"], out["version"], out["snapshot_id"]) == ("finalised", 1, snapshot_id)
    assert (out["visit_id"], out["supersedes"], out["queued"]) == (visit, None, True)
    assert re.fullmatch(r"[0-9a-f]{64}", out["content_sha256"])
    assert out["signed_off_by"] == "m-lead"


def test_only_the_lead_may_finalise(app_home: Path, demo_kit_file: Path) -> None:
    opened = subprocess.run(
        [sys.executable, "-m", "reviewer_app", "visit", "open", str(demo_kit_file)]
        + ["--as", "m-cns", "--demo"],
        capture_output=True,
        text=True,
        env={**os.environ, "REVIEWER_APP_HOME": str(app_home)},
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    visit_id = opened.stdout.splitlines()[-1]
    proc = run(app_home, "--visit", visit_id, "--sign-off", "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_sentence(proc.stderr) == (
        f"Only the lead reviewer, {LEAD}, finalises the findings; ask them to make this change."
    )


def test_mistakes_are_one_sentence(app_home: Path, visit: str) -> None:
    proc = run(app_home, "--visit", "no-such-visit", "--sign-off")
    assert proc.returncode == 2
    assert one_sentence(proc.stderr).startswith("There is no visit 'no-such-visit' on this laptop")
    proc = run(app_home, "--visit", visit, "--confirm-privacy", "0123456789")
    assert proc.returncode == 2
    assert one_sentence(proc.stderr).startswith("No possible personal data has the id 0123456789")
