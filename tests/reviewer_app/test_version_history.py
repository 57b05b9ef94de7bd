"""The report's version history (V1 -> V2: what changed and why) and the final report of an
approved version, in the model and read back from both renderers (pypdf, python-docx)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from report_testdata import populate

from reviewer_app.report import FinalInfo, build_report_model, render_docx, render_pdf
from reviewer_app.report.model import ReportModel, VersionRecord
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import VisitSession

V1_AT = "2026-12-07T16:30:00+00:00"
V2_AT = "2027-01-08T10:00:00+00:00"


def answer(decision: str, **fields: Any) -> dict[str, Any]:
    """An entry of ``findings.json``'s ``accuracy_answers`` (docs/after-the-visit.md)."""
    base = {
        "comment_id": f"c-{fields.get('item_id', 'x')}",
        "item_kind": "finding",
        "item_id": "f-1",
        "item_label": "Finding 1 (Concern), Specialist Haemoglobinopathy Centre",
        "comment_type": "factual",
        "comment": "",
        "proposed": "",
        "decision": decision,
        "reason": "",
        "before": "",
        "after": "",
        "answered_by": "m-lead",
        "answered_at": "2027-01-06T09:00:00+00:00",
    }
    return {**base, **fields}


ACCEPTED = answer(
    "accepted",
    item_id="f-1",
    comment_type="typographical",
    comment="The clinic runs twice a week, not once.",
    proposed="Clinic letters take up to twelve weeks; the clinic runs twice a week.",
    before="Clinic letters take up to twelve weeks; the clinic runs once a week.",
    after="Clinic letters take up to twelve weeks; the clinic runs twice a week.",
)
DECLINED = answer(
    "declined",
    item_kind="standard",
    item_id="shc:HN-201",
    item_label="HN-201 Specialist Haemoglobinopathy Centre: team judgement",
    comment_type="Factually inaccurate",
    comment="The transition policy was ratified in November.",
    reason="The ratified policy was not among the evidence seen at the visit.",
)
HISTORY = (
    VersionRecord(1, "m-lead", V1_AT),
    VersionRecord(2, "m-lead", V2_AT, (ACCEPTED, DECLINED)),
)
APPROVED = FinalInfo(
    version=2,
    snapshot_id="3f1c2d9e-0000-4000-8000-000000000002",
    content_sha256="0123456789abcdef" * 4,
    signed_off_by="m-lead",
    signed_off_at=V2_AT,
    approved_by="Quality Assurance Group",
    approved_at="2027-01-20",
    conditions="The action plan to be shared with the commissioners.",
)
APPROVAL = (
    "Approved by Quality Assurance Group on 20 January 2027. Conditions: The action plan to be "
    "shared with the commissioners."
)


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> tuple[VisitSession, VisitData]:
    session = open_demo_session("m-lead")
    return session, populate(session)


