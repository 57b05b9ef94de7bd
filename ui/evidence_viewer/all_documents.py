"""Searching every document of the kit at once, from the evidence viewer's search box.

The words typed are searched for in the text of all the kit's documents (the session's
``DocumentIndex``, on its own thread) after a pause in typing; the results are a tree: each
document that matches (best first), then its pages with a snippet. Choosing a page asks the
window to show that document at that page (``hit_chosen``). While the documents are still being
indexed, a line says how far it is and the results say they are partial; they are searched
again when indexing finishes.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from reviewer_app.visit.doc_search import (
    HIT_END,
    HIT_START,
    DocumentIndex,
    IndexProgress,
    SearchResults,
)
from ui.tasks import when_done

TYPING_PAUSE_MS = 250
PROGRESS_EVERY_MS = 500
HIT_ROLE = Qt.ItemDataRole.UserRole + 1  # (document id, page 0-based)

log = logging.getLogger(__name__)


class AllDocumentsSearch(QObject):
    """The results of searching all documents, and the indexing status line."""

    hit_chosen = Signal(str, int, str)  # document id, page (0-based), the words searched for

    def __init__(self, owner: QWidget, index: DocumentIndex) -> None:
        super().__init__(owner)
        self.index = index
        self.panel = QWidget(owner)
        self.panel.setAccessibleName("Results in all documents")
        self.summary = QLabel("", self.panel)
        self.summary.setAccessibleName("All documents result count")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget(self.panel)
        self.tree.setAccessibleName("Results in all documents")
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.status = QLabel("", self.panel)
        self.status.setAccessibleName("Document indexing")
        self.status.setWordWrap(True)
        box = QVBoxLayout(self.panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("In all documents", self.panel))
        box.addWidget(self.summary)
        box.addWidget(self.tree, 1)
        box.addWidget(self.status)
        self.text = ""
        self.results: SearchResults | None = None
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.run)
        self._poll = QTimer(self)
        self._poll.setInterval(PROGRESS_EVERY_MS)
        self._poll.timeout.connect(self._progressed)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)
        self._progressed()
        if not self.index.progress().finished:
            self._poll.start()

    def set_text(self, text: str) -> None:
        """The words typed: searched for after a pause in typing."""
        self.text = text.strip()
        self._typing.start()

    def run(self) -> None:
        """Search now (off the UI thread); the results replace the tree when they come."""
        self._typing.stop()
        text = self.text
        if not text:
            self._show(None)
            return
        when_done(self.index.search(text), self, self._found, self._failed)

    def _found(self, results: SearchResults) -> None:
        if results.query != self.text:
            return  # a search overtaken by more typing
        self._show(results)
        if not results.progress.finished and self.index.progress().finished:
            self.run()  # indexing finished while it searched: search again

    def _failed(self, exc: BaseException) -> None:
        log.warning("searching the documents failed: %s", exc)
        self.summary.setText("The documents could not be searched; try again.")

    def _show(self, results: SearchResults | None) -> None:
        self.results = results
        self.tree.clear()
        if results is None:
            self.summary.setText("")
            return
        self.summary.setText(results.summary())
        for match in results.documents:
            doc = match.document
            n = len(match.pages)
            top = QTreeWidgetItem(self.tree, [f"{doc.title} — {n} page{'' if n == 1 else 's'}"])
            top.setToolTip(0, f"{doc.id} · {doc.file}")
            top.setData(0, HIT_ROLE, (doc.id, match.pages[0].page - 1))
            for page in match.pages:
                item = QTreeWidgetItem(top, [f"p. {page.page} · {page.snippet}"])
                item.setToolTip(0, _marked_html(page.marked))
                item.setData(0, HIT_ROLE, (doc.id, page.page - 1))
            top.setExpanded(True)

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        hit = item.data(0, HIT_ROLE)
        if hit:
            self.hit_chosen.emit(str(hit[0]), int(hit[1]), self.text)

    def _progressed(self) -> None:
        progress: IndexProgress = self.index.progress()
        self.status.setText(progress.text())
        self.status.setToolTip(progress.details())
        self.status.setVisible(bool(progress.text()))
        if progress.finished or progress.failed:
            self._poll.stop()
            if self.results is not None and self.results.partial:
                self.run()  # the partial results, now complete


def _marked_html(marked: str) -> str:
    return html.escape(marked).replace(HIT_START, "<b>").replace(HIT_END, "</b>")
