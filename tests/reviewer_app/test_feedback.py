"""The end-of-visit feedback sheet: immediate risks first, then concerns, good practice, figures."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_pictures import pdf_pictures
from report_testdata import populate

from reviewer_app.app.cli import main
from reviewer_app.lead.compliance import compliance
from reviewer_app.lead.risks import confirmation_due, visit_end_date
from reviewer_app.report import build_report_model, feedback_sheet
from reviewer_app.visit.model import FINDING
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.session import VisitSession


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> tuple[VisitSession, VisitData]:
    session = open_demo_session("m-lead")
    populate(session)
    # A second immediate risk, not yet escalated: the sheet must say so plainly.
    fields = {
        "text": "Oxygen cylinders were stored unsecured.",
        "category": "immediate_risk",
        "component": "lht",
        "order": 1.0,
    }
    session.update(FINDING, str(uuid.uuid4()), fields).result(timeout=30)
    return session, session.worker.submit(read_visit_data).result(timeout=30)


def text_of(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(pdf).pages]


def sheet(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> Path:
    """The feedback sheet on the last day of the visit (Thursday 3 December 2026)."""
    session, data = lead
    return feedback_sheet(
        data,
        tmp_path / "feedback.pdf",
        open_blob=session.open_blob,
        today=date(2026, 12, 3),
        confirmation_due=confirmation_due(visit_end_date(data), 2, frozenset()),
    )


@pytest.mark.screenshots
def test_pictures_of_the_feedback_sheet(
    lead: tuple[VisitSession, VisitData], tmp_path: Path
) -> None:
    pdf_pictures(sheet(lead, tmp_path), "feedback_sheet", dpi=60)


def test_sheet_order_escalation_and_figures(
    lead: tuple[VisitSession, VisitData], tmp_path: Path
) -> None:
    _session, data = lead
    # Two working days after the visit (Thursday 3 December 2026): Monday 7 December.
    due = confirmation_due(visit_end_date(data), 2, frozenset())
    assert due == date(2026, 12, 7)
    out = sheet(lead, tmp_path)
    pages = text_of(out)
    for page in pages:
        assert "For verbal feedback — not the report" in page
    text = " ".join(pages)
    order = [
        text.find(h)
        for h in ("Immediate risks", "Serious concerns", "Good practice", "Compliance so far")
    ]
    assert -1 not in order and order == sorted(order)
    risks = text[order[0] : order[1]]
    assert "acute pain protocol" in risks and "Oxygen cylinders" in risks
    assert (
        "Escalated to Chief Executive on 3 December 2026 (in person at feedback). "
        "Written confirmation due by 7 December 2026." in risks
    )
    assert "Not yet escalated" in risks
    assert "Written confirmation is due by 7 December 2026." in risks
    assert "no consultant cover" in text[order[1] : order[2]]
    assert "Transition clinics" in text[order[2] : order[3]]
    figures = text[order[3] :]
    for c in compliance(data):  # the report's figures, to the digit
        row = f"{c.name} {c.applicable} {c.met} {c.not_met} {c.not_assessed} "
        assert row + c.percent_text in figures, row
    for member_id in ("m-lead", "m-cns", "m-paed"):
        assert member_id not in text


def test_cli_feedback(
    lead: tuple[VisitSession, VisitData], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, data = lead
    session.close()
    out = tmp_path / "sheet.pdf"
    assert main(["feedback", "--visit", data.visit.visit_id, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert "Immediate risks" in text_of(out)[0]
    # By this laptop's rules: the setting (2 working days) and England's bank holidays.
    assert "Written confirmation due by 7 December 2026." in " ".join(text_of(out))


def test_cli_feedback_into_missing_folder_is_a_user_error(
    lead: tuple[VisitSession, VisitData], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, data = lead
    session.close()
    code = main(["feedback", "--visit", data.visit.visit_id, "-o", str(tmp_path / "no" / "x.pdf")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def lines_between(text: str, start: str, end: str) -> list[str]:
    """The lines of ``text`` from the heading ``start`` up to the heading ``end``."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    return lines[lines.index(start) + 1 : lines.index(end)]


def test_items_stand_under_their_component_with_the_reports_numbers(
    lead: tuple[VisitSession, VisitData], tmp_path: Path
) -> None:
    """Read aloud, "1." twice in a row is ambiguous: each component's items stand under its
    name, numbered as the report numbers them (within the component and category)."""
    session, _data = lead
    fields = {
        "text": "A second risk at the centre: the resuscitation trolley was not checked.",
        "category": "immediate_risk",
        "component": "shc",
        "order": 50.0,
    }
    session.update(FINDING, str(uuid.uuid4()), fields).result(timeout=30)
    data = session.worker.submit(read_visit_data).result(timeout=30)
    out = feedback_sheet(data, tmp_path / "sheet.pdf", open_blob=session.open_blob)
    text = "\n".join(p.extract_text() or "" for p in PdfReader(out).pages)
    risks = lines_between(text, "Immediate risks", "Serious concerns")
    centre = risks.index("Specialist Haemoglobinopathy Centre")
    local = risks.index("Local Haemoglobinopathy Team")
    numbered = [line for line in risks if re.match(r"\d+\. ", line)]
    assert [line[:2] for line in numbered] == ["1.", "2.", "1."]
    assert centre < risks.index(numbered[0]) < risks.index(numbered[1]) < local
    assert local < risks.index(numbered[2])
    assert numbered[0].startswith("1. Emergency department staff")
    assert numbered[1].startswith("2. A second risk at the centre")
    assert numbered[2].startswith("1. Oxygen cylinders")

    # The report gives each of them the same number.
    model = build_report_model(data, open_blob=session.open_blob)
    in_report = {
        f.text[:20]: f.number
        for comp in model.findings
        for cat in comp.categories
        if cat.category == "immediate_risk"
        for f in cat.findings
    }
    on_sheet = {line.split(". ", 1)[1][:20]: line.split(".")[0] for line in numbered}
    assert on_sheet == in_report
