"""The end-of-visit feedback sheet: what the lead says to the provider before the team leaves.

One action, a PDF in a second or two: immediate risks first (with where their escalation has
got to), then serious concerns, good practice, and compliance so far per component. The lead
reads from it; it is not the report, and every page says so.

It is read aloud, so within each category the items stand under their component's name and
carry the report's numbers (:func:`reviewer_app.lead.findings.numbers`: 1, 2, ... within a component
and category): "the Local Haemoglobinopathy Team's immediate risk 1" is the same finding on the
sheet, in the window and in the report. Its figures are the report's
(:func:`reviewer_app.lead.compliance.compliance`), from the team judgements recorded so far.

The date the sheet was first made is a step of the visit the service tracks
(docs/after-the-visit.md, ``feedback_sheet``): :func:`record_made` keeps it in the workspace's
``local`` table (this laptop's, like the privacy confirmations), and finalising sends it as the
envelope's ``feedback_sheet_at``. The window and ``reviewer-app feedback`` call it once the
sheet is written.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from reviewer_app.lead.compliance import compliance
from reviewer_app.lead.findings import numbers
from reviewer_app.report import pdf_kit as kit
from reviewer_app.report.images import ImageCache, OpenBlob
from reviewer_app.report.model import WHOLE_SERVICE
from reviewer_app.report.texts import escalation_text, long_date, visit_dates
from reviewer_app.visit.model import Finding
from reviewer_app.visit.read_model import VisitData
from storage import Workspace
from storage.attachments import SHA256_PATTERN
from storage.files import replacing

MARK = "For verbal feedback — not the report"
WATERMARK = "FEEDBACK"


def record_made(ws: Workspace, when: date | None = None) -> str:
    """Remember that the visit's feedback sheet was made ``when`` (today by default) unless an
    earlier date is remembered; the date kept (ISO). Runs where the workspace is open (the
    storage worker)."""
    from reviewer_app.lead.finalise import FEEDBACK_SHEET_KEY  # noqa: PLC0415 (it sends it)

    kept = ws.get_local(FEEDBACK_SHEET_KEY)
    if isinstance(kept, str) and kept:
        return kept
    value = (when or date.today()).isoformat()
    ws.set_local(FEEDBACK_SHEET_KEY, value)
    return value


def feedback_sheet(
    data: VisitData,
    out: Path,
    *,
    open_blob: OpenBlob,
    today: date | None = None,
    confirmation_due: date | None = None,
) -> Path:
    """Write the sheet to ``out`` (via a temporary file beside it) and return ``out``.

    ``open_blob`` reads the risks' photos (``BlobStore.open``). ``confirmation_due``: when the
    immediate risks' written confirmations are due (``risks.laptop_due``), said of each risk
    not yet confirmed."""
    kit.register_fonts()
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    printed = today or date.today()
    st = kit.styles()
    story = _story(data, st, printed, ImageCache(open_blob), due=confirmation_due)
    with replacing(out, temp=tmp):
        _build(data, story, tmp)
    return out


def _build(data: VisitData, story: list[Flowable], tmp: Path) -> None:
    doc = SimpleDocTemplate(
        str(tmp),
        pagesize=(kit.PAGE_WIDTH, kit.PAGE_HEIGHT),
        leftMargin=kit.MARGIN,
        rightMargin=kit.MARGIN,
        topMargin=kit.MARGIN,
        bottomMargin=2.2 * cm,
        title=f"Feedback: {data.visit.title}",
        author=data.visit.programme,
        creator="Reviewer App",
    )

    def watermark(canvas: Canvas, _doc: Any) -> None:
        kit.draw_watermark(canvas, WATERMARK, size=90)

    def decorate(canvas: Canvas, page: int, pages: int) -> None:
        kit.draw_footer(canvas, f"Feedback: {data.visit.title}", page, pages, MARK)

    try:
        doc.build(
            story,
            onFirstPage=watermark,
            onLaterPages=watermark,
            canvasmaker=kit.paged_canvas(decorate),
        )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _story(
    data: VisitData,
    st: dict[str, Any],
    printed: date,
    images: ImageCache,
    *,
    due: date | None,
) -> list[Flowable]:
    visit = data.visit
    story: list[Flowable] = [
        Paragraph(kit.text(visit.programme), st["cover_programme"]),
        Paragraph("End-of-visit feedback", st["h0"]),
        Paragraph(kit.text(visit.title), st["body"]),
        Paragraph(kit.text(f"Visit: {visit_dates(visit)} · printed {_now(printed)}"), st["muted"]),
        Spacer(1, 6),
    ]
    numbered = numbers(data)
    for category, title, when_none in SECTIONS:
        story.append(_h(title, st))
        groups = _by_component(data, category)
        if not groups:
            story.append(Paragraph(when_none, st["body"]))
        for name, items in groups:
            sub = _sub(name, st)
            for k, f in enumerate(items):
                parts = _item(data, f, str(numbered[f.id]), st=st, images=images, due=due)
                # The component's name goes with its first item (as in report.pdf).
                story.append(KeepTogether([sub, *parts] if k == 0 else parts))
    story += _figures(data, st)
    return story


SECTIONS = [
    ("immediate_risk", "Immediate risks", "No immediate risks were identified."),
    ("serious_concern", "Serious concerns", "No serious concerns were identified."),
    ("good_practice", "Good practice", "No good practice has been recorded yet."),
]


def _by_component(data: VisitData, category: str) -> list[tuple[str, list[Finding]]]:
    """The category's findings under their component's name: the whole service first, then
    the components in kit order, each in the report's order."""
    groups = [("", WHOLE_SERVICE)] + [(c.id, c.name) for c in data.visit.components]
    out = []
    for comp_id, name in groups:
        items = [f for f in data.findings_for(comp_id) if f.category == category]
        if items:
            out.append((name, items))
    return out


