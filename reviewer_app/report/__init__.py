"""The review report and the end-of-visit feedback sheet.

One report model (:mod:`reviewer_app.report.model`, pure data built from the visit's read model)
rendered twice: PDF (reportlab) and DOCX (python-docx). The renderers are imported only when
called, so importing this package (the window does) costs no start-up time.

Everything here reads files and takes seconds: call it on a worker, never on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from reviewer_app.report.images import OpenBlob
from reviewer_app.report.model import FinalInfo, ReportModel, build_report_model
from reviewer_app.report.programme import (
    ProgrammeOverview,
    build_programme_overview,
    render_programme_docx,
    render_programme_pdf,
)
from reviewer_app.report.qsg import (
    PrivacyRefused,
    QsgSummary,
    build_qsg_summary,
    privacy_hits,
    render_qsg_pdf,
    write_qsg_csv,
)
from reviewer_app.visit.read_model import VisitData
from sync.progress import Progress

__all__ = [
    "FinalInfo",
    "PrivacyRefused",
    "ProgrammeOverview",
    "QsgSummary",
    "ReportModel",
    "build_programme_overview",
    "build_qsg_summary",
    "build_report_model",
    "draft_report_model",
    "ensure_room",
    "feedback_sheet",
    "privacy_hits",
    "render_docx",
    "render_docx_bytes",
    "render_pdf",
    "render_pdf_bytes",
    "render_programme_docx",
    "render_programme_pdf",
    "render_qsg_pdf",
    "write_qsg_csv",
]


def draft_report_model(data: VisitData, *, open_blob: OpenBlob, paths: AppPaths) -> ReportModel:
    """The draft report as the visit stands, with the risks' confirmation due by this laptop's
    rules (``risks.laptop_due``: reads two small files); ``open_blob`` reads its photos."""
    from reviewer_app.lead.risks import laptop_due  # noqa: PLC0415

    return build_report_model(data, open_blob=open_blob, confirmation_due=laptop_due(data, paths))


def ensure_room(out: Path, data: VisitData, blob_size: Callable[[str], int]) -> None:
    """Refuse (``DiskFull``) before writing a report or sheet to ``out`` when its disk has no
    room for it: about a megabyte of text and tables, plus the findings' photos (``blob_size``:
    a stored file's size, ``BlobStore.size``)."""
    from reviewer_app.app.disk import MB, ensure_space  # noqa: PLC0415

    photos = 0
    for photo in data.photos.values():
        if photo.sha256:
            try:
                photos += blob_size(photo.sha256)
            except (OSError, ValueError):
                continue
    ensure_space(Path(out).parent, MB + photos, margin=2 * MB)


def render_pdf(model: ReportModel, out: Path, progress: Progress | None = None) -> Path:
    """Write the report as a PDF; ``progress(done, total, what)`` as it goes."""
    from reviewer_app.report.pdf import render_pdf as render  # noqa: PLC0415 - see module doc

    return render(model, out, progress)


def render_pdf_bytes(model: ReportModel, progress: Progress | None = None) -> bytes:
    """The report as a PDF in memory (for the visit's sealed store: no plaintext on disk)."""
    from reviewer_app.report.pdf import render_pdf_bytes as render  # noqa: PLC0415

    return render(model, progress)


def render_docx_bytes(model: ReportModel, progress: Progress | None = None) -> bytes:
    """The report as a Word document in memory (for the visit's sealed store)."""
    from reviewer_app.report.docx import render_docx_bytes as render  # noqa: PLC0415

    return render(model, progress)


def render_docx(model: ReportModel, out: Path, progress: Progress | None = None) -> Path:
    """Write the report as a Word document; ``progress(done, total, what)`` as it goes."""
    from reviewer_app.report.docx import render_docx as render  # noqa: PLC0415

    return render(model, out, progress)


def feedback_sheet(
    data: VisitData,
    out: Path,
    *,
    open_blob: OpenBlob,
    today: date | None = None,
    confirmation_due: date | None = None,
) -> Path:
    """Write the end-of-visit feedback sheet (a short PDF) and return its path."""
    from reviewer_app.report.feedback import feedback_sheet as write  # noqa: PLC0415

    return write(data, out, open_blob=open_blob, today=today, confirmation_due=confirmation_due)
