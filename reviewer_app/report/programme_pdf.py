"""The programme overview as a PDF, in the visit report's look (:mod:`pdf_kit`).

A4, landscape when the compliance table has many columns. A title page (programme, date, the
visits included), then: the visits; compliance by organisation and by column; compliance with
each standard (the heat map, column group by column group, its header rows repeated on every
page); the standards most often not met; good practice worth spreading; immediate risks and
serious concerns by organisation. "Page X of Y" on every page.

The heat map is drawn by :mod:`programme_heatmap` (a Table would take most of a minute at 50
visits of 500 standards).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from reviewer_app.report import pdf_kit as kit
from reviewer_app.report.programme import (
    CELL_CM,
    FILLS,
    LABEL_CM,
    PCT_CM,
    REF_CM,
    SYMBOLS,
    WORDS,
    ProgrammeOverview,
    RiskLine,
    heat_map_layout,
)
from reviewer_app.report.programme_heatmap import Geometry, HeatMap, map_rows
from reviewer_app.report.texts import WRITING
from storage.files import replacing
from sync.progress import Progress

REF_W = REF_CM * cm
PCT_W = PCT_CM * cm
CELL_W = CELL_CM * cm
LABEL_H = LABEL_CM * cm
CELL_SIZE = 6.5


def page_size(model: ProgrammeOverview) -> tuple[float, float]:
    size: tuple[float, float] = landscape(A4) if model.landscape else A4
    return size


class Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    """A document of the programme's (overview, QSG summary): the visit report's margins, a
    bookmark per chapter heading, progress as flowables are laid out."""

    def __init__(
        self,
        out: Path,
        size: tuple[float, float],
        programme: str,
        title: str,
        progress: Progress | None,
    ) -> None:
        width, height = size
        super().__init__(
            str(out),
            pagesize=(width, height),
            leftMargin=kit.MARGIN,
            rightMargin=kit.MARGIN,
            topMargin=kit.MARGIN,
            bottomMargin=2.2 * cm,
            title=f"{programme}: {title}",
            subject=title,
            author=programme,
            creator="Reviewer App",
        )
        self.frame_width = width - 2 * kit.MARGIN
        frame = Frame(
            kit.MARGIN,
            2.2 * cm,
            self.frame_width,
            height - kit.MARGIN - 2.2 * cm,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.progress = progress
        self.done = 0
        self.total = 1
        self.addPageTemplates([PageTemplate("page", [frame])])

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        if isinstance(flowable, Heading):
            key = f"h{self.seq.nextf('heading')}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.plain, key, level=0)
        if self.progress is not None:
            self.done += 1
            self.progress(min(self.done, self.total - 1), self.total, WRITING)


class Heading(Paragraph):  # type: ignore[misc]
    """A chapter heading, also a PDF bookmark."""

    def __init__(self, plain: str, style: Any) -> None:
        super().__init__(kit.text(plain), style)
        self.plain = plain


def render(model: ProgrammeOverview, out: Path, progress: Progress | None = None) -> Path:
    """Write the overview to ``out`` (via a temporary file beside it) and return ``out``."""
    kit.register_fonts()
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    doc = Doc(tmp, page_size(model), model.programme, model.title, progress)
    return build(doc, out, _story(model, doc.frame_width), f"{model.programme}: {model.title}")


def build(doc: Doc, out: Path, story: list[Flowable], footer: str) -> Path:
    """Lay ``story`` out into ``doc`` (written beside ``out``, then renamed) with the footer
    (none on the title page) and "Page X of Y"."""
    doc.total = len(story) + 1

    def decorate(canvas: Canvas, page: int, pages: int) -> None:
        draw_footer(canvas, "" if page == 1 else footer, page, pages)

    with replacing(out, temp=Path(doc.filename)):
        doc.build(story, canvasmaker=kit.paged_canvas(decorate))
    if doc.progress is not None:
        doc.progress(doc.total, doc.total, WRITING)
    return out


def draw_footer(canvas: Canvas, left: str, page: int, pages: int) -> None:
    """:func:`pdf_kit.draw_footer` for a page of any size (this document may be landscape)."""
    width, _height = canvas._pagesize
    canvas.saveState()
    canvas.setStrokeColor(kit.RULE)
    canvas.setLineWidth(0.5)
    canvas.line(kit.MARGIN, 1.45 * cm, width - kit.MARGIN, 1.45 * cm)
    canvas.setFont(kit.FONT, kit.FOOTER_SIZE)
    canvas.setFillColor(kit.GREY)
    canvas.drawString(kit.MARGIN, 1.0 * cm, kit.footer_text(left))
    canvas.drawRightString(width - kit.MARGIN, 1.0 * cm, f"Page {page} of {pages}")
    canvas.restoreState()


# -- the story ----------------------------------------------------------------------------------


def p(value: str, style: Any) -> Paragraph:
    return Paragraph(kit.text(value), style)


def h(value: str, st: dict[str, Any], level: int = 1) -> Flowable:
    style = st["h1"] if level == 1 else st["h2"]
    style.keepWithNext = True
    return Heading(value, style) if level == 1 else p(value, style)


def _story(model: ProgrammeOverview, width: float) -> list[Flowable]:
    st = kit.styles()
    story: list[Flowable] = _title_page(model, st, width)
    story += [PageBreak(), h("1. Visits included", st), _visits(model, st, width)]
    story += [CondPageBreak(6 * cm), h("2. Compliance by organisation", st)]
    story += _organisations(model, st, width)
    story += [PageBreak(), h("3. Compliance with each standard", st)]
    story += _heat_map(model, st, width)
    story += [PageBreak(), h("4. The standards most often not met", st)]
    story += _most_not_met(model, st, width)
    story += [CondPageBreak(6 * cm), h("5. Good practice worth spreading", st)]
    story += _good_practice(model, st)
    story += [PageBreak(), h("6. Immediate risks and serious concerns", st)]
    story += risk_tables(
        list(model.risks), st, width, none="No immediate risks or serious concerns."
    )
    return story


def _title_page(model: ProgrammeOverview, st: dict[str, Any], width: float) -> list[Flowable]:
    applicable, met, percent = model.totals
    lines = [
        ("Programme", model.programme),
        ("Date of report", model.report_date),
        ("Visits included", str(len(model.visits))),
        ("Organisations", str(len(model.organisations))),
        ("Standards met", f"{met} of {applicable} applicable ({percent})"),
    ]
    details = kit.cover_details(lines, st, width)
    out: list[Flowable] = [
        Spacer(1, 1.5 * cm),
        p(model.programme, st["cover_programme"]),
        p(model.title, st["cover_title"]),
        p(
            "Compliance with the Quality Standards across the organisations reviewed, the "
            "standards most often not met, good practice worth spreading, and the immediate "
            "risks and serious concerns, for the quality assurance group.",
            st["body"],
        ),
        Spacer(1, 0.4 * cm),
        details,
        Spacer(1, 0.6 * cm),
        p("The visits included", st["h2"]),
    ]
    shown = [
        [p(f"{v.letter}. {v.title}", st["cell"]), p(v.dates, st["cell"]), v.version]
        for v in model.visits
    ]
    room = 5 if model.landscape else 14  # lines the title page has room for
    if len(shown) > room:  # the full list is in chapter 1
        more = len(shown) - room + 1
        shown = [*shown[: room - 1], [p(f"and {more} more (chapter 1)", st["muted"]), "", ""]]
    out.append(
        kit.table([["Visit", "Dates", "Version"], *shown], [width - 7.5 * cm, 5.5 * cm, 2 * cm])
    )
    return out


def _visits(model: ProgrammeOverview, st: dict[str, Any], width: float) -> Flowable:
    rows: list[list[Any]] = [["", "Visit", "Organisations", "Dates", "Version", "State"]]
    for v in model.visits:
        rows.append(
            [
                v.letter,
                p(v.title, st["cell"]),
                p(v.organisations, st["cell"]),
                p(v.dates, st["cell"]),
                v.version,
                v.state,
            ]
        )
    fixed = 0.8 * cm + 4 * cm + 1.6 * cm + 2.0 * cm
    rest = width - fixed
    return kit.table(rows, [0.8 * cm, rest * 0.55, rest * 0.45, 4 * cm, 1.6 * cm, 2.0 * cm])


def _organisations(model: ProgrammeOverview, st: dict[str, Any], width: float) -> list[Flowable]:
    rows: list[list[Any]] = [["Organisation", "Visits", "Applicable", "Met", "Not met", "% met"]]
    for o in model.organisations:
        rows.append(
            [
                p(o.organisation, st["cell"]),
                str(o.visits),
                str(o.applicable),
                str(o.met),
                str(o.not_met),
                o.percent,
            ]
        )
    num = 2.2 * cm
    out: list[Flowable] = [kit.table(rows, [width - 5 * num, *[num] * 5], numeric_from=1)]
    out += [
        Spacer(1, 4),
        p(
            "Applicable: the standards that apply, less those judged not applicable; a standard "
            "not yet assessed counts as applicable and not met. % met = met ÷ applicable; “-” "
            "where no standard applies. The figures are each visit's own, added up.",
            st["muted"],
        ),
        h("Each organisation and component (the columns of chapter 3)", st, level=2),
    ]
    cols: list[list[Any]] = [["Column", "Organisation", "Component", "Applicable", "Met", "% met"]]
    for c in model.columns:
        cols.append(
            [
                c.code,
                p(c.organisation, st["cell"]),
                p(c.component, st["cell"]),
                str(c.applicable),
                str(c.met),
                c.percent,
            ]
        )
    rest = width - 1.6 * cm - 3 * num
    out.append(kit.table(cols, [1.6 * cm, rest * 0.55, rest * 0.45, num, num, num], numeric_from=3))
    return out


# -- the heat map -------------------------------------------------------------------------------


def _legend() -> Flowable:
    cells = []
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), kit.FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ]
    for i, (value, word) in enumerate(WORDS.items()):
        cells += [SYMBOLS[value], word]
        style += [
            ("BACKGROUND", (2 * i, 0), (2 * i, 0), colors.HexColor(FILLS[value])),
            ("BOX", (2 * i, 0), (2 * i, 0), 0.25, kit.RULE),
            ("ALIGN", (2 * i, 0), (2 * i, 0), "CENTER"),
        ]
    cells += ["", "blank: the standard does not apply"]
    style.append(("BOX", (8, 0), (8, 0), 0.25, kit.RULE))
    t = Table(
        [cells],
        colWidths=[0.6 * cm, 2.6 * cm] * 4 + [0.6 * cm, 5.5 * cm],
        hAlign="LEFT",
    )
    t.setStyle(TableStyle(style))
    return t


def _heat_map(model: ProgrammeOverview, st: dict[str, Any], width: float) -> list[Flowable]:
    out: list[Flowable] = [
        p(
            "One row per standard, grouped by section, with its % met across every column of "
            "the programme; then one column per organisation and component reviewed (chapter 2 "
            "names each column, with its figures).",
            st["body"],
        ),
        _legend(),
        Spacer(1, 6),
    ]
    title_cm, per_group = heat_map_layout(width / cm, len(model.columns))
    geometry = Geometry(REF_W, title_cm * cm, CELL_W, PCT_W, LABEL_H)
    groups = model.column_groups(per_group)
    if not model.columns:
        return [*out, p("No visit is included.", st["body"])]
    rows = map_rows(model, REF_W, geometry.title_w)
    for n, group in enumerate(groups, start=1):
        if n > 1:
            out.append(PageBreak())
        first, last = model.columns[group.indices[0]], model.columns[group.indices[-1]]
        if len(groups) > 1:
            # Not kept with the table (too tall to keep with anything): the table splits.
            style = ParagraphStyle("group", parent=st["h2"], keepWithNext=False)
            out.append(p(f"Columns {first.code} to {last.code} ({n} of {len(groups)})", style))
        out.append(HeatMap(model.columns, group.indices, rows, geometry))
    return out


# -- themes and risks ---------------------------------------------------------------------------


def _most_not_met(model: ProgrammeOverview, st: dict[str, Any], width: float) -> list[Flowable]:
    if not model.most_not_met:
        return [p("No standard was judged not met.", st["body"])]
    rows: list[list[Any]] = [["Ref", "Standard", "Section", "Not met", "Of", "Not met by"]]
    for m in model.most_not_met:
        rows.append(
            [
                p(m.ref, st["cell"]),
                p(m.title, st["cell"]),
                p(m.section, st["cell"]),
                str(m.not_met),
                str(m.applicable),
                p(m.organisations, st["cell"]),
            ]
        )
    rest = width - 2.2 * cm - 2 * 1.5 * cm
    widths = [2.2 * cm, rest * 0.42, rest * 0.2, 1.5 * cm, 1.5 * cm, rest * 0.38]
    note = p(
        "Not met: in how many columns (organisation and component) the standard was judged "
        "not met; Of: in how many it applied.",
        st["muted"],
    )
    return [
        kit.table(rows, widths, extra=[("ALIGN", (3, 0), (4, -1), "RIGHT")]),
        Spacer(1, 4),
        note,
    ]


def _good_practice(model: ProgrammeOverview, st: dict[str, Any]) -> list[Flowable]:
    if not model.good_practice:
        return [p("No good practice was recorded in the visits included.", st["body"])]
    out: list[Flowable] = []
    current = None
    for n, g in enumerate(model.good_practice, start=1):
        parts: list[Flowable] = []
        if g.organisation != current:
            current = g.organisation
            parts.append(h(g.organisation, st, level=2))
        parts.append(Paragraph(kit.text(g.text), st["finding"], bulletText=f"{n}."))
        note = g.where + (f". Standards: {g.refs}" if g.refs else "")
        parts.append(p(note, st["finding_note"]))
        out.append(KeepTogether(parts))
    return out


def risk_tables(
    risks: list[RiskLine], st: dict[str, Any], width: float, *, none: str
) -> list[Flowable]:
    """Per organisation, a table of its immediate risks and serious concerns (shared with the
    QSG summary)."""
    if not risks:
        return [p(none, st["body"])]
    out: list[Flowable] = []
    by_org: dict[str, list[RiskLine]] = {}
    for r in risks:
        by_org.setdefault(r.organisation, []).append(r)
    header = ["What was found", "Found", "Who was told, when", "Written confirmation", "Status"]
    rest = width - 2.6 * cm - 3.2 * cm
    widths = [rest * 0.5, 2.6 * cm, rest * 0.3, 3.2 * cm, rest * 0.2]
    for org, items in by_org.items():
        rows: list[list[Any]] = [header]
        for r in items:
            found = f"<b>{kit.text(r.category)}</b>: {kit.text(r.text)}"
            found += f"<br/><font color='#4C6272'>{kit.text(r.where)}</font>"
            if r.refs:
                found += f"<font color='#4C6272'>. Standards: {kit.text(r.refs)}</font>"
            rows.append(
                [
                    Paragraph(found, st["cell"]),
                    p(r.found, st["cell"]),
                    p(r.told or "–", st["cell"]),
                    p(r.confirmation or "–", st["cell"]),
                    p(r.status, st["cell_bold"] if r.category == "Immediate risk" else st["cell"]),
                ]
            )
        out += [CondPageBreak(4 * cm), h(org, st, level=2), kit.table(rows, widths)]
    return out
