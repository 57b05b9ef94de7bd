"""Printing from the reviewer's window: the feedback sheet, the draft report, the preview.

Each asks where to save (``ReportFiles.ask_save``), renders off the UI thread
(``reviewer_app.lead.view``: the visit is read afresh on the storage worker, then rendered on
its own thread) while a progress dialog shows, then says where the file is, with an Open button.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import view as lead_view
from reviewer_app.visit.outside import PdfInMemory
from ui.operations import Progress, TaskOp

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from ui.lead.preview import ReportPreview

# The dialogs, Qt PDF and Qt's message and progress boxes (PySide builds a Qt class's type
# when it is first named) are imported when first used: the window's start-up stays as it was.

log = logging.getLogger(__name__)
T = TypeVar("T")

PDF_FILTER = "PDF (*.pdf)"
REPORT_FILTERS = "PDF (*.pdf);;Word document (*.docx)"


FILE_TITLE_CHARS = 80


def file_title(title: str) -> str:
    """A visit's title made safe for a file name on every system, shortened at a word boundary
    (the report's footers use the same rule; no ellipsis in a file name)."""
    safe = re.sub(r"[^\w\- ,.()']+", "", title).strip()
    from reviewer_app.report.texts import shorten  # noqa: PLC0415 (the report package is big)

    return shorten(safe, FILE_TITLE_CHARS, ellipsis="") or "visit"


class ReportPrinter(QObject):
    def __init__(self, window: Any, paths: AppPaths) -> None:
        super().__init__(window)
        self.window: QWidget = window
        self.session = window.session
        self.paths = paths
        self.task: TaskOp[Any] | None = None  # a saved file's Path, or a preview's PDF
        self.last_saved: Path | None = None
        self.last_message: QMessageBox | None = None
        self.preview: ReportPreview | None = None

    # -- the three jobs -------------------------------------------------------------------------

    def feedback_sheet(self) -> None:
        from ui.lead.dialogs import ReportFiles  # noqa: PLC0415 - see the imports

        title = file_title(self.session.data.visit.title)
        out = ReportFiles.ask_save(
            self.window, "Save the feedback sheet", f"Feedback - {title}.pdf", PDF_FILTER
        )
        if out is None:
            return
        self._run(
            lambda _progress: lead_view.render_feedback(self.session, self.paths, out),
            "Writing the feedback sheet…",
            "print the feedback sheet",
            self._sheet_saved,
        )

    def _sheet_saved(self, path: Path) -> None:
        # The day the sheet was first made is a step of the visit the service tracks: kept in
        # the workspace (on its worker) and sent with the next finalised version.
        from reviewer_app.report.feedback import record_made  # noqa: PLC0415 (reportlab)

        self.session.worker.submit(record_made).add_done_callback(_log_failure)
        self._saved(path, "The feedback sheet")

    def draft_report(self) -> None:
        from ui.lead.dialogs import ReportFiles  # noqa: PLC0415 - see the imports

        title = file_title(self.session.data.visit.title)
        out = ReportFiles.ask_save(
            self.window, "Save the draft report", f"Draft report - {title}.pdf", REPORT_FILTERS
        )
        if out is None:
            return
        self._run(
            lambda progress: lead_view.render_report(
                self.session, self.paths, out, _counted(progress)
            ),
            "Writing the draft report…",
            "write the draft report",
            lambda path: self._saved(path, "The draft report"),
        )

    def show_preview(self) -> None:
        self._run(
            lambda progress: lead_view.render_preview(self.session, self.paths, _counted(progress)),
            "Preparing the preview…",
            "preview the report",
            lambda pdf: self.show_pdf(pdf, "Draft report (preview)"),
        )

    def show_pdf(self, pdf: PdfInMemory, title: str) -> ReportPreview:
        if self.preview is None:
            from ui.lead.preview import ReportPreview  # noqa: PLC0415 - Qt PDF loads slowly

            self.preview = ReportPreview(self.paths, self.window)
        self.preview.show_pdf(pdf, title)
        return self.preview

    # -- running one ----------------------------------------------------------------------------

    def _run(
        self,
        start: Callable[[Progress], Future[T]],
        label: str,
        what: str,
        done: Callable[[T], Any],
    ) -> None:
        """``start(progress)`` renders; one at a time, with the progress dialog (no Cancel:
        a renderer does not stop half way)."""
        if self.running:
            self.window.statusBar().showMessage(  # type: ignore[attr-defined]
                "A report is already being written; try again when it is done.", 8000
            )
            return
        self.task = TaskOp(self.window, start, what=what).with_progress("Please wait", label)
        self.task.success(done).run()

    @property
    def running(self) -> bool:
        return self.task is not None and self.task.running

    def _saved(self, path: Path, what: str) -> None:
        self.last_saved = path
        self.window.statusBar().showMessage(f"Saved to {path}", 20_000)  # type: ignore[attr-defined]
        from PySide6.QtCore import QUrl  # noqa: PLC0415 (see the top)
        from PySide6.QtGui import QDesktopServices  # noqa: PLC0415
        from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415

        box = QMessageBox(self.window)
        box.setWindowTitle("Saved")
        box.setAccessibleName("Saved")
        box.setIcon(QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"{what} is saved to\n{path}")
        open_button = box.addButton("&Open", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_message = box


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("the feedback sheet's date was not kept: %s", exc)


def _counted(progress: Progress) -> Progress:
    """The renderer's counts, under the dialog's own label (its step names are not shown)."""
    return lambda done, total, _what: progress(done, total, "")
