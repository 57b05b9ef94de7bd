"""The evidence viewer's window: the kit's documents on the left, the chosen PDF on the right.

Documents are PDFs shown with Qt PDF (pages, zoom, search with highlighted results). When Qt PDF
is not available, or a document is not a PDF, the viewer says why and offers the system viewer;
the document is then copied (off the UI thread) to the app's cache under its own file name,
because the workspace stores it under its hash, which no viewer would recognise.

Documents are sealed on disk (``storage.blob_crypto``). Qt PDF reads one from a ``QBuffer`` of
its decrypted bytes (read off the UI thread), kept as long as the document is shown: no
plaintext copy is written for the viewer inside the app.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QPointF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.outside import outside_folder
from reviewer_app.visit.read_model import KitDocument
from reviewer_app.visit.session import VisitSession
from ui import shortcuts
from ui.evidence_viewer import documents as d
from ui.evidence_viewer.all_documents import AllDocumentsSearch
from ui.evidence_viewer.documents import DocumentsModel, size_text, tool_button
from ui.operations import TaskOp
from ui.tasks import when_done
from ui.text_style import heading
from ui.windows import close_on_escape, fit_to_screen

try:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    from ui.evidence_viewer.search import DocumentSearch

    HAVE_PDF = True
except ImportError:  # pragma: no cover - Qt PDF ships with PySide6, but packagers may drop it
    HAVE_PDF = False

log = logging.getLogger(__name__)

ZOOM_STEP = 1.25
ZOOM_RANGE = (0.25, 6.0)
_copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-copy")


class EvidenceViewer(QMainWindow):
    """A window of the kit's documents: a filterable list, and the chosen PDF with search."""

    # Ctrl+L here locks the app as it does in the reviewer's window (whoever opens the viewer
    # connects it to its Lock): a window of visit content must not be the one place it does not.
    lock_requested = Signal()

    def __init__(self, session: VisitSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.current: KitDocument | None = None
        self._pending_search = ""
        self._pending_page: int | None = None
        self.setWindowTitle(f"Evidence — {session.data.visit.title}")
        self.setAccessibleName("Evidence viewer")
        self._build_list()
        self._build_toolbar()
        self._build_pages()
        self._layout()
        self._keys()
        self._update_controls()
        # Inside the screen (a laptop's is often 768 px tall), at the size last left; Esc
        # closes it like any other tool window.
        fit_to_screen(self, "evidence_viewer", QSize(1200, 820))
        close_on_escape(self)

    # -- building --------------------------------------------------------------------------------

    def _build_list(self) -> None:
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter documents")
        self.filter.setPlaceholderText("Filter documents (title, file or standard)")
        self.filter.setClearButtonEnabled(True)
        self.documents_model = DocumentsModel(self.session.data.documents, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.documents_model)
        self.proxy.setFilterRole(d.FILTER_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.list = QListView(self)
        self.list.setAccessibleName("Documents")
        self.list.setModel(self.proxy)
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.selectionModel().currentChanged.connect(self._chosen)

    def _build_toolbar(self) -> None:
        self.title = QLabel("Choose a document on the left.", self)
        self.title.setAccessibleName("Document title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        heading(self.title, 1.15)  # follows the font size the reviewer chose
        self.prev_page = tool_button(
            self, "◀", "Previous page", self.previous_page, "Previous page (PgUp)"
        )
        self.page = QSpinBox(self)
        self.page.setAccessibleName("Page number")
        self.page.setMinimum(1)
        self.page.setKeyboardTracking(False)
        self.page.valueChanged.connect(lambda v: self.go_to_page(v - 1))
        self.page_count = QLabel("of –", self)
        self.page_count.setAccessibleName("Page count")
        self.next_page = tool_button(self, "▶", "Next page", self.next_page_, "Next page (PgDown)")
        self.zoom_out = tool_button(
            self, "−", "Zoom out", lambda: self.zoom(1 / ZOOM_STEP), "Zoom out (Ctrl+-)"
        )
        self.zoom_in = tool_button(
            self, "+", "Zoom in", lambda: self.zoom(ZOOM_STEP), "Zoom in (Ctrl++)"
        )
        self.fit = tool_button(self, "Fit width", "Fit to width", self.fit_width, "Ctrl+0")
        self.fit.setToolTip("Fit to width (Ctrl+0)")
        self.fit.setCheckable(True)
        self.zoom_label = QLabel("", self)
        self.zoom_label.setAccessibleName("Zoom")

    def _build_pages(self) -> None:
        self.stack = QStackedWidget(self)
        self.message = QLabel("", self)
        self.message.setAccessibleName("Viewer message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.system_button = QPushButton("Open in the system viewer", self)
        self.system_button.setAccessibleName("Open in the system viewer")
        self.system_button.clicked.connect(self.open_in_system_viewer)
        self.message_page = QWidget(self)
        box = QVBoxLayout(self.message_page)
        box.addStretch(1)
        box.addWidget(self.message)
        box.addWidget(self.system_button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        self.stack.addWidget(self.message_page)
        self.view: Any = None
        self.document: Any = None
        self._buffer: QBuffer | None = None  # the shown PDF's decrypted bytes, as Qt PDF reads them
        self.finder: Any = None
        if HAVE_PDF:
            self.document = QPdfDocument(self)
            self.view = QPdfView(self)
            self.view.setAccessibleName("Document pages")
            self.view.setPageMode(QPdfView.PageMode.MultiPage)
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            self.view.setDocument(self.document)
            self.finder = DocumentSearch(self, self.document, self.view)
            self.finder.page_shown.connect(self._page_changed)
            self.document.statusChanged.connect(self._status_changed)
            self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
            self.view.zoomFactorChanged.connect(lambda _z: self._update_controls())
            self.stack.addWidget(self.view)

    def _layout(self) -> None:
        left = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(left)
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(self.filter)
        top_box.addWidget(self.list, 1)
        if self.finder is not None:
            bottom = QWidget(left)
            bottom_box = QVBoxLayout(bottom)
            bottom_box.setContentsMargins(0, 0, 0, 0)
            bottom_box.addWidget(QLabel("Search results", bottom))
            bottom_box.addWidget(self.finder.results, 1)
        # The search box searches every document too (the kit's index, off the UI thread).
        self.everywhere = AllDocumentsSearch(self, self.session.document_index())
        left.addWidget(self.everywhere.panel)
        self.everywhere.hit_chosen.connect(self.show_hit)
        if self.finder is not None:
            self.finder.field.textChanged.connect(self.everywhere.set_text)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setStretchFactor(left.indexOf(self.everywhere.panel), 3)
        self.right = QWidget(self)
        right_box = QVBoxLayout(self.right)
        right_box.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        for w in (self.prev_page, self.page, self.page_count, self.next_page):
            bar.addWidget(w)
        bar.addSpacing(12)
        for w in (self.zoom_out, self.zoom_label, self.zoom_in, self.fit):
            bar.addWidget(w)
        right_box.addLayout(bar)
        if self.finder is not None:
            find = QHBoxLayout()
            find.addWidget(self.finder.field, 1)
            for w in (*self.finder.controls()[1:], self.finder.label):
                find.addWidget(w)
            right_box.addLayout(find)
        right_box.addWidget(self.stack, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 900])
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(splitter)
        self.setCentralWidget(central)

    def _keys(self) -> None:
        pairs: list[tuple[tuple[str, ...], Any]] = [
            (d.PREVIOUS_PAGE, self.previous_page),
            (d.NEXT_PAGE, self.next_page_),
            (d.ZOOM_IN, lambda: self.zoom(ZOOM_STEP)),
            (d.ZOOM_OUT, lambda: self.zoom(1 / ZOOM_STEP)),
            (d.FIT_WIDTH, self.fit_width),
            (d.FILTER_DOCUMENTS, self.filter.setFocus),
            (shortcuts.LOCK, self.lock_requested.emit),
        ]
        if self.finder is not None:
            pairs += [
                (d.FIND, self.finder.focus),
                (d.NEXT_RESULT, self.finder.next),
                (d.PREVIOUS_RESULT, self.finder.previous),
            ]
        for keys, slot in pairs:
            paging = keys in (d.PREVIOUS_PAGE, d.NEXT_PAGE)
            for key in keys:
                # PgUp/PgDn page the document only where they mean nothing else (not in lists).
                shortcut = QShortcut(QKeySequence(key), self.right if paging else self, slot)
                if paging:
                    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- choosing and loading a document ---------------------------------------------------------

    def show_hit(self, doc_id: str, page: int, search: str) -> None:
        """A page found in all documents: show it, with the words searched for highlighted."""
        self.show_document(doc_id, search, page)

    def show_document(self, doc_id: str, search: str = "", page: int | None = None) -> bool:
        """Show the kit document ``doc_id`` (and search it for ``search``), at ``page``
        (0-based) when given; False if unknown."""
        row = self.documents_model.row_of(doc_id)
        if row < 0:
            self._say(f"The kit has no document {doc_id!r}.", system=False)
            return False
        self.filter.clear()
        if self.current is not None and self.current.id == doc_id:
            if self.finder is not None:
                self.finder.field.setText(search)
                self.finder.prefer_page = page
                self.finder.run()
            if page is not None:
                self.go_to_page(page)
        else:
            self._pending_search = search
            self._pending_page = page
            self.list.setCurrentIndex(self.proxy.mapFromSource(self.documents_model.index(row, 0)))
        return True

    def search_everywhere(self, text: str) -> None:
        """Search all the documents for ``text`` now (the reviewer's window offers it)."""
        if self.finder is not None:
            self.finder.field.setText(text)
            self.finder.focus()
        self.everywhere.set_text(text)
        self.everywhere.run()

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        doc = self.documents_model.document(self.proxy.mapToSource(current).row())
        search, self._pending_search = self._pending_search, ""
        page, self._pending_page = self._pending_page, None
        self.load(doc, search, page)

    def load(self, doc: KitDocument, search: str = "", page: int | None = None) -> None:
        self.current = doc
        self.title.setText(doc.title)
        self.title.setToolTip(f"{doc.id} · {doc.file} · {size_text(doc.size)}")
        if self.finder is not None:
            self.finder.reset(search, page)
        if not self.session.blobs.has(doc.sha256):
            self._say(d.MISSING, system=False)
        elif not HAVE_PDF:
            self._say(d.NO_QTPDF, system=True)
        elif Path(doc.file).suffix.lower() != ".pdf":
            self._say(d.not_pdf_message(doc), system=True)
        else:
            self._say("Loading…", system=False)
            self.document.close()
            when_done(
                _copier.submit(self.session.read_blob, doc.sha256),
                self,
                partial(self._open_pdf, doc),
                partial(self._read_failed, doc),
            )

    def _open_pdf(self, doc: KitDocument, data: bytes) -> None:
        if self.current is not doc:
            return  # another document was chosen meanwhile
        self.document.close()
        old, self._buffer = self._buffer, QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        if old is not None:  # the document no longer reads it
            old.close()
            old.deleteLater()
        self.document.load(self._buffer)  # status: statusChanged (Ready or Error)
        self._status_changed(self.document.status())

    def _read_failed(self, doc: KitDocument, exc: BaseException) -> None:
        if self.current is not doc:
            return
        log.warning("could not read %s (%s): %s", doc.file, doc.sha256, exc)
        if isinstance(exc, FileNotFoundError):
            self._say(d.MISSING, system=False)
        else:  # the sealed copy is damaged: no other program can read it either
            self._say(d.SEALED_DAMAGED, system=False)

    def _status_changed(self, status: Any) -> None:
        if status == QPdfDocument.Status.Ready and self.current is not None:
            self.stack.setCurrentWidget(self.view)
            self.finder.active = True
            self.page.setMaximum(max(1, self.document.pageCount()))
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            self.go_to_page(self.finder.prefer_page or 0)
            if self.finder.text():
                self.finder.run()
        elif status == QPdfDocument.Status.Error:
            self._say(d.DAMAGED, system=True)

    def _say(self, text: str, *, system: bool) -> None:
        self.message.setText(text)
        self.system_button.setVisible(system)
        self.stack.setCurrentWidget(self.message_page)
        if self.finder is not None:
            self.finder.active = False
        self._update_controls()

    # -- state -----------------------------------------------------------------------------------

    def showing_pdf(self) -> bool:
        return self.view is not None and self.stack.currentWidget() is self.view

    def page_total(self) -> int:
        return self.document.pageCount() if self.showing_pdf() else 0

    def current_page(self) -> int:
        """The page shown (0-based)."""
        return self.view.pageNavigator().currentPage() if self.showing_pdf() else 0

    def _update_controls(self) -> None:
        on = self.showing_pdf()
        controls = [self.prev_page, self.page, self.next_page, self.zoom_in, self.zoom_out]
        # The search field stays on without a PDF: it searches all the documents too.
        controls += [self.fit, *(self.finder.controls()[1:] if self.finder is not None else ())]
        for w in controls:
            w.setEnabled(on)
        total = self.page_total()
        self.page_count.setText(f"of {total}" if on else "of –")
        self.page.setAccessibleDescription(f"Page {self.current_page() + 1} of {total}")
        fitting = on and self.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
        self.fit.setChecked(fitting)
        zoom = f"{round(self.view.zoomFactor() * 100)} %" if on and not fitting else ""
        self.zoom_label.setText(zoom)

    def _page_changed(self, page: int) -> None:
        self.page.blockSignals(True)
        self.page.setValue(page + 1)
        self.page.blockSignals(False)
        self._update_controls()

    # -- pages and zoom --------------------------------------------------------------------------

    def go_to_page(self, page: int) -> None:
        if not self.showing_pdf():
            return
        page = max(0, min(page, self.page_total() - 1))
        navigator = self.view.pageNavigator()
        navigator.jump(page, QPointF(), navigator.currentZoom())
        self._page_changed(page)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page() - 1)

    def next_page_(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def zoom(self, factor: float) -> None:
        if not self.showing_pdf():
            return
        low, high = ZOOM_RANGE
        current = self.view.zoomFactor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(low, min(high, current * factor)))
        self._update_controls()

    def fit_width(self) -> None:
        if self.showing_pdf():
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self._update_controls()

    # -- the system viewer -----------------------------------------------------------------------

    def open_in_system_viewer(self) -> Future[Path] | None:
        doc = self.current
        if doc is None:
            return None
        folder = outside_folder(AppPaths.from_environment()) / doc.sha256[:16]
        target = folder / Path(doc.file).name
        future = _copier.submit(d.copy_for_system_viewer, self.session.blobs, doc.sha256, target)
        self.message.setText(f"Opening “{doc.file}” in the system viewer…")
        TaskOp(self, lambda _progress: future, what="open the document").success(
            self._open_copy
        ).failure(self._copy_failed, tell=False).run()
        return future

    def _open_copy(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.message.setText("No program on this computer opens this kind of file.")

    def _copy_failed(self, exc: BaseException) -> None:
        log.warning("could not copy a document for the system viewer: %s", exc)
        self.message.setText(d.MISSING if isinstance(exc, FileNotFoundError) else d.DAMAGED)
