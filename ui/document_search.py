"""The reviewer's window searches the kit's documents too: an offer under the standards' search
box, and the indexing status in the status bar.

When the search box has words, a button under it offers "Search 6 documents for “leaflet”";
after the navigator's own pause in typing, the documents are searched off the UI thread and the
button says what they hold ("“leaflet”: 3 pages in 2 documents"). Pressing it opens the
evidence viewer on those results. Nothing here runs on each keystroke but restarting a timer,
so the navigator's filtering keeps its speed.

Indexing starts a moment after the window first paints (it must not delay the first paint);
until it is done the status bar says "Indexing documents… 12 of 200".
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from ui.tasks import when_done

if TYPE_CHECKING:
    from reviewer_app.visit.doc_search import DocumentIndex, SearchResults
    from ui.main_window import ReviewerWindow

SEARCH_PAUSE_MS = 300  # after the navigator's own pause (150 ms): its filtering comes first
START_AFTER_MS = 1500  # indexing starts once the window is up and painted
IMPORT_AFTER_MS = 500  # its code is imported before that, on a worker thread
PROGRESS_EVERY_MS = 1000

log = logging.getLogger(__name__)


class DocumentSearchOffer(QObject):
    """The button under a search box that searches the kit's documents for its words."""

    def __init__(
        self,
        parent: QWidget,
        field: QLineEdit,
        index: Callable[[], DocumentIndex],
        open_results: Callable[[str], None],
        closed: Callable[[], bool] = lambda: False,
    ) -> None:
        """``closed()``: the visit was closed (or locked) meanwhile: its index is not asked
        for (that would ask for its key again)."""
        super().__init__(parent)
        self.field = field
        self._index = index
        self._closed = closed
        self._open_results = open_results
        self._started = False
        self.button = QPushButton("", parent)
        self.button.setAccessibleName("Search the documents")
        self.button.setFlat(True)
        self.button.setStyleSheet("text-align: left; padding: 2px 4px;")
        self.button.setVisible(False)
        self.button.clicked.connect(self.open)
        self.status = QLabel("", parent)
        self.status.setAccessibleName("Document indexing")
        self.text = ""
        self._partial = False  # the last count was made while indexing: count again after
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SEARCH_PAUSE_MS)
        self._pause.timeout.connect(self.search)
        self._poll = QTimer(self)
        self._poll.setInterval(PROGRESS_EVERY_MS)
        self._poll.timeout.connect(self._progressed)
        field.textChanged.connect(lambda _t: self._pause.start())  # all a keystroke costs

    @property
    def index(self) -> DocumentIndex:
        return self._index()

    def start(self) -> None:
        """Start indexing (in the background) and showing how far it is."""
        if self._started or self._closed() or self.index.closed:
            return
        self._started = True
        self.index.start()
        self._progressed()
        self._poll.start()

    def search(self) -> None:
        """Offer the documents for the words now in the box, and count what they hold."""
        self._pause.stop()
        self.text = self.field.text().strip()
        if self._closed() or self.index.closed:  # closed while the box waited for a pause
            self._poll.stop()
            return
        if not self.text:
            self.button.setVisible(False)
            return
        self.start()
        n = self.index.document_count()
        self._say(f"Search {n} document{'' if n == 1 else 's'} for “{self.text}”")
        self.button.setVisible(n > 0)
        if n:
            when_done(self.index.search(self.text), self, self._found, self._failed)

    def _found(self, results: SearchResults) -> None:
        if results.query != self.text:
            return  # overtaken by more typing
        self._partial = results.partial
        if not results.progress.finished and self.index.progress().finished:
            self.search()  # indexing finished while it searched: count again
            return
        if not results.documents:
            words = f"“{self.text}” is in no document"
            self._say(words + (" indexed so far" if results.partial else ""))
            return
        self._say(f"Documents: “{self.text}” on {results.summary()} — show")

    def _failed(self, exc: BaseException) -> None:
        log.warning("searching the documents failed: %s", exc)

    def _say(self, text: str) -> None:
        self.button.setText(text.replace("&", "&&"))
        self.button.setToolTip(text + "\nOpens the evidence viewer on the results")

    def open(self) -> None:
        if self.text:
            self._open_results(self.text)

    def _progressed(self) -> None:
        if self._closed() or self.index.closed:
            self._poll.stop()
            return
        progress = self.index.progress()
        self.status.setText(progress.text())
        self.status.setToolTip(progress.details())
        if progress.finished or progress.failed:
            self._poll.stop()
            if self._partial and self.text:
                self.search()


def install(window: ReviewerWindow) -> DocumentSearchOffer:
    """Put the offer under the navigator's search box and the status in the status bar."""
    nav = window.navigator
    offer = DocumentSearchOffer(
        nav,
        nav.search,
        window.session.document_index,
        lambda text: open_results(window, text),
        lambda: window.session.closed,
    )
    layout = nav.layout()
    assert isinstance(layout, QBoxLayout)
    layout.insertWidget(layout.indexOf(nav.search) + 1, offer.button)
    window.statusBar().addWidget(offer.status)
    QTimer.singleShot(IMPORT_AFTER_MS, offer, _import_in_background)
    QTimer.singleShot(START_AFTER_MS, offer, offer.start)
    return offer


def _import_in_background() -> None:
    """The document index's code (some 25 ms of Python) imported on a worker thread, so the
    window's thread finds it ready when indexing starts and never stalls for it."""
    threading.Thread(
        target=importlib.import_module,
        args=("reviewer_app.visit.doc_search",),
        name="document-search-import",
        daemon=True,
    ).start()


def open_results(window: ReviewerWindow, text: str) -> None:
    window.open_viewer()
    if window.viewer is not None:
        window.viewer.search_everywhere(text)
