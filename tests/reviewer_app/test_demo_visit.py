"""`reviewer-app demo visit`: a worked demo workspace made by the command line, as a script
would, then opened as the lead would see it."""

from __future__ import annotations

import subprocess
import sys
import uuid

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.consensus import needs_agreement
from reviewer_app.lead.findings import numbered
from reviewer_app.visit.model import CATEGORIES, JUDGEMENT
from reviewer_app.visit.workspaces import list_visits, open_session, open_workspace, workspace_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer_app", "demo", "visit", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def test_a_worked_demo_visit_has_the_teams_work_and_the_leads(app_home: object) -> None:
    done = run("--reviewers", "3", "--standards", "40", "--photos", "5")
    assert done.returncode == 0, done.stderr
    visit_id = done.stdout.strip().splitlines()[-1]
    assert str(uuid.UUID(visit_id)) == visit_id
    paths = AppPaths.from_environment()
    assert [v.visit_id for v in list_visits(paths)] == [visit_id]

    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        judged = {(op.member_id, op.device_id) for op in ws.ops() if op.entity == JUDGEMENT}
    members = {m for m, _d in judged}
    assert len(members) == 3 and "m-lead" not in members
    assert len({d for _m, d in judged}) == 3  # each reviewer on their own laptop

    session = open_session(paths, visit_id).result(timeout=60)
    try:
        data = session.data
        assert data.member_id == "m-lead" and data.demo
        assert len(data.standards) == 40
        assert len(needs_agreement(data)) == 3  # disagreements the lead has still to settle
        assert len(data.team_judgements) > 60
        settled = [t for t in data.team_judgements.values() if t.assessed]
        assert sum(1 for t in settled if t.rationale) > len(settled) // 2
        for comp in data.visit.components:
            found = numbered(data, comp.id)
            assert {f.category for _n, f in found} == set(CATEGORIES), comp.id
            assert all(f.refs for _n, f in found)
        risks = [f for f in data.findings.values() if f.immediate_risk]
        assert risks and all(f.escalated for f in risks)
        attached = [p for f in data.findings.values() for p in f.photos]
        assert len(attached) == 5
        for photo_id in attached:
            assert session.blobs.has(data.photos[photo_id].sha256)
        assert any(f.observation_id for f in data.findings.values())
        assert set(data.report_texts) >= {"service_users", "acknowledgements"}
    finally:
        session.close()

    again = run()  # each run makes a new visit
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] != visit_id


def test_out_of_range_flags_are_refused_in_one_line(app_home: object) -> None:
    done = run("--reviewers", "500")
    assert done.returncode == 2
    assert done.stderr.strip() == "reviewer-app: --reviewers must be between 0 and 40, not 500"