def _figures(data: VisitData, st: dict[str, Any]) -> list[Flowable]:
    """Compliance so far: the report's own figures, from the team judgements recorded so far."""
    rows: list[list[Any]] = [
        ["Component", "Applicable", "Met", "Not met", "Not yet assessed", "% met"]
    ]
    rows += [
        [
            Paragraph(kit.text(c.name), st["cell"]),
            str(c.applicable),
            str(c.met),
            str(c.not_met),
            str(c.not_assessed),
            c.percent_text,
        ]
        for c in compliance(data)
    ]
    w = 2.0 * cm
    widths = [kit.FRAME_WIDTH - 3 * w - 2.2 * cm - 2.8 * cm, 2.2 * cm, w, w, 2.8 * cm, w]
    return [
        _h("Compliance so far", st),
        kit.table(rows, widths, numeric_from=1),
        Spacer(1, 4),
        Paragraph(
            "From the team judgements the lead has recorded, as the report counts them: a "
            "standard with no team judgement yet is counted as not yet assessed.",
            st["muted"],
        ),
    ]


def _h(title: str, st: dict[str, Any]) -> Paragraph:
    style = st["h1"]
    style.keepWithNext = True
    return Paragraph(kit.text(title), style)


def _sub(name: str, st: dict[str, Any]) -> Paragraph:
    style = st["h2"]
    style.keepWithNext = True
    return Paragraph(kit.text(name), style)


def _item(
    data: VisitData,
    f: Finding,
    number: str,
    *,
    st: dict[str, Any],
    images: ImageCache,
    due: date | None,
) -> list[Flowable]:
    """One item's lines: its number and text, standards, escalation and (risks) photos."""
    parts: list[Flowable] = [Paragraph(kit.text(f.text), st["finding"], bulletText=f"{number}.")]
    notes = []
    if f.refs:
        label = "Standard: " if len(f.refs) == 1 else "Standards: "
        notes.append(kit.text(label + ", ".join(f.refs)))
    if f.immediate_risk:
        line = kit.text(_escalation(f, due))
        # Not escalated yet is the one thing on this sheet the lead must not miss.
        notes.append(line if f.escalated else f'<font color="#B3261E"><b>{line}</b></font>')
    if notes:
        parts.append(Paragraph("<br/>".join(notes), st["finding_note"]))
    else:
        parts.append(Spacer(1, 4))
    if f.immediate_risk and f.photos:
        photos = []
        for photo_id in f.photos:
            # A finding names photo records; their files are found by content hash.
            record = data.photos.get(photo_id)
            sha = record.sha256 if record else photo_id
            caption = (record.caption if record else "") or "Photograph"
            photos.append((caption, sha if sha and SHA256_PATTERN.match(sha) else None))
        grid = kit.photo_grid(photos, images, st["caption"], per_row=4)
        if grid is not None:
            parts.append(grid)
    return parts


def _escalation(f: Finding, due: date | None) -> str:
    if f.escalated:
        return escalation_text(f, due)
    line = "Not yet escalated: record to whom, when and how it was escalated."
    return f"{line} Written confirmation is due by {long_date(due)}." if due else line


def _now(printed: date) -> str:
    now = datetime.now()
    if printed == now.date():
        return f"{now.day} {now:%B %Y, %H:%M}"
    return f"{printed.day} {printed:%B %Y}"
