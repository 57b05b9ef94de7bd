"""Finalising a visit on a real workspace: refused while something is missing or a possible piece
of personal data is unconfirmed; then an immutable snapshot with its final report; amending makes
version 2 and leaves version 1 exactly as it was."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

import pypdf
import pytest
from lead_tools import do

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead import finalise as fin
from reviewer_app.lead.findings import LeadOnly
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.visit.model import NOT_ASSESSED, team_judgement_id
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session, open_workspace, workspace_path
from storage import SnapshotRefused, SnapshotRow, Workspace, encrypted_sqlite
from sync.findings_format import check_envelope, content_sha256
from tests.keys import app_key


@pytest.fixture
def paths() -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture
def lead(paths: AppPaths) -> Iterator[VisitSession]:
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=3))
    session = open_session(paths, visit_id).result(timeout=60)
    yield session
    session.close()


def finalise(session: VisitSession, paths: AppPaths, confirmed: set[str]) -> fin.Snapshot:
    stages: list[str] = []
    snap = fin.start_finalise(
        session,
        confirmed_privacy=confirmed,
        paths=paths,
        progress=lambda _done, _total, stage: stages.append(stage),
    ).result(timeout=120)
    assert stages[0] == "Checking" and "Writing the report" in stages
    return snap


def settle(session: VisitSession) -> None:
    for gap in fin.completeness(session.data):
        assert gap.kind == "standard"
        do(session, session.set_team_judgement(gap.ref, gap.component, "met", "Agreed"))


def pdf_text(source: BinaryIO) -> list[str]:
    """The pages' text of a stored PDF (sealed on disk: read through the store)."""
    return [page.extract_text() for page in pypdf.PdfReader(source).pages]


def test_refused_while_gaps_or_privacy_hits_remain_then_allowed(
    lead: VisitSession, paths: AppPaths
) -> None:
    with pytest.raises(fin.FinaliseRefused) as refused:
        finalise(lead, paths, set())
    gaps, hits = refused.value.gaps, refused.value.hits
    assert len(gaps) == 3 and all(g.kind == "standard" and g.ref and g.component for g in gaps)
    assert "no team judgement yet" in gaps[0].message
    assert [h.kind for h in hits] == ["phone"]
    assert str(refused.value).startswith("Not finalised: 3 thing(s) to finish and 1 possible")

    # A missing reason for Not met is a gap that jumps to the standard.
    first = gaps[0]
    do(lead, lead.update("team_judgement", _tid(first.ref, first.component), {"value": "not_met"}))
    [again] = [g for g in fin.completeness(lead.data) if g.ref == first.ref]
    assert "Not met needs a reason" in again.message
    # "Not assessed" with a reason is complete; without one it is not.
    do(lead, lead.set_team_judgement(first.ref, first.component, NOT_ASSESSED, "No time"))
    assert first.ref not in {g.ref for g in fin.completeness(lead.data)}
    settle(lead)
    with pytest.raises(fin.FinaliseRefused, match="personal data"):
        finalise(lead, paths, set())
    snap = finalise(lead, paths, {h.key for h in privacy_hits(lead.data)})
    assert (snap.version, snap.supersedes, snap.signed_off_by) == (1, None, "m-lead")
    assert snap.queued  # handed to the outbox


def _tid(ref: str, component: str) -> str:
    return team_judgement_id(ref, component)


def test_an_unescalated_immediate_risk_is_a_gap_that_jumps_to_the_finding(
    lead: VisitSession,
) -> None:
    risk = do(lead, lead.add_finding("lht", "immediate_risk", "Oxygen cylinders unsecured"))
    [gap] = [g for g in fin.completeness(lead.data) if g.kind == "finding"]
    assert gap.finding_id == risk.entity_id
    assert gap.message.startswith("Finding 2 (Immediate risk), Local Haemoglobinopathy Team")


