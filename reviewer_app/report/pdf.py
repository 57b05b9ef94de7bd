"""The report as a PDF (reportlab platypus), laid out like a published NHS quality review report.

A4; a cover; a contents page with page numbers (two layout passes: ``multiBuild``); chapters
numbered as the model numbers them, each also a PDF bookmark; numbered findings with their
standards and photos; tables whose header row repeats on every page. A draft says DRAFT on every
page (a pale diagonal word behind the text and a red mark at the top); a finalised version says
neither, and shows its version and snapshot hash on the cover instead, and its version history
(an appendix). The final report (an approved version) also says "Final" at the top of every page
and in the footer, and its approval on the cover.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO

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
)
from reportlab.platypus.tableofcontents import TableOfContents

from reviewer_app.report import pdf_kit as kit
from reviewer_app.report.images import ImageCache
from reviewer_app.report.model import (
    ComponentFindings,
    ComponentStandards,
    Heading,
    Passage,
    ReportFinding,
    ReportModel,
    VersionEntry,
    VersionHistory,
)
from reviewer_app.report.texts import WRITING
from storage.files import replacing
from sync.progress import Progress

DRAFT_MARK = "DRAFT"
FINAL_MARK = "Final report"


class _HeadingParagraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A heading that the document turns into a bookmark and a contents line."""

    def __init__(self, heading: Heading, style: Any) -> None:
        super().__init__(kit.text(heading.text), style)
        self.heading = heading


class _ReportDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, out: str | BinaryIO, model: ReportModel, progress: Progress | None) -> None:
        super().__init__(
            out,
            pagesize=(kit.PAGE_WIDTH, kit.PAGE_HEIGHT),
            leftMargin=kit.MARGIN,
            rightMargin=kit.MARGIN,
            topMargin=kit.MARGIN,
            bottomMargin=2.2 * cm,
            title=model.cover.title,
            subject=f"{model.cover.programme}: review report {model.cover.version}",
            author=model.cover.programme,
            creator="Reviewer App",
        )
        frame = Frame(
            kit.MARGIN,
            2.2 * cm,
            kit.FRAME_WIDTH,
            kit.PAGE_HEIGHT - kit.MARGIN - 2.2 * cm,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.model = model
        self.progress = progress
        self.done = 0
        self.total = 1
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._on_page)])

    def _on_page(self, canvas: Canvas, _doc: Any) -> None:
        if self.model.draft:
            kit.draw_watermark(canvas, DRAFT_MARK)

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        if isinstance(flowable, _HeadingParagraph):
            h = flowable.heading
            self.canv.bookmarkPage(h.key)
            self.canv.addOutlineEntry(h.text, h.key, level=h.level, closed=h.level > 0)
            if h.level <= 1:
                self.notify("TOCEntry", (h.level, h.text, self.page, h.key))
        if self.progress is not None:
            self.done += 1
            self.progress(min(self.done, self.total - 1), self.total, WRITING)


def render_pdf(model: ReportModel, out: Path, progress: Progress | None = None) -> Path:
    """Write the report to ``out`` (via a temporary file beside it) and return ``out``."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    with replacing(out, temp=tmp):
        _render(model, str(tmp), progress)
    return out


def render_pdf_bytes(model: ReportModel, progress: Progress | None = None) -> bytes:
    """The report as a PDF in memory, for a file that must not be on disk in the clear (a
    finalised version's report goes straight into the visit's sealed store)."""
    out = _LastWrite()
    _render(model, out, progress)
    return out.getvalue()


class _LastWrite(io.BytesIO):
    """Keeps only the last ``write``: each of reportlab's layout passes saves the whole
    document in one write (``multiBuild``), and only the last pass's is the document."""

    def write(self, data: Any) -> int:
        self.seek(0)
        self.truncate()
        return super().write(data)


def _render(model: ReportModel, out: str | BinaryIO, progress: Progress | None) -> None:
    kit.register_fonts()
    story = _story(model, ImageCache(model.open_blob))
    doc = _ReportDoc(out, model, progress)
    doc.total = 2 * len(story) + 1  # two layout passes, then saving

    def decorate(canvas: Canvas, page: int, pages: int) -> None:
        mark = DRAFT_MARK if model.draft else ""
        if page == 1:
            kit.draw_footer(canvas, "", page, pages, mark)
        else:
            suffix = f" · {model.cover.version}"
            if model.final:
                suffix += f" · {model.cover.status}"
            kit.draw_footer(canvas, model.footer_title, page, pages, mark, suffix=suffix)
        if model.final:
            _final_mark(canvas)

    doc.multiBuild(story, canvasmaker=kit.paged_canvas(decorate))
    if progress is not None:
        progress(doc.total, doc.total, WRITING)


