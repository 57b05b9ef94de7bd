"""What the lead's window asks of the visit that takes disk time: reports, the risk calendar,
the privacy confirmations. No Qt.

Rendering reads the visit afresh on the storage worker (every edit queued before it is then
included), and renders on a separate thread, so a ten-second report never holds up the
reviewer's edits and never reads the read model the UI thread is changing.

The privacy confirmations the lead ticks before finalising are kept in the workspace's
``local`` table (this laptop only, never in bundles): closing the finalise dialog, or the app,
does not lose them. A confirmation is a ``PrivacyHit.key``, which disappears when the text is
edited so that the hit is gone, and survives unrelated edits.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.outside import PdfInMemory
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.session import VisitSession
from storage import BlobStore, Workspace
from sync.progress import Progress

if (
    TYPE_CHECKING
):  # reviewer_app.lead.risks (and the holidays) load when first asked, not at start-up
    from reviewer_app.lead.risks import RiskState

T = TypeVar("T")

REPORT_FORMATS = {".pdf": "pdf", ".docx": "docx"}
CONFIRMED_KEY = "privacy_confirmed"
REPORT_TEXT_NAMES = {
    "introduction": "Introduction",
    "acknowledgements": "Acknowledgements",
    "service_users": "Views of service users and carers",
}

_render = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-render")
_small = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-files")


def _fresh(session: VisitSession, job: Callable[[VisitData], T]) -> Future[T]:
    """Read the visit on the storage worker, then run ``job(data)`` on the render thread."""
    out: Future[T] = Future()

    def rendered(f: Future[T]) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
        else:
            out.set_result(f.result())

    def read(f: Future[VisitData]) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        _render.submit(job, f.result()).add_done_callback(rendered)

    session.worker.submit(read_visit_data).add_done_callback(read)
    return out


def report_format(out: Path) -> str:
    """ "pdf" or "docx" from the file's suffix; a UserError for anything else."""
    fmt = REPORT_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UserError(f"{out.name} is neither .pdf nor .docx; save the report as one of those")
    return fmt


def render_report(
    session: VisitSession, paths: AppPaths, out: Path, progress: Progress | None = None
) -> Future[Path]:
    """The draft report as PDF or DOCX (by ``out``'s suffix); ``progress`` on the render thread."""
    from reviewer_app.report import (  # noqa: PLC0415
        draft_report_model,
        ensure_room,
        render_docx,
        render_pdf,
    )

    fmt = report_format(out)

    def job(data: VisitData) -> Path:
        ensure_room(out, data, session.blob_size)
        model = draft_report_model(data, open_blob=session.open_blob, paths=paths)
        render = render_pdf if fmt == "pdf" else render_docx
        return render(model, out, progress)

    return _fresh(session, job)


def render_feedback(
    session: VisitSession, paths: AppPaths, out: Path, today: date | None = None
) -> Future[Path]:
    """The end-of-visit feedback sheet (PDF) as the visit stands now."""
    from reviewer_app.lead.risks import laptop_due  # noqa: PLC0415
    from reviewer_app.report import ensure_room, feedback_sheet  # noqa: PLC0415

    def job(data: VisitData) -> Path:
        ensure_room(out, data, session.blob_size)
        due = laptop_due(data, paths)
        return feedback_sheet(
            data, out, open_blob=session.open_blob, today=today, confirmation_due=due
        )

    return _fresh(session, job)


def render_preview(
    session: VisitSession, paths: AppPaths, progress: Progress | None = None
) -> Future[PdfInMemory]:
    """The draft report as it stands, rendered in memory for the preview: no copy on disk."""
    name = f"draft-report-{session.data.visit.visit_id}.pdf"

    def job(data: VisitData) -> PdfInMemory:
        from reviewer_app.report import draft_report_model, render_pdf_bytes  # noqa: PLC0415

        model = draft_report_model(data, open_blob=session.open_blob, paths=paths)
        return PdfInMemory(name, render_pdf_bytes(model, progress))

    return _fresh(session, job)


def snapshot_report(
    blobs: BlobStore, report_sha256: str, version: int, visit_id: str
) -> Future[PdfInMemory]:
    """A finalised report's PDF (in the visit's sealed store), decrypted into memory."""
    name = f"final-report-v{version}-{visit_id}.pdf"
    return _small.submit(lambda: PdfInMemory(name, blobs.read_bytes(report_sha256)))


# -- immediate risks ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskCalendar:
    """The setting and the bank holidays a risk's due date needs (read once, from files)."""

    working_days: int
    holidays: frozenset[date]
    today: date | None = None  # the day lateness is judged on (None: the real today)

    def states(self, data: VisitData) -> list[RiskState]:
        """Pure and quick: call it on the UI thread whenever a finding changes."""
        from reviewer_app.lead.risks import risk_states  # noqa: PLC0415 - see the imports

        return risk_states(
            data,
            working_days=self.working_days,
            holidays=self.holidays,
            today=self.today or date.today(),
        )


def _calendar(paths: AppPaths) -> RiskCalendar:
    from reviewer_app.lead.risks import laptop_rules  # noqa: PLC0415 - see the imports

    return RiskCalendar(*laptop_rules(paths))


def risk_calendar(paths: AppPaths) -> Future[RiskCalendar]:
    return _small.submit(_calendar, paths)


# -- report texts ------------------------------------------------------------------------------


def _defaults(data_placeholders: dict[str, str]) -> dict[str, str]:
    from reviewer_app.report.texts import fill_template, load_templates  # noqa: PLC0415

    templates = load_templates()
    return {
        "introduction": fill_template(templates.get("introduction", ""), data_placeholders),
        "acknowledgements": fill_template(templates.get("acknowledgements", ""), data_placeholders),
        "service_users": "",
    }


def report_text_defaults(data: VisitData) -> Future[dict[str, str]]:
    """Each passage as the report prints it when the lead has written none (from templates)."""
    from reviewer_app.report.texts import placeholders  # noqa: PLC0415

    return _small.submit(_defaults, placeholders(data))


# -- privacy confirmations ---------------------------------------------------------------------


def _load_confirmed(ws: Workspace) -> frozenset[str]:
    value: Any = ws.get_local(CONFIRMED_KEY, [])
    return frozenset(str(k) for k in value) if isinstance(value, list) else frozenset()


def load_confirmed(session: VisitSession) -> Future[frozenset[str]]:
    return session.worker.submit(_load_confirmed)


def save_confirmed(session: VisitSession, keys: frozenset[str] | set[str]) -> Future[None]:
    return session.worker.submit(Workspace.set_local, CONFIRMED_KEY, sorted(keys))