def test_the_snapshot_its_report_and_amending_it(lead: VisitSession, paths: AppPaths) -> None:
    settle(lead)
    confirmed = {h.key for h in privacy_hits(lead.data)}
    v1 = finalise(lead, paths, confirmed)
    body1, sha1 = v1.row.findings_json, v1.content_sha256
    assert hashlib.sha256(body1).hexdigest() == sha1 == content_sha256(v1.findings)
    doc = v1.findings
    assert doc["visit"]["visit_id"] == lead.data.visit.visit_id
    assert len(doc["team_judgements"]) == 106  # every applicable standard x component
    assert {r["confirmation_due"] for r in doc["immediate_risks"]} == {"2026-12-07"}
    for a in doc["attachments"]:
        assert a["size"] == lead.blob_size(a["sha256"]) == len(lead.read_blob(a["sha256"]))
    assert len(doc["attachments"]) == 3

    pages = pdf_text(lead.open_blob(str(v1.report_sha256)))
    assert not any("DRAFT" in p for p in pages)
    assert f"snapshot {sha1[:12]}" in pages[0] and "V1" in pages[0]

    with pytest.raises(fin.FinaliseRefused, match="Nothing has changed since version 1"):
        finalise(lead, paths, confirmed)

    [fid] = [f.id for f in lead.data.findings_for("lht") if f.category == "further_consideration"]
    do(lead, lead.edit_finding(fid, text="Consider joint clinics (amended after the QA group)."))
    v2 = finalise(lead, paths, confirmed)
    assert (v2.version, v2.supersedes) == (2, v1.snapshot_id)
    assert v2.content_sha256 != sha1
    assert (
        f"snapshot {v2.content_sha256[:12]}" in pdf_text(lead.open_blob(str(v2.report_sha256)))[0]
    )

    with open_workspace(paths, workspace_path(paths, lead.data.visit.visit_id)) as ws:
        old = ws.snapshot(v1.snapshot_id)
        assert old is not None
        assert (old.findings_json, old.content_sha256) == (body1, sha1)
        assert hashlib.sha256(old.findings_json).hexdigest() == sha1
        assert [s.version for s in fin.snapshots(ws)] == [1, 2]
        assert pdf_text(ws.blobs.open(str(fin.snapshots(ws)[0].report_sha256)))[0] == pages[0]
        env = fin.envelope(ws, old)
        assert check_envelope(env)["supersedes"] is None
        docx = fin.report_docx(ws, old.snapshot_id)  # the report as DOCX goes with it
        assert docx is not None and env["report_docx"]["sha256"] == docx
        assert set(fin.blob_files(ws, env)) == {a["sha256"] for a in doc["attachments"]} | {
            old.report_sha256,
            docx,
        }


def test_sqlite_refuses_to_change_or_delete_a_snapshot(lead: VisitSession, paths: AppPaths) -> None:
    settle(lead)
    snap = finalise(lead, paths, {h.key for h in privacy_hits(lead.data)})
    file = workspace_path(paths, lead.data.visit.visit_id)
    conn = encrypted_sqlite.connect(file, app_key(file))
    try:
        for sql in (
            "UPDATE snapshots SET content_sha256 = 'x'",
            "UPDATE snapshots SET findings_json = x'00'",
            "DELETE FROM snapshots",
        ):
            with pytest.raises(encrypted_sqlite.IntegrityError, match="never"):
                conn.execute(sql)
        assert conn.execute("SELECT content_sha256 FROM snapshots").fetchall() == [
            (snap.content_sha256,)
        ]
    finally:
        conn.close()
    with Workspace.open(file, key=app_key(file), device_id="x") as ws:
        stray = SnapshotRow(**{**fin._fields(snap.row), "snapshot_id": "s2", "version": 5})
        with pytest.raises(SnapshotRefused):
            ws.add_snapshot(stray)  # not the next version
        stray = SnapshotRow(**{**fin._fields(snap.row), "snapshot_id": "s2", "version": 2})
        with pytest.raises(SnapshotRefused):
            ws.add_snapshot(stray)  # does not supersede version 1
        assert len(ws.snapshots()) == 1


def test_only_the_lead_signs_off(lead: VisitSession, paths: AppPaths) -> None:
    settle(lead)
    with pytest.raises(LeadOnly, match="Dr Zoë Hartley"):
        lead.worker.submit(
            lambda ws: fin.finalise(ws, signed_off_by="m-cns", confirmed_privacy=set())
        ).result(timeout=60)
    with open_workspace(paths, workspace_path(paths, lead.data.visit.visit_id)) as ws:
        assert ws.snapshots() == []


def test_a_finalisation_that_lost_a_race_is_one_sentence(
    lead: VisitSession, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two finalisations at once (the window and the command line): the database lets one
    version 1 in; the other is told so in words, not "something went wrong"."""
    settle(lead)
    confirmed = {h.key for h in privacy_hits(lead.data)}
    finalise(lead, paths, confirmed)
    [fid] = [f.id for f in lead.data.findings_for("lht") if f.category == "further_consideration"]
    do(lead, lead.edit_finding(fid, text="Consider joint clinics."))
    # As the other finalisation saw it: no version yet, when version 1 is already stored.
    monkeypatch.setattr(Workspace, "latest_snapshot", lambda _ws: None)
    with pytest.raises(fin.FinalisedMeanwhile, match="Version 1 was finalised elsewhere"):
        finalise(lead, paths, confirmed)
