"""The report as a PDF, read back with pypdf: what a reader of the printed report would see."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_pictures import keep, pdf_pictures
from report_testdata import populate

from reviewer_app.app.cli import main
from reviewer_app.lead.compliance import compliance
from reviewer_app.report import FinalInfo, build_report_model, render_pdf
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import VisitSession

FINAL = FinalInfo(
    version=2,
    snapshot_id="3f1c2d9e-0000-4000-8000-000000000001",
    content_sha256="0123456789abcdef" * 4,
    signed_off_by="m-lead",
    signed_off_at="2026-12-10T16:30:00+00:00",
)


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> tuple[VisitSession, VisitData]:
    session = open_demo_session("m-lead")
    return session, populate(session, service_users="Parents said the day unit felt safe.")


def pages_text(pdf: Path) -> list[str]:
    return [unicodedata.normalize("NFC", p.extract_text() or "") for p in PdfReader(pdf).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def draft_pdf(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> tuple[Path, VisitData]:
    session, data = lead
    model = build_report_model(
        data,
        open_blob=session.open_blob,
        report_date=date(2026, 12, 4),
        confirmation_due=date(2026, 12, 7),
    )
    seen: list[tuple[int, int, str]] = []
    out = render_pdf(model, tmp_path / "report.pdf", progress=lambda *step: seen.append(step))
    assert seen and seen[-1][0] == seen[-1][1]  # progress ends at 100 %
    assert {what for _, _, what in seen} == {"Writing the report"}  # as the window says it
    return out, data


@pytest.mark.screenshots
def test_pictures_of_the_draft_report(draft_pdf: tuple[Path, VisitData]) -> None:
    keep(draft_pdf[0], "report_draft.pdf")
    pdf_pictures(draft_pdf[0], "report_draft", dpi=50)


def test_headings_in_order_and_as_bookmarks(
    draft_pdf: tuple[Path, VisitData], lead: tuple[VisitSession, VisitData]
) -> None:
    pdf, data = draft_pdf
    model = build_report_model(data, open_blob=lead[0].open_blob)
    expected = [
        "Introduction",
        "Acknowledgements",
        "The services reviewed",
        "Views of service users and carers",
        "Review visit findings",
        "Membership of the review team",
        "Compliance with the Quality Standards",
        "Summary of compliance",
    ]
    body = flat(" ".join(pages_text(pdf)[2:]))  # after the cover and the contents
    pos = 0
    for title in expected:
        found = body.find(title, pos)
        assert found >= 0, f"{title!r} missing or out of order"
        pos = found

    def titles(outline: list, out: list[str]) -> list[str]:
        for item in outline:
            if isinstance(item, list):
                titles(item, out)
            else:
                out.append(item.title)
        return out

    assert titles(PdfReader(pdf).outline, []) == [h.text for h in model.headings()]
    contents = flat(pages_text(pdf)[1])
    for h in model.contents():
        assert h.title in contents


def test_every_standard_in_appendix_2_and_summary_equals_compliance(
    draft_pdf: tuple[Path, VisitData],
) -> None:
    pdf, data = draft_pdf
    texts = pages_text(pdf)
    start = next(i for i, t in enumerate(texts) if "Summary of compliance" in t and i > 1)
    appendix = flat(" ".join(texts[start:]))
    for s in data.standards:
        assert s.ref in appendix
    summary = flat(texts[start])
    figures = compliance(data)
    assert figures[0].met < figures[0].applicable  # a real mix, not all met
    for c in figures:
        row = f"{c.name} {c.applicable} {c.met} {c.percent_text}"
        assert row in summary, row


def test_draft_marked_on_every_page_with_page_x_of_y(draft_pdf: tuple[Path, VisitData]) -> None:
    texts = pages_text(draft_pdf[0])
    assert len(texts) > 5
    for number, text in enumerate(texts, start=1):
        assert "DRAFT" in text, f"page {number} has no DRAFT mark"
        assert f"Page {number} of {len(texts)}" in text
    assert "V1 draft" in texts[0]


def test_final_has_no_draft_mark_and_shows_version_and_snapshot(
    lead: tuple[VisitSession, VisitData], tmp_path: Path
) -> None:
    session, data = lead
    model = build_report_model(data, open_blob=session.open_blob, final=FINAL)
    texts = pages_text(render_pdf(model, tmp_path / "final.pdf"))
    for number, text in enumerate(texts, start=1):
        assert "DRAFT" not in text.upper(), f"page {number} of a final report says draft"
    cover = flat(texts[0])
    assert "Version 2 · snapshot 0123456789ab" in cover
    assert "Signed off by Dr Zoë Hartley on 10 December 2026" in cover
    assert "m-lead" not in " ".join(texts)


def test_names_render_and_no_member_ids(draft_pdf: tuple[Path, VisitData]) -> None:
    texts = pages_text(draft_pdf[0])
    team_page = next(t for t in texts if "Membership of the review team" in t and "Role" in t)
    for name in ("Dr Zoë Hartley", "Dr Łukasz Nowak", "Nguyễn Thị Lan", "Siobhán O'Brien"):
        assert name in team_page
    everything = " ".join(texts)
    for member_id in ("m-lead", "m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"):
        assert member_id not in everything


def test_findings_numbered_with_standards_and_photos(draft_pdf: tuple[Path, VisitData]) -> None:
    pdf, _data = draft_pdf
    reader = PdfReader(pdf)
    texts = pages_text(pdf)
    risk = next(i for i, t in enumerate(texts) if "acute pain protocol" in t)
    text = flat(texts[risk])
    assert "1. Emergency department staff could not find the acute pain protocol." in text
    assert "Escalated to Chief Executive on 3 December 2026" in text
    assert "Written confirmation due by 7 December 2026." in text
    assert "Ward corridor, view 2" in text and "Ward corridor, view 3" in text
    assert len(reader.pages[risk].images) >= 2
    assert "Parents said the day unit felt safe." in " ".join(texts)


def test_repeated_header_on_every_page_of_appendix_2(draft_pdf: tuple[Path, VisitData]) -> None:
    texts = pages_text(draft_pdf[0])
    start = next(i for i, t in enumerate(texts) if "A2.2" in t and i > 1)
    for text in texts[start:]:
        assert "Team judgement" in flat(text)


def test_cli_writes_the_report_and_prints_its_path(
    lead: tuple[VisitSession, VisitData], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, data = lead
    session.close()  # the command opens the workspace itself
    out = tmp_path / "cli.pdf"
    assert main(["report", "--visit", data.visit.visit_id, "--format", "pdf", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert "DRAFT" in pages_text(out)[0]


def test_cli_unknown_visit_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", "--visit", "no-such-visit", "-o", str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "no visit" in err
    assert not (tmp_path / "x.pdf").exists()


def test_cover_and_introduction_name_the_standards_and_who_commissions(
    draft_pdf: tuple[Path, VisitData],
) -> None:
    texts = pages_text(draft_pdf[0])
    cover = flat(texts[0])
    assert (
        "Quality Standards Quality Standards: Health Services for People with Haemoglobin "
        "Disorders, V4, October 2024" in cover
    )
    assert "NHS Riverside and Wealdshire Integrated Care Board (commissioner)" in cover
    introduction = flat(next(t for t in texts[2:] if "Introduction" in t))
    assert (
        "the peer review of the Specialist Haemoglobinopathy Centre, the Local "
        "Haemoglobinopathy Team and the Commissioning provided by Riverside University "
        "Hospitals NHS Trust and commissioned by NHS Riverside and Wealdshire Integrated Care "
        "Board, which took place on 3 December 2026." in introduction
    )
    assert (
        "compliance with the ‘Quality Standards: Health Services for People with Haemoglobin "
        "Disorders’, V4, October 2024" in introduction
    )
    assert "Organisation Patients" in introduction and "about 250 adults and 180" in introduction
