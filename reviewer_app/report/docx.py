"""The report as a Word document (python-docx), from the same model as the PDF.

Leads edit reports in Word, so this file must behave like one a person made: real Heading
styles (the navigation pane and Word's own contents use them), a contents field that Word fills
in when the file is opened, tables whose header rows repeat across pages (``w:tblHeader``),
DRAFT in the header of every page of a draft ("Final report" in that of the final report, an
approved version), and "Page X of Y" from PAGE/NUMPAGES fields.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reviewer_app.report.images import ImageCache
from reviewer_app.report.model import (
    ComponentFindings,
    ComponentStandards,
    Heading,
    Passage,
    ReportFinding,
    ReportModel,
    VersionHistory,
)
from reviewer_app.report.texts import WRITING, shorten
from storage.files import replacing
from sync.progress import Progress

FONT = "Arial"  # on every Windows and Mac laptop, with Latin, Polish and Vietnamese letters
DARK_BLUE = RGBColor(0x00, 0x30, 0x87)
BLUE = RGBColor(0x00, 0x5E, 0xB8)
GREY = RGBColor(0x4C, 0x62, 0x72)
RED = RGBColor(0xB3, 0x26, 0x1E)
HEADER_FILL = "E8EDEE"
PHOTO_WIDTH = Cm(5.2)
# The footer's title in characters: with "· V1 draft" and "Page 12 of 34" it stays on one line
# at 8 pt across the 17 cm between the margins.
FOOTER_TITLE_CHARS = 80


def render_docx(model: ReportModel, out: Path, progress: Progress | None = None) -> Path:
    """Write the report to ``out`` (via a temporary file beside it) and return ``out``."""
    out = Path(out)
    doc, total = _document(model, progress)
    with replacing(out, temp=out.with_name(f".{out.name}.part")) as tmp:
        doc.save(str(tmp))
    if progress is not None:
        progress(total, total, WRITING)
    return out


def render_docx_bytes(model: ReportModel, progress: Progress | None = None) -> bytes:
    """The report as a Word document in memory (see ``pdf.render_pdf_bytes``)."""
    doc, total = _document(model, progress)
    out = io.BytesIO()
    doc.save(out)
    if progress is not None:
        progress(total, total, WRITING)
    return out.getvalue()


def _document(model: ReportModel, progress: Progress | None) -> tuple[Any, int]:
    """The report as a python-docx document, and the progress steps it counts."""
    doc: Any = Document()
    _page_setup(doc, model)
    steps: list[Callable[[], None]] = [
        lambda: _cover(doc, model),
        lambda: _contents(doc, model),
        lambda: _passage(doc, model.introduction),
        lambda: _passage(doc, model.acknowledgements),
        lambda: _services(doc, model),
        lambda: _passage(doc, model.service_users),
        lambda: _heading(doc, model.findings_heading, page_break=True),
    ]
    images = ImageCache(model.open_blob)
    steps += [partial(_findings, doc, comp, images) for comp in model.findings]
    steps += [lambda: _team(doc, model), lambda: _summary(doc, model)]
    steps += [partial(_standards, doc, comp) for comp in model.standards]
    if model.history is not None:
        steps.append(partial(_history, doc, model.history))
    total = len(steps) + 1
    for done, step in enumerate(steps):
        step()
        if progress is not None:
            progress(done + 1, total, WRITING)
    return doc, total


# -- page, styles, header and footer -----------------------------------------------------------


def page_and_styles(doc: Any, width_cm: float, height_cm: float, margin_cm: float) -> None:
    """The page and the text styles every report of ours uses in Word (the visit report, the
    programme overview)."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(width_cm), Cm(height_cm)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margin_cm))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for level, (size, colour) in enumerate([(16, DARK_BLUE), (13, DARK_BLUE), (11, BLUE)], 1):
        style = doc.styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = colour
        style.font.italic = False


def _page_setup(doc: Any, model: ReportModel) -> None:
    page_and_styles(doc, 21, 29.7, 2)
    section = doc.sections[0]
    doc.styles["Caption"].font.color.rgb = GREY
    doc.core_properties.title = model.cover.title
    doc.core_properties.subject = f"{model.cover.programme}: review report {model.cover.version}"
    doc.core_properties.author = model.cover.programme

    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if model.draft:
        run = header.add_run("DRAFT")
        run.bold, run.font.color.rgb = True, RED
    elif model.final:
        run = header.add_run("Final report")
        run.bold, run.font.color.rgb = True, DARK_BLUE

    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(17), alignment=2)  # right
    title = shorten(model.footer_title, FOOTER_TITLE_CHARS)
    status = f" · {model.cover.status}" if model.final else ""
    small = footer.add_run(f"{title} · {model.cover.version}{status}\tPage ")
    small.font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(8)
    _field(footer, "NUMPAGES")
    # Word works out the contents and the page count when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _field(paragraph: Any, instruction: str, shown: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES, TOC...) with ``shown`` as its value until Word updates it."""
    run = paragraph.add_run()
    run.font.size = Pt(8)
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", shown),
        ("end", None),
    ):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def _heading(doc: Any, h: Heading, *, page_break: bool = False) -> None:
    paragraph = doc.add_heading(h.text, level=min(h.level, 2) + 1)
    paragraph.paragraph_format.page_break_before = page_break