def _final_mark(canvas: Canvas) -> None:
    """ "Final report" at the top right of every page, where a draft says DRAFT."""
    canvas.saveState()
    canvas.setFont(kit.FONT_BOLD, 9)
    canvas.setFillColor(kit.NHS_DARK_BLUE)
    canvas.drawRightString(kit.PAGE_WIDTH - kit.MARGIN, kit.PAGE_HEIGHT - 1.2 * cm, FINAL_MARK)
    canvas.restoreState()


# -- the story ----------------------------------------------------------------------------------


def _story(model: ReportModel, images: ImageCache) -> list[Flowable]:
    st = kit.styles()
    story: list[Flowable] = []
    story += _cover(model, st)
    story += [PageBreak(), Paragraph("Contents", st["h0"]), _contents(st), PageBreak()]
    story += _passage(model.introduction, st)
    story += _passage(model.acknowledgements, st)
    story += [_heading(model.services_heading, st), _services(model, st)]
    story += _passage(model.service_users, st)
    story += [PageBreak(), _heading(model.findings_heading, st)]
    for comp in model.findings:
        story += _component_findings(comp, st, images)
    story += [PageBreak(), _heading(model.team_heading, st)]
    story.append(
        kit.table(
            [["Name", "Role", "Organisation"]]
            + [
                [_p(m.name, st["cell"]), _p(m.role, st["cell"]), _p(m.organisation, st["cell"])]
                for m in model.team
            ],
            [5 * cm, 6 * cm, kit.FRAME_WIDTH - 11 * cm],
        )
    )
    story += [
        PageBreak(),
        _heading(model.appendix2_heading, st),
        _heading(model.summary_heading, st),
    ]
    story.append(
        kit.table(
            [["Component", "Applicable", "Met", "% met"]]
            + [
                [_p(c.name, st["cell"]), str(c.applicable), str(c.met), c.percent_text]
                for c in model.summary
            ],
            [kit.FRAME_WIDTH - 7.5 * cm, 2.5 * cm, 2.5 * cm, 2.5 * cm],
            numeric_from=1,
        )
    )
    story.append(Spacer(1, 4))
    story.append(
        Paragraph(
            "Applicable: the standards that apply to the service, less those judged not "
            "applicable. % met = met ÷ applicable; “-” where no standard applies.",
            st["muted"],
        )
    )
    for comp_standards in model.standards:
        story += _component_standards(comp_standards, st)
    if model.history is not None:
        story += _history(model.history, st)
    return story


def _services(model: ReportModel, st: dict[str, Any]) -> Flowable:
    """The services table; a Patients column only when the visit gives patient numbers."""
    header = ["Reviewed as", "Site", "Organisation"]
    widths = [6 * cm, 5 * cm, kit.FRAME_WIDTH - 11 * cm]
    rows: list[list[Any]] = [
        [_p(r.reviewed_as, st["cell"]), _p(r.site, st["cell"]), _p(r.organisation, st["cell"])]
        for r in model.services
    ]
    if model.patients_column:
        header.append("Patients")
        widths = [5 * cm, 4 * cm, kit.FRAME_WIDTH - 12 * cm, 3 * cm]
        for row, r in zip(rows, model.services, strict=True):
            row.append(_p(r.patients, st["cell"]))
    return kit.table([header, *rows], widths)


def _p(value: str, style: Any) -> Paragraph:
    return Paragraph(kit.text(value), style)


def _heading(h: Heading, st: dict[str, Any]) -> Flowable:
    style = st[f"h{min(h.level, 2)}"]
    style.keepWithNext = True
    return _HeadingParagraph(h, style)


def _passage(passage: Passage, st: dict[str, Any]) -> list[Flowable]:
    style = st["placeholder"] if passage.placeholder else st["body"]
    return [_heading(passage.heading, st)] + [_p(text, style) for text in passage.paragraphs]


def _contents(st: dict[str, Any]) -> TableOfContents:
    toc = TableOfContents(dotsMinLevel=0, rightColumnWidth=1.5 * cm)
    toc.levelStyles = [st["toc0"], st["toc1"]]
    return toc


