"""The report as a Word document, opened with python-docx: same headings and tables as the PDF."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from report_pictures import keep
from report_testdata import populate

from reviewer_app.app.cli import main
from reviewer_app.lead.compliance import compliance
from reviewer_app.report import FinalInfo, build_report_model, render_docx
from reviewer_app.report.model import ReportModel
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import VisitSession


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> tuple[VisitSession, VisitData]:
    session = open_demo_session("m-lead")
    return session, populate(session)


@pytest.fixture
def draft(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> tuple[Path, ReportModel]:
    session, data = lead
    model = build_report_model(data, open_blob=session.open_blob)
    out = render_docx(model, tmp_path / "report.docx")
    return out, model


@pytest.mark.screenshots
def test_a_copy_of_the_draft_report(draft: tuple[Path, ReportModel]) -> None:
    keep(draft[0], "report_draft.docx")


def xml_of(part: object) -> str:
    return part._element.xml  # type: ignore[attr-defined]


def test_same_headings_as_the_model_in_heading_styles(draft: tuple[Path, ReportModel]) -> None:
    path, model = draft
    doc = Document(str(path))
    headings = [
        (p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")
    ]
    assert [text for _style, text in headings] == [h.text for h in model.headings()]
    levels = {text: style for style, text in headings}
    assert levels[model.findings_heading.text] == "Heading 1"
    assert levels[model.findings[0].heading.text] == "Heading 2"


def test_tables_summary_figures_and_repeating_header_rows(
    draft: tuple[Path, ReportModel], lead: tuple[VisitSession, VisitData]
) -> None:
    path, model = draft
    doc = Document(str(path))
    tables = doc.tables
    headed = [
        t for t in tables if t.rows[0].cells[0].text in ("Reviewed as", "Name", "Component", "Ref")
    ]
    for t in headed:
        tr_pr = t.rows[0]._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
    summary = next(t for t in tables if t.rows[0].cells[0].text == "Component")
    rows = [[c.text for c in r.cells] for r in summary.rows[1:]]
    assert rows == [
        [c.name, str(c.applicable), str(c.met), c.percent_text] for c in compliance(lead[1])
    ]
    refs_in_tables = {
        r.cells[0].text for t in tables if t.rows[0].cells[0].text == "Ref" for r in t.rows[1:]
    }
    assert {s.ref for s in lead[1].standards} <= refs_in_tables
    team = next(t for t in tables if t.rows[0].cells[0].text == "Name")
    names = [r.cells[0].text for r in team.rows[1:]]
    assert "Nguyễn Thị Lan" in names and "Dr Łukasz Nowak" in names and "Dr Zoë Hartley" in names


def test_draft_in_every_page_header_and_page_x_of_y(draft: tuple[Path, ReportModel]) -> None:
    doc = Document(str(draft[0]))
    for section in doc.sections:
        assert "DRAFT" in section.header.paragraphs[0].text
        footer = xml_of(section.footer)
        assert "PAGE" in footer and "NUMPAGES" in footer


def test_photos_with_captions(draft: tuple[Path, ReportModel]) -> None:
    doc = Document(str(draft[0]))
    assert len(doc.inline_shapes) == 3
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    captions += [
        p.text
        for t in doc.tables
        for r in t.rows
        for c in r.cells
        for p in c.paragraphs
        if p.style.name == "Caption"
    ]
    assert {"Ward corridor, view 1", "Ward corridor, view 2", "Ward corridor, view 3"} <= set(
        captions
    )


def test_a_finding_with_photos_is_kept_with_them(draft: tuple[Path, ReportModel]) -> None:
    """Word keeps the finding's text, its standard line and its photos on one page: every
    paragraph of the finding but its last caption is kept with the next; rows never split."""
    doc = Document(str(draft[0]))
    body = doc.paragraphs
    i = next(i for i, p in enumerate(body) if "acute pain protocol" in p.text)
    assert body[i].paragraph_format.keep_with_next
    assert body[i + 1].text.startswith("Standard: ")
    assert body[i + 1].paragraph_format.keep_with_next
    photos = next(t for t in doc.tables if "Ward corridor, view 2" in xml_of(t))
    lines = [p for r in photos.rows for c in r.cells for p in c.paragraphs if p.runs]
    assert [p.paragraph_format.keep_with_next for p in lines] == [True] * (len(lines) - 1) + [None]
    assert all("w:cantSplit" in xml_of(r) for r in photos.rows)


def test_final_has_no_draft_header(lead: tuple[VisitSession, VisitData], tmp_path: Path) -> None:
    session, data = lead
    final = FinalInfo(1, "snap", "fe" * 32, "m-lead", "2026-12-10T16:30:00+00:00")
    model = build_report_model(data, open_blob=session.open_blob, final=final)
    doc = Document(str(render_docx(model, tmp_path / "final.docx")))
    everything = "\n".join(p.text for p in doc.paragraphs)
    assert "DRAFT" not in everything.upper()
    assert all("DRAFT" not in s.header.paragraphs[0].text for s in doc.sections)
    assert "Version 1 · snapshot fefefefefefe" in "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )


def test_cli_docx(
    lead: tuple[VisitSession, VisitData], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, data = lead
    session.close()
    out = tmp_path / "cli.docx"
    assert main(["report", "--visit", data.visit.visit_id, "--format", "docx", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert Document(str(out)).paragraphs


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed"
)
def test_libreoffice_converts_it(draft: tuple[Path, ReportModel], tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office is not None
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(draft[0])],
        check=True,
        timeout=180,
    )
    assert (tmp_path / "report.pdf").stat().st_size > 0