# -- parts ----------------------------------------------------------------------------------------


def _cover(doc: Any, model: ReportModel) -> None:
    c = model.cover
    for _ in range(4):
        doc.add_paragraph()
    p = doc.add_paragraph()
    run = p.add_run(c.programme)
    run.font.size, run.font.color.rgb = Pt(12), BLUE
    title = doc.add_paragraph(style="Title")
    title.add_run(c.title).font.color.rgb = DARK_BLUE
    lines = [("Network", c.network)] if c.network else []
    label = "Organisations" if len(c.organisations) > 1 else "Organisation"
    lines += [
        (label, "\n".join(c.organisations)),
        *([("Quality Standards", c.standards)] if c.standards else []),
        ("Date of visit", c.visit_dates),
        ("Date of report", c.report_date),
        ("Version", c.version),
    ]
    if c.final_line:
        lines.append(("Snapshot", c.final_line))
    if c.signed_off:
        lines.append(("Sign-off", c.signed_off))
    if c.status:
        lines.append(("Status", c.status))
    if c.approval:
        lines.append(("Approval", c.approval))
    table = doc.add_table(rows=0, cols=2)
    for key, value in lines:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(key).bold = True
        cells[1].text = value
    _widths(table, [Cm(4), Cm(13)])
    notes = []
    if model.draft:
        notes.append(
            "DRAFT: for checking of factual accuracy by the organisations reviewed. "
            "Not for wider circulation."
        )
    if c.demo:
        notes.append("DEMO: every name and finding in this report is invented.")
    doc.add_paragraph()
    for note in notes:
        doc.add_paragraph().add_run(note).italic = True


def _contents(doc: Any, model: ReportModel) -> None:
    heading = doc.add_paragraph("Contents", style="TOC Heading")
    heading.paragraph_format.page_break_before = True
    # The field's shown text lists the headings, so the contents read well even before Word
    # updates the field with page numbers.
    p = doc.add_paragraph()
    _field(p, 'TOC \\o "1-2" \\h \\z \\u', "")
    for h in model.contents():
        line = doc.add_paragraph(h.text)
        line.paragraph_format.left_indent = Cm(0.8 * h.level)
        line.paragraph_format.space_after = Pt(2)
        if h.level == 0:
            line.runs[0].bold = True


def _passage(doc: Any, passage: Passage) -> None:
    _heading(doc, passage.heading, page_break=passage.heading.number == "1")
    for text in passage.paragraphs:
        p = doc.add_paragraph(text)
        if passage.placeholder:
            p.runs[0].italic = True
            p.runs[0].font.color.rgb = GREY


def _services(doc: Any, model: ReportModel) -> None:
    _heading(doc, model.services_heading)
    header = ["Reviewed as", "Site", "Organisation"]
    rows = [[r.reviewed_as, r.site, r.organisation] for r in model.services]
    widths = [Cm(6), Cm(5), Cm(6)]
    if model.patients_column:  # only when the visit gives patient numbers
        header.append("Patients")
        rows = [[*row, r.patients] for row, r in zip(rows, model.services, strict=True)]
        widths = [Cm(5), Cm(4), Cm(5), Cm(3)]
    _table(doc, header, rows, widths)


def _findings(doc: Any, comp: ComponentFindings, images: ImageCache) -> None:
    _heading(doc, comp.heading)
    for cat in comp.categories:
        _heading(doc, cat.heading)
        if not cat.findings:
            doc.add_paragraph(cat.when_none)
        for f in cat.findings:
            _finding(doc, f, images)


def _finding(doc: Any, f: ReportFinding, images: ImageCache) -> None:
    """One finding: its number and text, its standards and escalation, its photos; each of
    its paragraphs but the last kept with the next, so Word never leaves a "Standard:" line
    or a photo alone at the top of a page."""
    p = doc.add_paragraph()
    p.paragraph_format.left_indent = Cm(0.8)
    p.paragraph_format.first_line_indent = Cm(-0.8)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(0.8))
    p.add_run(f"{f.number}.\t{f.text}")
    lines = [p]
    notes = []
    if f.refs:
        notes.append(("Standard: " if len(f.refs) == 1 else "Standards: ") + ", ".join(f.refs))
    if f.escalation:
        notes.append(f.escalation)
    for note in notes:
        n = doc.add_paragraph()
        n.paragraph_format.left_indent = Cm(0.8)
        run = n.add_run(note)
        run.font.size, run.font.color.rgb = Pt(9), GREY
        lines.append(n)
    if f.photos:
        table = _photos(doc, [(ph.caption, ph.sha256) for ph in f.photos], images)
        lines += _table_paragraphs(table)
    for line in lines[:-1]:
        line.paragraph_format.keep_with_next = True


