"""A report, read inside the app: the draft as it stands, or a finalised snapshot's report.

Qt PDF shows every page in one scrolling view with zoom, read from memory (a ``QBuffer``): a
report of the visit is never written to disk to be shown. "Open in the PDF viewer" writes the one
copy another program needs (``reviewer_app.visit.outside``: removed when the visit locks or the
app closes). When Qt PDF is missing (a packager dropped it), the window says so and offers the
system's PDF viewer instead.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.outside import PdfInMemory, outside_copy
from ui.text_style import muted
from ui.windows import bring_forward, close_on_escape, fit_to_screen

try:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    HAVE_PDF = True
except ImportError:  # pragma: no cover - Qt PDF ships with PySide6
    HAVE_PDF = False

ZOOM_STEP = 1.25


class ReportPreview(QMainWindow):
    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Report preview")
        self.paths = paths
        self.pdf: PdfInMemory | None = None
        self._buffer: QBuffer | None = None  # Qt PDF reads it as long as the report shows
        body = QWidget(self)
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.caption = QLabel(body)
        self.caption.setAccessibleName("Which report")
        self.caption.setWordWrap(True)
        muted(self.caption)
        self.open_outside = QPushButton("Open in the PDF &viewer", body)
        self.open_outside.setAccessibleName("Open in the system PDF viewer")
        self.open_outside.clicked.connect(self.open_in_pdf_viewer)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.open_outside)
        layout.addLayout(bar)
        self.document: QPdfDocument | None = None
        if HAVE_PDF:
            self.document = QPdfDocument(self)
            self.view = QPdfView(body)
            self.view.setAccessibleName("Report pages")
            self.view.setDocument(self.document)
            self.view.setPageMode(QPdfView.PageMode.MultiPage)
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            layout.addWidget(self.view, 1)
            for keys, step in (
                (QKeySequence.StandardKey.ZoomIn, ZOOM_STEP),
                (QKeySequence.StandardKey.ZoomOut, 1 / ZOOM_STEP),
            ):
                QShortcut(keys, self, lambda s=step: self._zoom(s))
        else:
            missing = QLabel(
                "This copy of the app cannot show PDFs itself; open the report in the PDF "
                "viewer instead.",
                body,
            )
            missing.setWordWrap(True)
            layout.addWidget(missing, 1)
        self.setCentralWidget(body)
        # A page's height suits a tall screen; a laptop's 768 px gets what fits (issue 16).
        fit_to_screen(self, "report_preview", QSize(900, 1000))
        close_on_escape(self)

    def show_pdf(self, pdf: PdfInMemory, title: str) -> None:
        """Show ``pdf`` (the draft is rendered again each time it is asked for)."""
        self.pdf = pdf
        self.setWindowTitle(title)
        if self.document is not None:
            self.document.close()
            old, self._buffer = self._buffer, QBuffer(self)
            self._buffer.setData(QByteArray(pdf.data))
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self.document.load(self._buffer)
            if old is not None:
                old.close()
                old.deleteLater()
            pages = self.document.pageCount()
            self.caption.setText(f"{title} — {pages} page{'s' if pages != 1 else ''}")
        else:
            self.caption.setText(title)
        bring_forward(self)

    def page_count(self) -> int:
        return self.document.pageCount() if self.document is not None else 0

    def _zoom(self, step: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(6.0, self.view.zoomFactor() * step)))

    def open_in_pdf_viewer(self) -> None:
        """The system's PDF viewer: the one moment a copy is written for another program."""
        if self.pdf is None:
            return
        try:
            path = outside_copy(self.paths, self.pdf.name, self.pdf.data)
        except OSError as exc:
            self.caption.setText(
                f"The report could not be handed to the PDF viewer ({exc.strerror or exc}): "
                "make room on the disk and try again."
            )
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.caption.setText("No program on this computer opens PDF files.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """The report leaves memory with the window (it may be long and is visit content)."""
        if self.document is not None:
            self.document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
        self.pdf = None
        super().closeEvent(event)
