"""A report, read inside the app: the draft as it stands, or a finalised snapshot's report.

Qt PDF shows every page in one scrolling view with zoom; when Qt PDF is missing (a packager
dropped it), the window says so and offers the system's PDF viewer instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

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
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Report preview")
        self.path: Path | None = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.caption = QLabel(body)
        self.caption.setAccessibleName("Which report")
        self.caption.setWordWrap(True)
        muted(self.caption)
        self.open_outside = QPushButton("Open in the PDF &viewer", body)
        self.open_outside.setAccessibleName("Open in the system PDF viewer")
        self.open_outside.clicked.connect(self._open_outside)
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

    def show_pdf(self, path: Path, title: str) -> None:
        """Show the PDF at ``path`` (re-read: the draft is rendered again each time)."""
        self.path = path
        self.setWindowTitle(title)
        if self.document is not None:
            self.document.close()
            self.document.load(str(path))
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

    def _open_outside(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