def _table_paragraphs(table: Any) -> list[Any]:
    """The paragraphs of a table row by row, each row kept whole on its page."""
    out = []
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell in row.cells:
            out += [p for p in cell.paragraphs if p.runs]  # not a row's empty cells
    return out


def _photos(doc: Any, photos: list[tuple[str, str | None]], images: ImageCache) -> Any:
    per_row = 3
    table = doc.add_table(rows=0, cols=per_row)
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    for start in range(0, len(photos), per_row):
        cells = table.add_row().cells
        for cell, (caption, sha) in zip(cells, photos[start : start + per_row], strict=False):
            loaded = images.load(sha) if sha is not None else None
            if loaded is not None:
                run = cell.paragraphs[0].add_run()
                run.add_picture(io.BytesIO(loaded[0]), width=PHOTO_WIDTH)
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                shown = caption
            else:
                shown = f"{caption} (photo not available)"
            cap = cell.add_paragraph(shown, style="Caption")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return table


def _team(doc: Any, model: ReportModel) -> None:
    _heading(doc, model.team_heading, page_break=True)
    rows = [[m.name, m.role, m.organisation] for m in model.team]
    _table(doc, ["Name", "Role", "Organisation"], rows, [Cm(5), Cm(6), Cm(6)])


def _summary(doc: Any, model: ReportModel) -> None:
    _heading(doc, model.appendix2_heading, page_break=True)
    _heading(doc, model.summary_heading)
    rows = [[c.name, str(c.applicable), str(c.met), c.percent_text] for c in model.summary]
    widths = [Cm(9.5), Cm(2.5), Cm(2.5), Cm(2.5)]
    _table(doc, ["Component", "Applicable", "Met", "% met"], rows, widths, numeric_from=1)
    note = doc.add_paragraph()
    run = note.add_run(
        "Applicable: the standards that apply to the service, less those judged not "
        "applicable. % met = met ÷ applicable; “-” where no standard applies."
    )
    run.font.size, run.font.color.rgb = Pt(8.5), GREY


def _standards(doc: Any, comp: ComponentStandards) -> None:
    _heading(doc, comp.heading, page_break=True)
    widths = [Cm(2.2), Cm(5.3), Cm(3.0), Cm(6.5)]
    for section in comp.sections:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(8)
        run = p.add_run(section.section)
        run.bold, run.font.color.rgb, run.font.size = True, GREY, Pt(9)
        rows = [[r.ref, r.title, r.judgement, r.comment] for r in section.rows]
        _table(doc, ["Ref", "Standard", "Team judgement", "Comment"], rows, widths)


def _history(doc: Any, history: VersionHistory) -> None:
    """The version history: each version's date and sign-off, then what changed and why."""
    _heading(doc, history.heading, page_break=True)
    widths = [Cm(3.5), Cm(3), Cm(5.25), Cm(5.25)]
    for entry in history.entries:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(8)
        p.add_run(f"{entry.label}: {entry.date}. {entry.signed_off}.").bold = True
        doc.add_paragraph(entry.summary)
        if entry.accepted:
            doc.add_paragraph().add_run("Comments accepted").bold = True
            rows = [
                [a.item, a.comment_type, a.before, f"{a.after}\n(Reason: {a.reason})"]
                if a.reason
                else [a.item, a.comment_type, a.before, a.after]
                for a in entry.accepted
            ]
            _table(doc, ["Item", "Type of comment", "Before", "After"], rows, widths)
        if entry.declined:
            doc.add_paragraph().add_run("Comments declined").bold = True
            rows = [[d.item, d.comment_type, d.comment, d.reason] for d in entry.declined]
            header = ["Item", "Type of comment", "Provider's comment", "Reason for declining"]
            _table(doc, header, rows, widths)


# -- tables -------------------------------------------------------------------------------------


def _table(
    doc: Any,
    header: list[str],
    rows: list[list[str]],
    widths: list[Any],
    *,
    numeric_from: int | None = None,
) -> Any:
    """A bordered table with a shaded header row that Word repeats on every page."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    head = table.rows[0]
    _repeat_header(head)
    for cell, label in zip(head.cells, header, strict=True):
        cell.paragraphs[0].add_run(label).bold = True
        _shade(cell, HEADER_FILL)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    if numeric_from is not None:
        for row in table.rows:
            for cell in row.cells[numeric_from:]:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _widths(table, widths)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    return table


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _shade(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _widths(table: Any, widths: list[Any]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