def _cover(model: ReportModel, st: dict[str, Any]) -> list[Flowable]:
    c = model.cover
    lines: list[tuple[str, str]] = []
    if c.network:
        lines.append(("Network", c.network))
    lines.append(
        (
            "Organisations" if len(c.organisations) > 1 else "Organisation",
            "\n".join(c.organisations),
        )
    )
    if c.standards:
        lines.append(("Quality Standards", c.standards))
    lines += [
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
    details = kit.cover_details(lines, st, kit.FRAME_WIDTH, 4 * cm, (5, 6))
    out: list[Flowable] = [
        Spacer(1, 3 * cm),
        _p(c.programme, st["cover_programme"]),
        _p(c.title, st["cover_title"]),
        details,
    ]
    notes = []
    if model.draft:
        notes.append(
            "DRAFT: for checking of factual accuracy by the organisations reviewed. "
            "Not for wider circulation."
        )
    if c.demo:
        notes.append("DEMO: every name and finding in this report is invented.")
    out += [Spacer(1, 1.2 * cm)] + [_p(n, st["placeholder"]) for n in notes]
    return out


def _component_findings(
    comp: ComponentFindings, st: dict[str, Any], images: ImageCache
) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(4 * cm), _heading(comp.heading, st)]
    for cat in comp.categories:
        heading = _heading(cat.heading, st)
        if not cat.findings:
            out += [heading, _p(cat.when_none, st["body"])]
            continue
        for k, f in enumerate(cat.findings):
            parts = _finding(f, st, images)
            # A finding's number, text, standards and photos stay on one page (a "Standard:"
            # line alone at the top of a page reads as belonging to nothing). The category's
            # heading goes with its first finding: a heading's keepWithNext does not hold
            # against a KeepTogether that follows it.
            out.append(KeepTogether([heading, *parts] if k == 0 else parts))
    return out


def _finding(f: ReportFinding, st: dict[str, Any], images: ImageCache) -> list[Flowable]:
    """One finding's lines: its number and text, its standards and escalation, its photos."""
    parts: list[Flowable] = [Paragraph(kit.text(f.text), st["finding"], bulletText=f"{f.number}.")]
    notes = []
    if f.refs:
        label = "Standard" if len(f.refs) == 1 else "Standards"
        notes.append(f"{label}: {', '.join(f.refs)}")
    if f.escalation:
        notes.append(f.escalation)
    parts.append(_p("\n".join(notes), st["finding_note"]) if notes else Spacer(1, 4))
    grid = kit.photo_grid([(p.caption, p.sha256) for p in f.photos], images, st["caption"])
    if grid is not None:
        parts.append(grid)
    return parts


def _component_standards(comp: ComponentStandards, st: dict[str, Any]) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), _heading(comp.heading, st)]
    widths = [2.2 * cm, 5.3 * cm, 3.0 * cm, kit.FRAME_WIDTH - 10.5 * cm]
    for section in comp.sections:
        section_style = st["section"]
        section_style.keepWithNext = True
        out.append(_p(section.section, section_style))
        rows: list[list[Any]] = [["Ref", "Standard", "Team judgement", "Comment"]]
        for r in section.rows:
            judgement_style = st["cell_bold"] if r.judgement == "Not met" else st["cell"]
            rows.append(
                [
                    _p(r.ref, st["cell"]),
                    _p(r.title, st["cell"]),
                    _p(r.judgement, judgement_style),
                    _p(r.comment, st["cell"]),
                ]
            )
        out.append(kit.table(rows, widths))
    return out


def _history(history: VersionHistory, st: dict[str, Any]) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), _heading(history.heading, st)]
    for entry in history.entries:
        out += _version(entry, st)
    return out


def _version(entry: VersionEntry, st: dict[str, Any]) -> list[Flowable]:
    """One version: its label, date and sign-off, then what changed and why."""
    title = _p(f"{entry.label}: {entry.date}. {entry.signed_off}.", st["section"])
    out: list[Flowable] = [KeepTogether([title, _p(entry.summary, st["body"])])]
    cell = st["cell"]
    if entry.accepted:
        rows: list[list[Any]] = [["Item", "Type of comment", "Before", "After"]]
        for a in entry.accepted:
            after = f"{a.after}\n(Reason: {a.reason})" if a.reason else a.after
            rows.append([_p(a.item, cell), _p(a.comment_type, cell), _p(a.before, cell),
                         _p(after, cell)])  # fmt: skip
        out += [
            _p("Comments accepted", st["cell_bold"]),
            kit.table(rows, [3.5 * cm, 3 * cm, 5.25 * cm, kit.FRAME_WIDTH - 11.75 * cm]),
            Spacer(1, 6),
        ]
    if entry.declined:
        rows = [["Item", "Type of comment", "Provider's comment", "Reason for declining"]]
        for d in entry.declined:
            rows.append([_p(d.item, cell), _p(d.comment_type, cell), _p(d.comment, cell),
                         _p(d.reason, cell)])  # fmt: skip
        out += [
            _p("Comments declined", st["cell_bold"]),
            kit.table(rows, [3.5 * cm, 3 * cm, 5.25 * cm, kit.FRAME_WIDTH - 11.75 * cm]),
            Spacer(1, 6),
        ]
    return out
