"""The navigator panel: the component chooser, progress, search, filters and the tree.

The tree's model is ``ui.navigator_model.NavigatorModel`` (sections, then standards, with my
judgement on each).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.model import JUDGEMENT
from reviewer_app.visit.read_model import Filters, VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.navigator_model import NavigatorModel
from ui.text_style import restyle_on_change

__all__ = ["SEARCH_DELAY_MS", "NavigatorModel", "NavigatorPanel"]

SEARCH_DELAY_MS = 150
# The standards' search index is built on a thread of its own this long after the navigator is
# made (once the window is up), so that the first keystroke does not wait 75 ms for it.
PREPARE_SEARCH_AFTER_MS = 1500
BADGE_SAMPLE = "  999/999  "  # the widest the badge column shows (a section's count)
# A big visit's rows not made with the model are made once the window has painted: made at the
# turns of the event loop that build and show the window, they lengthened each (6-10 ms a
# turn). Shown, the panel starts them ``ROWS_AFTER_SHOW_MS`` after; never shown, after this.
REST_OF_ROWS_AFTER_MS = 1000
ROWS_AFTER_SHOW_MS = 150


# -- the panel ------------------------------------------------------------------------------


class NavigatorPanel(QWidget):
    standard_selected = Signal(str)
    component_changed = Signal(str)

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Navigator")
        self.bridge = bridge
        self._shown_once = False
        data: VisitData = bridge.session.data
        self.visit = data
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.components = QComboBox(self)
        self.components.setAccessibleName("Component")
        self.components.setToolTip("The service component you are judging")
        for c in data.visit.components:
            self.components.addItem(c.name, c.id)
        self.progress_label = QLabel(self)
        self.progress_label.setAccessibleName("Progress")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Assessed standards")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search standards")
        self.search.setPlaceholderText("Search refs, titles, requirements, my notes…")
        self.search.setClearButtonEnabled(True)
        filters = self._build_filters()
        self._build_tree(data)
        self.empty = QLabel("No standards match. Clear the search or filters.", self)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("No matches")
        self.empty.setVisible(False)
        layout.addWidget(self.components)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        self._last_ref: str | None = None
        self._narrowing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        QTimer.singleShot(PREPARE_SEARCH_AFTER_MS, self, self._prepare_search)
        self.components.currentIndexChanged.connect(self._component_chosen)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.model.shown_changed.connect(self._after_narrowing)
        # (Not rowsInserted: a filter change inserts hundreds of ranges, each a call into Python.)
        self.model.section_made.connect(self._section_made)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(lambda: self._narrow(self.model.set_component, self.component))
        self._after_narrowing()

    def _build_filters(self) -> QGridLayout:
        self.filter_boxes: dict[str, QCheckBox] = {}
        filters = QGridLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for i, (name, text) in enumerate(
            (
                ("not_assessed", "Not yet assessed"),
                ("not_met", "Not met"),
                ("with_notes", "With my notes"),
                ("key_only", "Key standards"),
                ("needs_agreement", "Needs agreement"),
            )
        ):
            box = QCheckBox(text, self)
            box.setAccessibleName(f"Show only: {text}")
            box.setToolTip(f"Show only standards: {text.lower()}")
            box.toggled.connect(self._filters_changed)
            self.filter_boxes[name] = box
            filters.addWidget(box, i // 2, i % 2)
        return filters

    def _build_tree(self, data: VisitData) -> None:
        self.model = NavigatorModel(data, self.component, self, rest_after_ms=REST_OF_ROWS_AFTER_MS)
        self.tree = QTreeView(self)
        self.tree.setAccessibleName("Standards")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # A fixed badge column: sizing it to contents would ask every row for its size.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        restyle_on_change(self, _follow_font)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.model.make_rest_after(ROWS_AFTER_SHOW_MS)

    def follow_font(self) -> None:
        """The badge column's width, and the rows' bold fonts, from the font in use (larger
        text set while the app runs makes the rows anew)."""
        font = QApplication.font(self.tree)
        self.tree.header().resizeSection(1, QFontMetrics(font).horizontalAdvance(BADGE_SAMPLE))
        if self.model.font_size != font.pointSizeF():
            self._narrow(self.model.set_component, self.component)

    # -- state --------------------------------------------------------------------------------

    @property
    def component(self) -> str:
        return str(self.components.currentData())

    @property
    def current_ref(self) -> str | None:
        return self.model.ref_at(self.tree.currentIndex())

    def filters(self) -> Filters:
        return Filters(**{name: box.isChecked() for name, box in self.filter_boxes.items()})

    def set_component(self, component: str) -> None:
        at = self.components.findData(component)
        if at >= 0:
            self.components.setCurrentIndex(at)

    def update_progress(self) -> None:
        done, total = self.model.progress()
        self.progress_label.setText(f"Assessed {done} of {total}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setAccessibleDescription(f"Assessed {done} of {total}")

    # -- moving -------------------------------------------------------------------------------

    def select(self, ref: str) -> bool:
        """Make ``ref`` the current standard (clearing search and filters if they hide it)."""
        index = self.model.index_of(ref)
        if not index.isValid() and ref in self.visit.by_ref:
            self.clear_search_and_filters()
            index = self.model.index_of(ref)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def clear_search_and_filters(self) -> None:
        for box in self.filter_boxes.values():
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._timer.stop()
        self.model.filters = Filters()
        self._narrow(self.model.set_search, None)

    def next_standard(self) -> str | None:
        return self._step(1)

    def previous_standard(self) -> str | None:
        return self._step(-1)

    def _step(self, by: int) -> str | None:
        refs = self.model.refs()
        if not refs:
            return None
        current = self.current_ref
        if current in refs:
            target = refs[(refs.index(current) + by) % len(refs)]  # wraps at either end
        else:
            target = refs[0] if by > 0 else refs[-1]
        self.select(target)
        return target

    # -- reactions ----------------------------------------------------------------------------

    def _component_chosen(self) -> None:
        current = self.current_ref
        self._narrow(self.model.set_component, self.component)
        self.update_progress()
        self.component_changed.emit(self.component)
        if current and not self.select(current):
            self.next_standard()

    def _filters_changed(self) -> None:
        self._narrow(self.model.set_filters, self.filters())

    def _prepare_search(self) -> None:
        threading.Thread(target=self.visit.prepare_search, name="search-index", daemon=True).start()

    def _search_now(self) -> None:
        """Narrow to what the search box asks for: the standards' words are searched here, in
        memory (a fraction of a millisecond: see standards_search.py)."""
        query = self.search.text().strip()
        if not query:
            self._narrow(self.model.set_search, None)
        else:
            self._narrow(self.model.set_search, self.visit.search(query), query)

    def _on_changed(self, change: Change) -> None:
        self.model.on_changed(change)
        if change.entity == JUDGEMENT:
            self.update_progress()

    def _narrow(self, change: Callable[..., None], *args: Any) -> None:
        """Change what the tree shows without moving the reviewer: a current row that the
        change hides is let go (as Qt would move to its neighbour, and the page with it)."""
        self._narrowing = True
        try:
            change(*args)
        finally:
            self._narrowing = False

    def _after_narrowing(self) -> None:
        for row in range(self.model.rowCount()):  # a section shown again comes back collapsed
            self.tree.expand(self.model.index(row, 0))
        index = self.model.index_of(self._last_ref) if self._last_ref else QModelIndex()
        if index != self.tree.currentIndex():
            self.tree.setCurrentIndex(index)  # (invalid: no current row, as before the change)
        self.empty.setVisible(self.model.rowCount() == 0)
        self.update_progress()

    def _section_made(self, name: str) -> None:
        index = self.model.section_index(name)
        if index.isValid():  # shown open, as every other section
            self.tree.expand(index)
            self.empty.setVisible(False)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._narrowing:
            return
        ref = self.model.ref_at(current)
        if ref is not None and ref != self._last_ref:
            self._last_ref = ref
            self.standard_selected.emit(ref)


def _follow_font(panel: QWidget) -> None:
    if isinstance(panel, NavigatorPanel):
        panel.follow_font()
