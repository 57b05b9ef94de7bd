"""The report and the feedback sheet from the command line (``reviewer-app report|feedback``).

Opens the visit's workspace the way ``bundle export`` does (no window, no storage worker: a
script is the only user), reads the visit once, then renders. Safe while the window has the
same visit open: the workspace is SQLite in WAL mode and this only reads it.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.risks import laptop_due
from reviewer_app.report import (
    draft_report_model,
    ensure_room,
    feedback_sheet,
    render_docx,
    render_pdf,
)
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.workspaces import existing_workspace, open_workspace
from storage import BlobStore
from sync.progress import Progress

FORMATS = ("pdf", "docx")


def load_visit(paths: AppPaths, visit_id: str) -> tuple[VisitData, BlobStore]:
    """The visit's read model and its attachments, or a UserError that says what to do."""
    with open_workspace(paths, existing_workspace(paths, visit_id)) as ws:
        try:
            data = read_visit_data(ws)
        except ValueError as exc:
            raise UserError(f"visit {visit_id}: {exc}") from None
        return data, ws.blobs  # the store outlives the connection: it needs only the key


def _target(out: Path) -> Path:
    if out.is_dir():
        raise UserError(f"{out} is a folder; give the file to write, e.g. {out / 'report.pdf'}")
    if not out.parent.is_dir():
        raise UserError(f"the folder {out.parent} does not exist; create it or choose another")
    return out


def write_report(
    paths: AppPaths, visit_id: str, fmt: str, out: Path, progress: Progress | None = None
) -> Path:
    """Render the visit's draft report as ``fmt`` (pdf or docx) to ``out``."""
    if fmt not in FORMATS:
        raise UserError(f"unknown report format {fmt!r}; choose pdf or docx")
    target = _target(out)
    data, blobs = load_visit(paths, visit_id)
    ensure_room(target, data, blobs.size)
    model = draft_report_model(data, open_blob=blobs.open, paths=paths)
    render = render_pdf if fmt == "pdf" else render_docx
    return render(model, target, progress)


def write_feedback(paths: AppPaths, visit_id: str, out: Path) -> Path:
    """Print the end-of-visit feedback sheet of the visit to ``out`` (PDF), and remember the
    day it was first made (``feedback.record_made``)."""
    from reviewer_app.report.feedback import record_made  # noqa: PLC0415

    target = _target(out)
    data, blobs = load_visit(paths, visit_id)
    ensure_room(target, data, blobs.size)
    due = laptop_due(data, paths)
    written = feedback_sheet(data, target, open_blob=blobs.open, confirmation_due=due)
    with open_workspace(paths, existing_workspace(paths, visit_id)) as ws:
        record_made(ws)
    return written
