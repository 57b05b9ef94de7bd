"""The QSG summary as a PDF: a title page (programme, date, the approved or published reports it
draws on), then per provider a table of its immediate risks and serious concerns, in the look
of the programme overview (:mod:`programme_pdf`, which shares the visit report's kit). Called
through :func:`reviewer_app.report.qsg.render_qsg_pdf`, after the privacy check."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, PageBreak, Spacer

from reviewer_app.report import pdf_kit as kit
from reviewer_app.report.programme_pdf import Doc, build, h, p, risk_tables
from reviewer_app.report.qsg import QsgSummary
from sync.progress import Progress


def render(summary: QsgSummary, out: Path, progress: Progress | None = None) -> Path:
    kit.register_fonts()
    out = Path(out)
    doc = Doc(
        out.with_name(f".{out.name}.part"),
        landscape(A4),
        summary.programme,
        summary.title,
        progress,
    )
    story = _story(summary, doc.frame_width)
    return build(doc, out, story, f"{summary.programme}: {summary.title}")


def _story(summary: QsgSummary, width: float) -> list[Flowable]:
    st = kit.styles()
    providers = summary.providers
    immediate = sum(1 for i in summary.items if i.raw.get("category") == "immediate_risk")
    lines = [
        ("Programme", summary.programme),
        ("Date", summary.report_date),
        ("Providers", str(len(providers))),
        ("Immediate risks", str(immediate)),
        ("Serious concerns", str(len(summary.items) - immediate)),
    ]
    details = kit.cover_details(lines, st, width)
    story: list[Flowable] = [
        Spacer(1, 1 * cm),
        p(summary.programme, st["cover_programme"]),
        p(summary.title, st["cover_title"]),
        p(
            "Per provider, each immediate risk and serious concern found by peer review: what "
            "was found, when, who was told and when, the written confirmation, and its status "
            "since. Only reports approved by the quality assurance group (or published) are "
            "included. Not for publication: for the Quality Surveillance Group's own use.",
            st["body"],
        ),
        Spacer(1, 0.3 * cm),
        details,
        Spacer(1, 0.5 * cm),
        p("Reports included", st["h2"]),
    ]
    story += [p(f"• {v}", st["small"]) for v in summary.visits] or [
        p("No report of this programme has been approved yet.", st["placeholder"])
    ]
    story += [PageBreak(), h("Immediate risks and serious concerns by provider", st)]
    story += risk_tables(
        [i.line for i in summary.items],
        st,
        width,
        none="No immediate risks or serious concerns in the approved reports.",
    )
    return story
