"""The programme overview as a Word document, from the same model as the PDF and in the visit
report's look (:mod:`reviewer_app.report.docx`: its fonts, colours, shaded header rows that
Word repeats on every page, "Page X of Y" fields).

The heat map has tens of thousands of cells at 50 visits; python-docx's cell objects cost
about a millisecond each, so its tables are written as WordprocessingML and parsed once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from reviewer_app.report.docx import (
    BLUE,
    DARK_BLUE,
    GREY,
    HEADER_FILL,
    _field,
    page_and_styles,
)
from reviewer_app.report.programme import (
    CELL_CM,
    FILLS,
    LABEL_CM,
    MARGIN_CM,
    NOT_MET,
    PCT_CM,
    REF_CM,
    SYMBOLS,
    WORDS,
    ProgrammeOverview,
    RiskLine,
    heat_map_layout,
)
from reviewer_app.report.texts import WRITING, shorten
from storage.files import replacing
from sync.progress import Progress

DXA_PER_CM = 567  # twentieths of a point
SECTION_FILL = "F4F6F7"


def render(model: ProgrammeOverview, out: Path, progress: Progress | None = None) -> Path:
    """Write the overview to ``out`` (via a temporary file beside it) and return ``out``."""
    out = Path(out)
    doc: Any = Document()
    _page_setup(doc, model)
    steps = [
        _title_page,
        _visits,
        _organisations,
        _heat_map,
        _most_not_met,
        _good_practice,
        _risks,
    ]
    total = len(steps) + 1
    for done, step in enumerate(steps, start=1):
        step(doc, model)
        if progress is not None:
            progress(done, total, WRITING)
    with replacing(out, temp=out.with_name(f".{out.name}.part")) as tmp:
        doc.save(str(tmp))
    if progress is not None:
        progress(total, total, WRITING)
    return out


def _page_setup(doc: Any, model: ProgrammeOverview) -> None:
    width, height = model.page_cm
    if model.landscape:
        doc.sections[0].orientation = WD_ORIENT.LANDSCAPE
    page_and_styles(doc, width, height, MARGIN_CM)
    section = doc.sections[0]
    _heat_styles(doc)
    doc.core_properties.title = f"{model.programme}: {model.title}"
    doc.core_properties.subject = model.title
    doc.core_properties.author = model.programme
    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(model.frame_cm), alignment=2)  # right
    title = shorten(f"{model.programme}: {model.title}", 100 if model.landscape else 80)
    footer.add_run(f"{title}\tPage ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(8)
    _field(footer, "NUMPAGES")
    update = OxmlElement("w:updateFields")  # Word counts the pages when the file is opened
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


# The heat map's paragraph styles (name, alignment, bold): its 75,000 cells name a style
# rather than carry their own size, spacing and alignment (a third of the XML).
HEAT_STYLES = {
    "left": ("Heat map", WD_ALIGN_PARAGRAPH.LEFT, False),
    "centre": ("Heat map centre", WD_ALIGN_PARAGRAPH.CENTER, False),
    "right": ("Heat map right", WD_ALIGN_PARAGRAPH.RIGHT, False),
    "not_met": ("Heat map not met", WD_ALIGN_PARAGRAPH.CENTER, True),
}


def _heat_styles(doc: Any) -> None:
    for name, alignment, bold in HEAT_STYLES.values():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.size = Pt(6.5)
        style.font.bold = bold
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.alignment = alignment


def _style_ids(doc: Any) -> dict[str, str]:
    return {key: doc.styles[name].style_id for key, (name, _a, _b) in HEAT_STYLES.items()}


def _heading(doc: Any, text: str, level: int = 1, *, page_break: bool = False) -> None:
    paragraph = doc.add_heading(text, level=level)
    paragraph.paragraph_format.page_break_before = page_break


def _note(doc: Any, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.font.size, run.font.color.rgb = Pt(8.5), GREY


def _title_page(doc: Any, model: ProgrammeOverview) -> None:
    for _ in range(2 if model.landscape else 4):
        doc.add_paragraph()
    run = doc.add_paragraph().add_run(model.programme)
    run.font.size, run.font.color.rgb = Pt(12), BLUE
    doc.add_paragraph(style="Title").add_run(model.title).font.color.rgb = DARK_BLUE
    doc.add_paragraph(
        "Compliance with the Quality Standards across the organisations reviewed, the standards "
        "most often not met, good practice worth spreading, and the immediate risks and serious "
        "concerns, for the quality assurance group."
    )
    applicable, met, percent = model.totals
    lines = [
        ("Programme", model.programme),
        ("Date of report", model.report_date),
        ("Visits included", str(len(model.visits))),
        ("Organisations", str(len(model.organisations))),
        ("Standards met", f"{met} of {applicable} applicable ({percent})"),
    ]
    table = doc.add_table(rows=0, cols=2)
    for key, value in lines:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(key).bold = True
        cells[1].text = value
    doc.add_heading("The visits included", level=3)
    room = 5 if model.landscape else 14  # lines the title page has room for, as in the PDF
    shown = model.visits if len(model.visits) <= room else model.visits[: room - 1]
    for v in shown:
        p = doc.add_paragraph(f"{v.letter}. {v.title}, {v.dates} ({v.version})")
        p.paragraph_format.space_after = Pt(0)
    if len(shown) < len(model.visits):
        more = doc.add_paragraph(f"and {len(model.visits) - len(shown)} more (chapter 1)")
        more.runs[0].italic = True


def _visits(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "1. Visits included", page_break=True)
    rows = [[v.letter, v.title, v.organisations, v.dates, v.version, v.state] for v in model.visits]
    rest = model.frame_cm - 0.8 - 4 - 1.6 - 2.2
    widths = [0.8, rest * 0.55, rest * 0.45, 4, 1.6, 2.2]
    _table(doc, ["", "Visit", "Organisations", "Dates", "Version", "State"], rows, widths)


def _organisations(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "2. Compliance by organisation")
    rows = [
        [o.organisation, str(o.visits), str(o.applicable), str(o.met), str(o.not_met), o.percent]
        for o in model.organisations
    ]
    num = 2.2
    widths = [model.frame_cm - 5 * num, *[num] * 5]
    header = ["Organisation", "Visits", "Applicable", "Met", "Not met", "% met"]
    _table(doc, header, rows, widths, numeric_from=1)
    _note(
        doc,
        "Applicable: the standards that apply, less those judged not applicable; a standard not "
        "yet assessed counts as applicable and not met. % met = met ÷ applicable; “-” where no "
        "standard applies. The figures are each visit's own, added up.",
    )
    doc.add_heading("Each organisation and component (the columns of chapter 3)", level=3)
    rows = [
        [c.code, c.organisation, c.component, str(c.applicable), str(c.met), c.percent]
        for c in model.columns
    ]
    rest = model.frame_cm - 1.6 - 3 * num
    widths = [1.6, rest * 0.55, rest * 0.45, num, num, num]
    header = ["Column", "Organisation", "Component", "Applicable", "Met", "% met"]
    _table(doc, header, rows, widths, numeric_from=3)


# -- the heat map, as WordprocessingML ------------------------------------------------------------


def _heat_map(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "3. Compliance with each standard", page_break=True)
    doc.add_paragraph(
        "One row per standard, grouped by section, with its % met across every column of the "
        "programme; then one column per organisation and component reviewed (chapter 2 names "
        "each column, with its figures)."
    )
    doc.add_paragraph(
        "Key: "
        + "; ".join(f"{SYMBOLS[v]} {w.lower()}" for v, w in WORDS.items())
        + "; blank: the standard does not apply."
    )
    if not model.columns:
        doc.add_paragraph("No visit is included.")
        return
    title_cm, per_group = heat_map_layout(model.frame_cm, len(model.columns))
    groups = model.column_groups(per_group)
    for n, group in enumerate(groups, start=1):
        if len(groups) > 1:
            first, last = model.columns[group.indices[0]], model.columns[group.indices[-1]]
            heading = f"Columns {first.code} to {last.code} ({n} of {len(groups)})"
            _heading(doc, heading, level=3, page_break=n > 1)
        _append(doc, _group_xml(model, group.indices, title_cm, _style_ids(doc)))
        doc.add_paragraph()


def _dxa(value_cm: float) -> int:
    return round(value_cm * DXA_PER_CM)


def _cell(
    text: str,
    width: int,
    *,
    fill: str | None = None,
    bold: bool = False,
    centre: bool = False,
    right: bool = False,
    span: int = 1,
    turned: bool = False,
    size: int = 13,  # half-points
    colour: str | None = None,
) -> str:
    pr = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
    if span > 1:
        pr.append(f'<w:gridSpan w:val="{span}"/>')
    if fill:
        pr.append(f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>')
    if turned:
        pr.append('<w:textDirection w:val="btLr"/><w:vAlign w:val="bottom"/>')
    else:
        pr.append('<w:vAlign w:val="center"/>')
    jc = '<w:jc w:val="center"/>' if centre else '<w:jc w:val="right"/>' if right else ""
    # CT_RPr's order: b, then color, then sz (Word refuses a file out of order).
    rpr = ("<w:b/>" if bold else "") + (f'<w:color w:val="{colour}"/>' if colour else "")
    rpr += f'<w:sz w:val="{size}"/>'
    runs = "".join(
        f'<w:r><w:rPr>{rpr}</w:rPr>{"<w:br/>" if k else ""}<w:t xml:space="preserve">'
        f"{escape(line)}</w:t></w:r>"
        for k, line in enumerate(text.split("\n"))
    )
    return (
        f"<w:tc><w:tcPr>{''.join(pr)}</w:tcPr>"
        f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/>{jc}</w:pPr>{runs}</w:p></w:tc>'
    )


def _styled(text: str, style: str, fill: str | None = None) -> str:
    """A heat map cell: its paragraph style, a fill, the text (widths come from the grid)."""
    shading = (
        f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:tcPr>' if fill else ""
    )
    run = f"<w:r><w:t>{escape(text)}</w:t></w:r>" if text else ""
    return f'<w:tc>{shading}<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}</w:p></w:tc>'


def _group_xml(
    model: ProgrammeOverview, indices: tuple[int, ...], title_cm: float, styles: dict[str, str]
) -> str:
    """One column group of the heat map: ref, standard, % met, then a cell per column. A cell
    of a kind is the same XML wherever it is: made once."""
    columns = [model.columns[i] for i in indices]
    ref_w, title_w, cell_w, pct_w = (_dxa(v) for v in (REF_CM, title_cm, CELL_CM, PCT_CM))
    widths = [ref_w, title_w, pct_w, *[cell_w] * len(columns)]
    head = "<w:trPr><w:tblHeader/><w:cantSplit/>{}</w:trPr>"
    rows = [
        "<w:tr>"
        + head.format(f'<w:trHeight w:val="{_dxa(LABEL_CM)}" w:hRule="atLeast"/>')
        + _cell("Ref", ref_w, fill=HEADER_FILL, bold=True)
        + _cell("Standard", title_w, fill=HEADER_FILL, bold=True)
        + _cell("% met", pct_w, fill=HEADER_FILL, bold=True, right=True)
        + "".join(
            _cell(
                f"{_short(c.organisation)}\n{_short(c.component)}",
                cell_w,
                fill=HEADER_FILL,
                turned=True,
                size=12,
            )
            for c in columns
        )
        + "</w:tr>",
        "<w:tr>"
        + head.format("")
        + _cell("", ref_w, fill=HEADER_FILL)
        + _cell("Column / % met in it", title_w, fill=HEADER_FILL, bold=True)
        + _cell("", pct_w, fill=HEADER_FILL)
        + "".join(
            _cell(
                f"{c.code}\n{c.percent.rstrip('%')}",
                cell_w,
                fill=HEADER_FILL,
                bold=True,
                centre=True,
                size=12,
            )
            for c in columns
        )
        + "</w:tr>",
    ]
    kinds = {
        value: _styled(
            symbol,
            styles["not_met" if value == NOT_MET else "centre"],
            FILLS[value].lstrip("#"),
        )
        for value, symbol in SYMBOLS.items()
    }
    blank = _styled("", styles["centre"])
    row_start = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
    for section in model.sections:
        rows.append(
            row_start
            + _cell(
                section.section,
                sum(widths),
                fill=SECTION_FILL,
                bold=True,
                span=len(widths),
                colour="4C6272",
            )
            + "</w:tr>"
        )
        for row in section.rows:
            rows.append(
                row_start
                + _styled(row.ref, styles["left"])
                + _styled(row.title, styles["left"])
                + _styled(row.percent, styles["right"])
                + "".join(kinds.get(row.cells[i] or "", blank) for i in indices)
                + "</w:tr>"
            )
    return _table_xml(widths, rows, cell_margin=40)


def _table_xml(widths: list[int], rows: list[str], *, cell_margin: int = 80) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    border = 'w:val="single" w:sz="2" w:space="0" w:color="AEB7BD"'
    borders = "".join(
        f"<w:{side} {border}/>" for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    margins = "".join(f'<w:{side} w:w="{cell_margin}" w:type="dxa"/>' for side in ("left", "right"))
    return (
        f"<w:tbl {nsdecls('w')}><w:tblPr>"
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblBorders>{borders}</w:tblBorders>'
        f'<w:tblLayout w:type="fixed"/><w:tblCellMar>{margins}</w:tblCellMar>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )


def _table(
    doc: Any,
    header: list[str],
    rows: list[list[str]],
    widths_cm: list[float],
    *,
    numeric_from: int | None = None,
) -> None:
    """A table in the look of the visit report's (:func:`reviewer_app.report.docx._table`: a
    shaded header row Word repeats on every page, 9 pt text), written as XML: python-docx's
    cells cost a millisecond each."""
    widths = [_dxa(w) for w in widths_cm]

    def right(k: int) -> bool:
        return numeric_from is not None and k >= numeric_from

    xml_rows = [
        "<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"
        + "".join(
            _cell(label, w, fill=HEADER_FILL, bold=True, right=right(k), size=18)
            for k, (label, w) in enumerate(zip(header, widths, strict=True))
        )
        + "</w:tr>"
    ]
    for values in rows:
        xml_rows.append(
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
            + "".join(
                _cell(v, w, right=right(k), size=18)
                for k, (v, w) in enumerate(zip(values, widths, strict=True))
            )
            + "</w:tr>"
        )
    _append(doc, _table_xml(widths, xml_rows))


def _append(doc: Any, xml: str) -> None:
    """Put a table written as XML at the end of the document's body (before its section
    properties, which end the body)."""
    body = doc.element.body
    body.insert(len(body) - 1, parse_xml(xml))


def _short(text: str) -> str:
    # About as many characters as the turned label's height holds at 6 pt.
    return shorten(text, 34)


# -- themes and risks ---------------------------------------------------------------------------


def _most_not_met(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "4. The standards most often not met", page_break=True)
    if not model.most_not_met:
        doc.add_paragraph("No standard was judged not met.")
        return
    rows = [
        [m.ref, m.title, m.section, str(m.not_met), str(m.applicable), m.organisations]
        for m in model.most_not_met
    ]
    rest = model.frame_cm - 2.2 - 3.0
    widths = [2.2, rest * 0.42, rest * 0.2, 1.5, 1.5, rest * 0.38]
    _table(doc, ["Ref", "Standard", "Section", "Not met", "Of", "Not met by"], rows, widths)
    _note(
        doc,
        "Not met: in how many columns (organisation and component) the standard was judged not "
        "met; Of: in how many it applied.",
    )


def _good_practice(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "5. Good practice worth spreading")
    if not model.good_practice:
        doc.add_paragraph("No good practice was recorded in the visits included.")
        return
    current = None
    for n, g in enumerate(model.good_practice, start=1):
        if g.organisation != current:
            current = g.organisation
            doc.add_heading(g.organisation, level=3)
        p = doc.add_paragraph()
        p.paragraph_format.left_indent = Cm(0.8)
        p.paragraph_format.first_line_indent = Cm(-0.8)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(0.8))
        p.paragraph_format.keep_with_next = True
        p.add_run(f"{n}.\t{g.text}")
        note = doc.add_paragraph()
        note.paragraph_format.left_indent = Cm(0.8)
        run = note.add_run(g.where + (f". Standards: {g.refs}" if g.refs else ""))
        run.font.size, run.font.color.rgb = Pt(9), GREY


def _risks(doc: Any, model: ProgrammeOverview) -> None:
    _heading(doc, "6. Immediate risks and serious concerns", page_break=True)
    risk_tables(doc, list(model.risks), model.frame_cm, "No immediate risks or serious concerns.")


def risk_tables(doc: Any, risks: list[RiskLine], frame_cm: float, none: str) -> None:
    """Per organisation, a table of its immediate risks and serious concerns."""
    if not risks:
        doc.add_paragraph(none)
        return
    by_org: dict[str, list[RiskLine]] = {}
    for r in risks:
        by_org.setdefault(r.organisation, []).append(r)
    rest = frame_cm - 2.6 - 3.2
    widths = [rest * 0.5, 2.6, rest * 0.3, 3.2, rest * 0.2]
    header = ["What was found", "Found", "Who was told, when", "Written confirmation", "Status"]
    for org, items in by_org.items():
        doc.add_heading(org, level=3)
        rows = [
            [
                f"{r.category}: {r.text}\n{r.where}" + (f". Standards: {r.refs}" if r.refs else ""),
                r.found,
                r.told or "–",
                r.confirmation or "–",
                r.status,
            ]
            for r in items
        ]
        _table(doc, header, rows, widths)