def model_of(lead: tuple[VisitSession, VisitData], final: FinalInfo | None) -> ReportModel:
    session, data = lead
    return build_report_model(
        data,
        open_blob=session.open_blob,
        final=final,
        report_date=date(2027, 1, 21),
        history=HISTORY if final is not None else (),
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def pdf_pages(path: Path) -> list[str]:
    return [flat(p.extract_text() or "") for p in PdfReader(path).pages]


def docx_text(path: Path) -> tuple[str, list[str], list[str]]:
    """Every paragraph and table cell; each section's header and footer."""
    doc = Document(str(path))
    body = [p.text for p in doc.paragraphs]
    body += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    headers = [p.text for s in doc.sections for p in s.header.paragraphs]
    footers = [p.text for s in doc.sections for p in s.footer.paragraphs]
    return flat("\n".join(body)), headers, footers


def test_the_model_says_what_changed_between_v1_and_v2_and_why(
    lead: tuple[VisitSession, VisitData],
) -> None:
    model = model_of(lead, APPROVED)
    assert model.history is not None
    assert model.history.heading.text == "Appendix 3  Version history"
    assert model.headings()[-1] == model.history.heading
    v1, v2 = model.history.entries
    assert (v1.label, v1.date, v1.signed_off) == (
        "V1",
        "7 December 2026",
        "Signed off by Dr Zoë Hartley",
    )
    assert not v1.accepted and not v1.declined
    assert (v2.label, v2.date) == ("V2", "8 January 2027")
    assert v2.summary == "After the factual accuracy check of V1: 1 comment accepted, 1 declined."
    [change] = v2.accepted
    assert change.comment_type == "Typographical or numerical"
    assert (change.before, change.after) == (ACCEPTED["before"], ACCEPTED["after"])
    [declined] = v2.declined
    assert declined.comment_type == "Factually inaccurate"
    assert declined.item.startswith("HN-201") and declined.reason == DECLINED["reason"]
    assert (model.cover.status, model.cover.approval) == ("Final", APPROVAL)
    assert model.final and not model.draft
    # Finalised but not yet approved: no DRAFT, and not "Final" either.
    unapproved = FinalInfo(2, APPROVED.snapshot_id, APPROVED.content_sha256, "m-lead", V2_AT)
    assert not model_of(lead, unapproved).final
    # A draft has no history.
    assert model_of(lead, None).history is None


def test_the_final_report_pdf(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> None:
    pdf = render_pdf(model_of(lead, APPROVED), tmp_path / "final.pdf")
    pages = pdf_pages(pdf)
    assert not any("DRAFT" in p.upper() for p in pages)  # not the mark, not the cover's note
    assert all(p.startswith("Final report") or "Final report" in p for p in pages)
    assert all("V2 · Final" in p for p in pages[1:])  # the footer of every page but the cover
    cover = pages[0]
    assert "Status Final" in cover and APPROVAL in cover
    history = next(p for p in pages if "Appendix 3 Version history" in p)
    end = " ".join(pages[pages.index(history) :])
    assert "V1: 7 December 2026. Signed off by Dr Zoë Hartley." in end
    assert "V2: 8 January 2027. Signed off by Dr Zoë Hartley." in end
    assert "Typographical or numerical" in end and "runs once a week" in end
    assert "runs twice a week" in end and "Factually inaccurate" in end
    assert DECLINED["reason"] in end
    outline = [o.title for o in PdfReader(pdf).outline if not isinstance(o, list)]
    assert "Appendix 3  Version history" in outline


def test_the_final_report_docx(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> None:
    out = render_docx(model_of(lead, APPROVED), tmp_path / "final.docx")
    body, headers, footers = docx_text(out)
    assert "DRAFT" not in (body + " ".join(headers + footers)).upper()
    assert headers[0] == "Final report"
    assert "· V2 · Final" in footers[0]
    assert "Status Final" in body.replace("\n", " ") or "Final" in body
    assert APPROVAL in body
    assert "Appendix 3 Version history" in body
    assert "V2: 8 January 2027. Signed off by Dr Zoë Hartley." in body
    assert ACCEPTED["before"] in body and ACCEPTED["after"] in body
    assert DECLINED["reason"] in body and "Comments declined" in body


def test_a_finalised_version_not_yet_approved_is_neither_draft_nor_final(
    lead: tuple[VisitSession, VisitData], tmp_path: Path
) -> None:
    final = FinalInfo(1, "snap", "fe" * 32, "m-lead", V1_AT)
    model = build_report_model(
        lead[1], open_blob=lead[0].open_blob, final=final, history=HISTORY[:1]
    )
    pages = pdf_pages(render_pdf(model, tmp_path / "v1.pdf"))
    assert not any("DRAFT" in p or "Final report" in p for p in pages)
    assert "The first version, sent to the organisations reviewed" in " ".join(pages)
    body, headers, _footers = docx_text(render_docx(model, tmp_path / "v1.docx"))
    assert headers[0] == "" and "Approved by" not in body and "Comments accepted" not in body
