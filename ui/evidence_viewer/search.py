"""Searching the shown PDF: a search box, the results with their context, next and previous.

Qt PDF's ``QPdfSearchModel`` searches page by page in the background and reports as it goes;
the results list is rebuilt once per burst of reports. The view highlights every result, and
the current one more strongly.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from ui.evidence_viewer.documents import tool_button

LINE_BREAK = "\u23ce"  # how Qt PDF marks a line break in a result's context
TYPING_PAUSE_MS = 250


def snippet(before: str, match: str, after: str) -> str:
    """ "…words before MATCH words after…", without the cut-off words at either end."""
    head = re.sub(r"\s+", " ", before.replace(LINE_BREAK, " ")).lstrip()
    tail = re.sub(r"\s+", " ", after.replace(LINE_BREAK, " ")).rstrip()
    if " " in head:
        head = "…" + head.split(" ", 1)[1]
    if " " in tail:
        tail = tail.rsplit(" ", 1)[0] + "…"
    return f"{head}{match}{tail}"


class DocumentSearch(QObject):
    """The search controls of one viewer, over its document and view."""

    page_shown = Signal(int)  # a result was chosen: the view jumped to this page (0-based)

    def __init__(self, owner: QWidget, document: QPdfDocument, view: QPdfView) -> None:
        super().__init__(owner)
        self.view = view
        self.active = False  # the window sets it while a PDF is shown
        # A page chosen in the results of all documents (0-based): the first result there is
        # shown rather than the document's first; None: the first.
        self.prefer_page: int | None = None
        self.model = QPdfSearchModel(self)
        self.model.setDocument(document)
        view.setSearchModel(self.model)
        self.field = QLineEdit(owner)
        self.field.setAccessibleName("Search in the document")
        self.field.setPlaceholderText("Search this document and all documents (Ctrl+F)")
        self.field.setClearButtonEnabled(True)
        self.results = QListWidget(owner)
        self.results.setAccessibleName("Search results")
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setSpacing(2)
        self.label = QLabel("", owner)
        self.label.setAccessibleName("Search result count")
        self.previous_button = tool_button(
            owner, "▲", "Previous result", self.previous, "Previous result (Shift+F3)"
        )
        self.next_button = tool_button(owner, "▼", "Next result", self.next, "Next result (F3)")
        self._chosen = -1
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.run)
        self._reports = QTimer(self)
        self._reports.setSingleShot(True)
        self._reports.setInterval(0)
        self._reports.timeout.connect(self._fill)
        self.field.textChanged.connect(self._typed)
        self.field.returnPressed.connect(self.next)
        self.model.countChanged.connect(self._reports.start)
        self.results.currentRowChanged.connect(self._choose)

    def controls(self) -> tuple[QWidget, ...]:
        return (self.field, self.previous_button, self.next_button)

    def text(self) -> str:
        return self.field.text().strip()

    def count(self) -> int:
        return int(self.model.count())

    def _typed(self, _text: str) -> None:
        self.prefer_page = None
        self._typing.start()

    def reset(self, text: str = "", page: int | None = None) -> None:
        """Forget the results (a new document is coming); keep ``text`` to search it for, and
        show its first result on ``page`` (0-based) when there is one."""
        self._typing.stop()
        self.prefer_page = page
        self._chosen = -1
        self.model.setSearchString("")
        self.results.clear()
        self.label.setText("")
        self.field.blockSignals(True)
        self.field.setText(text)
        self.field.blockSignals(False)

    def run(self) -> None:
        self._typing.stop()
        self._chosen = -1
        self.model.setSearchString(self.text() if self.active else "")
        self._fill()

    def focus(self) -> None:
        self.field.setFocus()
        self.field.selectAll()

    def next(self) -> None:
        self._step(1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        if self._typing.isActive():
            self.run()  # Enter straight after typing: search now, and show the first result
            return
        if self.results.count() != self.count():  # reports not gathered yet: gather them now
            self._reports.stop()
            fresh = self._chosen < 0
            self._fill()
            if fresh:
                return  # the first result of the search is now shown
        count = self.count()
        if count:
            self.results.setCurrentRow((self.results.currentRow() + step) % count)

    def _fill(self) -> None:
        count, text = self.count(), self.text()
        self.results.blockSignals(True)
        self.results.clear()
        for i in range(count):
            link = self.model.resultAtIndex(i)
            context = snippet(link.contextBefore(), text, link.contextAfter())
            item = QListWidgetItem(f"p. {link.page() + 1} · {context}", self.results)
            item.setToolTip(context)
        chosen = self._chosen if 0 <= self._chosen < count else -1
        self.results.setCurrentRow(chosen)
        self.results.blockSignals(False)
        first = self._first_row() if chosen < 0 and count else -1
        if first >= 0:
            self.results.setCurrentRow(first)  # the first result of a new search: go there
        elif chosen >= 0:
            self.label.setText(f"{chosen + 1} of {count}")
        elif count:
            self.label.setText(f"{count} results")  # none on the page chosen: stay there
        elif text:
            self.label.setText("No results" if self.active else "")
        else:
            self.label.setText("")

    def _first_row(self) -> int:
        if self.prefer_page is None:
            return 0
        for row in range(self.count()):
            if self.model.resultAtIndex(row).page() == self.prefer_page:
                return row
        return -1

    def _choose(self, row: int) -> None:
        if not 0 <= row < self.count():
            return
        self._chosen = row
        link = self.model.resultAtIndex(row)
        self.view.setCurrentSearchResultIndex(row)
        self.view.pageNavigator().jump(link)
        self.label.setText(f"{row + 1} of {self.count()}")
        self.page_shown.emit(link.page())
