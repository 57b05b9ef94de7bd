"""Finalising after the factual accuracy check (docs/after-the-visit.md): the next version is
refused while a provider comment is unanswered; it records every answer in ``findings.json``
(``accuracy_answers``), its report has the version history, its envelope the report as DOCX and
the date the feedback sheet was first made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pypdf
import pytest
from docx import Document
from lead_tools import do

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead import accuracy
from reviewer_app.lead import finalise as fin
from reviewer_app.lead.final_report import Approval, NotAsApproved, make_final_report
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.report.feedback import record_made
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session, open_workspace, workspace_path
from storage import Workspace
from tests.keys import app_key

NEW_TEXT = "Consider joint clinics with the adult service, held monthly."
REASON = "The joint clinic was proposed, not held, at the time of the visit."


@pytest.fixture
def paths() -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture
def lead(paths: AppPaths) -> Iterator[VisitSession]:
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=1))
    session = open_session(paths, visit_id).result(timeout=60)
    yield session
    session.close()


def finalise(session: VisitSession, paths: AppPaths) -> fin.Snapshot:
    confirmed = {h.key for h in privacy_hits(session.data)}
    return fin.start_finalise(session, confirmed_privacy=confirmed, paths=paths).result(timeout=120)


def settle(session: VisitSession) -> None:
    for gap in fin.completeness(session.data):
        do(session, session.set_team_judgement(gap.ref, gap.component, "met", "Agreed"))


def comments_on(session: VisitSession, v1: fin.Snapshot) -> dict[str, Any]:
    """What GET /v1/visits/{id}/accuracy answers: two comments on a finding, one on a standard."""
    [further] = [
        f for f in session.data.findings_for("lht") if f.category == "further_consideration"
    ]
    ref = session.data.standards_for("shc")[0].ref

    def comment(n: int, kind: str, item: str, words: tuple[str, str, str]) -> dict:
        ctype, text, proposed = words
        return {
            "comment_id": f"c-{n}",
            "item_kind": kind,
            "item_id": item,
            "item_label": f"item {n}",
            "comment_type": ctype,
            "comment": text,
            "proposed": proposed,
            "form_row": 4 + n,
            "imported_at": "2027-01-10T09:00:00+00:00",
        }

    return {
        "snapshot_id": v1.snapshot_id,
        "version": 1,
        "comments": [
            comment(1, "finding", further.id, ("factual", "They are monthly.", NEW_TEXT)),
            comment(2, "standard", f"shc:{ref}", ("omitted", "The policy was ratified.", "")),
        ],
    }


def test_the_next_version_waits_for_every_answer_and_records_them(
    lead: VisitSession, paths: AppPaths
) -> None:
    settle(lead)
    visit_id = lead.data.visit.visit_id
    v1 = finalise(lead, paths)
    assert "accuracy_answers" not in v1.findings  # no comments yet: nothing to record
    payload = comments_on(lead, v1)
    accuracy.store_comments(paths, visit_id, payload)
    finding_id = payload["comments"][0]["item_id"]
    before = lead.data.findings[finding_id].text

    # Refused while the comments are unanswered, each a gap that goes to its item.
    with pytest.raises(fin.FinaliseRefused) as refused:
        finalise(lead, paths)
    gaps = [g for g in refused.value.gaps if "provider's comment" in g.message]
    assert [(g.kind, g.finding_id or g.ref) for g in gaps] == [
        ("finding", finding_id),
        ("standard", lead.data.standards_for("shc")[0].ref),
    ]
    assert "(factually inaccurate) is not answered; accept or decline it" in gaps[0].message
    assert fin.accuracy_gaps(lead.data, paths) == gaps  # what the window lists

    comments = accuracy.load_comments(paths, visit_id)
    accepted = accuracy.accepting(
        lead.data, lead.member_id, comments.comments[0], comments=comments
    )
    change = accuracy.change_text(lead, accepted)
    assert change is not None
    do(lead, change)
    do(lead, accuracy.record(lead, accepted))
    with pytest.raises(fin.FinaliseRefused, match="1 thing"):  # one still to answer
        finalise(lead, paths)
    declined = accuracy.declining(
        lead.data, lead.member_id, comments.comments[1], REASON, comments=comments
    )
    do(lead, accuracy.record(lead, declined))

    v2 = finalise(lead, paths)
    assert (v2.version, v2.supersedes) == (2, v1.snapshot_id)
    answers = v2.findings["accuracy_answers"]
    assert [(a["comment_id"], a["decision"]) for a in answers] == [
        ("c-1", "accepted"),
        ("c-2", "declined"),
    ]
    assert (answers[0]["before"], answers[0]["after"]) == (before, NEW_TEXT)
    assert answers[1]["reason"] == REASON and answers[0]["answered_by"] == "m-lead"

    # Its report says what changed since V1 and why, in the PDF and the DOCX.
    text = " ".join(
        p.extract_text() for p in pypdf.PdfReader(lead.open_blob(str(v2.report_sha256))).pages
    )
    text = " ".join(text.split())
    assert "Appendix 3 Version history" in text and "V1:" in text and "V2:" in text
    assert "1 comment accepted, 1 declined" in text and "Factually inaccurate" in text
    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        row = ws.snapshot(v2.snapshot_id)
        assert row is not None
        env = fin.envelope(ws, row)
        docx_sha = fin.report_docx(ws, v2.snapshot_id)
        assert env["report_docx"]["sha256"] == docx_sha and env["report_docx"]["format"] == "docx"
        assert docx_sha in fin.blob_files(ws, env)
        body = "\n".join(p.text for p in Document(ws.blobs.open(docx_sha)).paragraphs)
        cells = "\n".join(c.text for t in Document(ws.blobs.open(docx_sha)).tables
                          for r in t.rows for c in r.cells)  # fmt: skip
        assert "Version history" in body and REASON in cells

    # The round is over: the visit is what V2 froze, and nothing is asked again.
    assert fin.check_unchanged(lead, paths).result(timeout=60) == 2
    with pytest.raises(fin.NothingChanged):
        finalise(lead, paths)


def test_declining_every_comment_still_makes_a_new_version(
    lead: VisitSession, paths: AppPaths
) -> None:
    settle(lead)
    v1 = finalise(lead, paths)
    visit_id = lead.data.visit.visit_id
    accuracy.store_comments(paths, visit_id, comments_on(lead, v1))
    comments = accuracy.load_comments(paths, visit_id)
    for c in comments.comments:
        answer = accuracy.declining(lead.data, lead.member_id, c, REASON, comments=comments)
        do(lead, accuracy.record(lead, answer))
    v2 = finalise(lead, paths)  # no text changed, but the answers are the version's news
    assert [a["decision"] for a in v2.findings["accuracy_answers"]] == ["declined"] * 2
    assert fin.check_unchanged(lead, paths).result(timeout=60) == 2


def test_the_feedback_sheet_date_goes_with_the_envelope(
    lead: VisitSession, paths: AppPaths
) -> None:
    assert lead.worker.submit(record_made, date(2026, 12, 3)).result(timeout=10) == "2026-12-03"
    # The first date is kept: making the sheet again later does not move it.
    assert lead.worker.submit(record_made, date(2026, 12, 9)).result(timeout=10) == "2026-12-03"
    settle(lead)
    v1 = finalise(lead, paths)
    with open_workspace(paths, workspace_path(paths, lead.data.visit.visit_id)) as ws:
        row = ws.snapshot(v1.snapshot_id)
        assert row is not None
        assert fin.envelope(ws, row)["feedback_sheet_at"] == "2026-12-03"


def test_the_final_report_is_made_only_from_the_version_approved(
    lead: VisitSession, paths: AppPaths
) -> None:
    settle(lead)
    v1 = finalise(lead, paths)
    approval = Approval("Quality Assurance Group", "2027-01-20", "Share the action plan.")
    file = workspace_path(paths, lead.data.visit.visit_id)
    with Workspace.open(file, key=app_key(file), device_id="x") as ws:
        made = make_final_report(ws, v1.snapshot_id, approval, paths=paths)
        again = make_final_report(ws, v1.snapshot_id, approval, paths=paths)
    assert again == made  # made once, then found
    pages = [
        " ".join((p.extract_text() or "").split())
        for p in pypdf.PdfReader(made.store.open(made.pdf_sha256)).pages
    ]
    assert "Approved by Quality Assurance Group on 20 January 2027. Conditions: Share" in pages[0]
    assert all("Final report" in p and "DRAFT" not in p for p in pages)
    assert (
        Document(made.store.open(made.docx_sha256)).sections[0].header.paragraphs[0].text
        == "Final report"
    )
    assert made.body()["docx"] == {"sha256": made.docx_sha256, "size": made.docx_size}

    # Another approval (staff corrected it) is another report; an edited visit is refused.
    [fid] = [f.id for f in lead.data.findings_for("lht") if f.category == "further_consideration"]
    do(lead, lead.edit_finding(fid, text="Edited after approval."))
    with (
        Workspace.open(file, key=app_key(file), device_id="x") as ws,
        pytest.raises(NotAsApproved) as refused,
    ):
        make_final_report(ws, v1.snapshot_id, replace(approval, conditions=""), paths=paths)
    assert "changed on this laptop since it was finalised" in str(refused.value)
    v2 = finalise(lead, paths)
    with (
        Workspace.open(file, key=app_key(file), device_id="x") as ws,
        pytest.raises(NotAsApproved) as refused,
    ):
        make_final_report(ws, v1.snapshot_id, replace(approval, conditions=""), paths=paths)
    assert "version 2 was finalised since" in str(refused.value)
    assert v2.version == 2
