"""The navigator: sections and standards for one component, with my judgement on each.

Section rows show "assessed/applicable" in their second column; standard rows show "KEY" there.

``NavigatorModel`` is a two-level item model (sections, then their standards) over the session's
read model, for the chosen component, filters and search. Edits update only the rows they touch
(``dataChanged``); a new component, filter or search rebuilds it. A row that stops matching a
filter stays until the filter changes, so nothing vanishes under the reviewer's cursor.
``NavigatorPanel`` puts the component chooser, progress, search, filters and the tree together.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from reviewer_app.session import Change
from reviewer_app.visit_data import Filters, VisitData
from reviewer_app.visit_model import (
    JUDGEMENT,
    JUDGEMENT_LABELS,
    NOTE,
    parse_judgement_id,
)
from ui.bridge import SessionBridge
from ui.judgement_icons import judgement_icon

Index = QModelIndex | QPersistentModelIndex
SECTION = 0  # internalId of a section row; a standard's is its section's row + 1
SEARCH_DELAY_MS = 150
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_LEAF_FLAGS = _FLAGS | Qt.ItemFlag.ItemNeverHasChildren


# -- the model ------------------------------------------------------------------------------


class NavigatorModel(QAbstractItemModel):
    REF_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, data: VisitData, component: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.visit = data
        self.component = component
        self.filters = Filters()
        self.search_hits: list[str] | None = None
        self.query = ""
        self._sections: list[tuple[str, list[str]]] = []
        self._where: dict[str, tuple[int, int]] = {}  # ref -> (section row, row)
        self._counts: dict[str, tuple[int, int]] = {}  # section -> (assessed, applicable)
        self._count()
        self._rebuild()

    # -- what is shown ------------------------------------------------------------------------

    def set_component(self, component: str) -> None:
        self.component = component
        self._count()
        self._reset()

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self._reset()

    def set_search(self, hits: list[str] | None, query: str = "") -> None:
        self.search_hits, self.query = hits, query
        self._reset()

    def _reset(self) -> None:
        self.beginResetModel()
        self._rebuild()
        self.endResetModel()

    def _rebuild(self) -> None:
        refs = self.visit.matching(self.component, self.filters, self.search_hits, self.query)
        grouped: dict[str, list[str]] = {name: [] for name in self.visit.sections}
        for ref in refs:
            grouped.setdefault(self.visit.by_ref[ref].section, []).append(ref)
        self._sections = [(name, rs) for name, rs in grouped.items() if rs]
        self._where = {
            ref: (srow, row)
            for srow, (_n, rs) in enumerate(self._sections)
            for row, ref in enumerate(rs)
        }

    def refs(self) -> list[str]:
        """The standards shown, in order."""
        return [ref for _name, refs in self._sections for ref in refs]

    def index_of(self, ref: str, column: int = 0) -> QModelIndex:
        where = self._where.get(ref)
        if where is None:
            return QModelIndex()
        return self.createIndex(where[1], column, where[0] + 1)

    def ref_at(self, index: Index) -> str | None:
        if not index.isValid() or index.internalId() == SECTION:
            return None
        return self._sections[index.internalId() - 1][1][index.row()]

    def section_counts(self, name: str) -> tuple[int, int]:
        """(assessed, applicable) in a section for the component, whatever the filter."""
        return self._counts.get(name, (0, 0))

    def progress(self) -> tuple[int, int]:
        """(assessed, applicable) for the component: the sum of the sections' counts."""
        counts = self._counts.values()
        return sum(done for done, _ in counts), sum(total for _, total in counts)

    def _count(self, sections: set[str] | None = None) -> None:
        """Count per section once (painting asks for counts far more often than they change)."""
        counts = {} if sections is None else dict(self._counts)
        for name in sections or self.visit.sections:
            counts[name] = (0, 0)
        for s in self.visit.standards_for(self.component):
            if sections is not None and s.section not in sections:
                continue
            done, total = counts.get(s.section, (0, 0))
            assessed = self.visit.judgement(s.ref, self.component).assessed
            counts[s.section] = (done + assessed, total + 1)
        self._counts = counts

    # -- keeping up with edits ---------------------------------------------------------------

    def on_changed(self, change: Change) -> None:
        """Redraw only the rows an edit touched."""
        refs: list[str] = []
        if change.entity == JUDGEMENT:
            ref, component, member = parse_judgement_id(change.entity_id)
            if component == self.component and member == self.visit.member_id:
                refs.append(ref)
                self._count({self.visit.by_ref[ref].section})
        elif change.entity == NOTE and change.fields:
            refs.append(str(change.fields.get("ref", "")))
        for ref in refs:
            index = self.index_of(ref)
            if not index.isValid():
                continue
            self.dataChanged.emit(index, self.index_of(ref, 1))
            section = self.index(index.internalId() - 1, 0)
            self.dataChanged.emit(section, self.index(section.row(), 1))

    # -- QAbstractItemModel -----------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Bounds checked here, not with hasIndex(): the tree asks for every row when it lays out.
        if row < 0 or not 0 <= column < 2:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._sections):
                return QModelIndex()
            return self.createIndex(row, column, SECTION)
        srow = parent.row()
        if (
            parent.internalId() != SECTION
            or parent.column() != 0
            or srow >= len(self._sections)
            or row >= len(self._sections[srow][1])
        ):
            return QModelIndex()
        return self.createIndex(row, column, srow + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == SECTION:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, SECTION)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._sections)
        if parent.internalId() == SECTION and parent.column() == 0:
            return len(self._sections[parent.row()][1])
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, ARG002
        return 2

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # A standard never has children: the tree then need not ask each one for its rows.
        return _FLAGS if index.internalId() == SECTION else _LEAF_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == SECTION:
            return self._section_data(index, role)
        if index.column() == 0 and role not in _STANDARD_ROLES:
            return None  # painting asks for many roles a standard's row does not have
        return self._standard_data(index, role)

    def _section_data(self, index: Index, role: int) -> Any:
        name = self._sections[index.row()][0]
        done, total = self.section_counts(name)
        if role == Qt.ItemDataRole.DisplayRole:
            # The count has its own column so that a long section name never elides it.
            return name if index.column() == 0 else f"{done}/{total}"
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{name}: {done} of {total} assessed"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _standard_data(self, index: Index, role: int) -> Any:
        ref = self._sections[index.internalId() - 1][1][index.row()]
        if role == self.REF_ROLE:
            return ref
        std = self.visit.by_ref[ref]
        if index.column() == 1:
            return _key_data(role) if std.key else None
        value = self.visit.judgement(ref, self.component).value
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{ref}  {std.title}"
        if role == Qt.ItemDataRole.DecorationRole:
            return judgement_icon(value)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            key = ", key standard" if std.key else ""
            return f"{ref} {std.title}: {JUDGEMENT_LABELS[value]}{key}"
        return None


def _key_data(role: int) -> Any:
    """The "KEY" badge column of a key standard's row."""
    if role == Qt.ItemDataRole.DisplayRole:
        return "KEY"
    if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
        return "Key standard"
    if role == Qt.ItemDataRole.FontRole:
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        return font
    if role == Qt.ItemDataRole.ForegroundRole:
        dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
        return QColor("#f0b64a" if dark else "#8a5a00")
    return None


_STANDARD_ROLES = frozenset(
    (
        NavigatorModel.REF_ROLE,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
    )
)


# -- the panel ------------------------------------------------------------------------------


class NavigatorPanel(QWidget):
    standard_selected = Signal(str)
    component_changed = Signal(str)

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Navigator")
        self.bridge = bridge
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
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.components.currentIndexChanged.connect(self._component_chosen)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._after_reset)
        bridge.changed.connect(self._on_changed)
        bridge.search_done.connect(self._search_done)
        bridge.reloaded.connect(lambda: self.model.set_component(self.component))
        self._after_reset()

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
        self.model = NavigatorModel(data, self.component, self)
        self.tree = QTreeView(self)
        self.tree.setAccessibleName("Standards")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # A fixed badge column: sizing it to contents would ask every row for its size.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, self.tree.fontMetrics().horizontalAdvance("  999/999  "))

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
        self.model.set_search(None)

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
        self.model.set_component(self.component)
        self.update_progress()
        self.component_changed.emit(self.component)
        if current and not self.select(current):
            self.next_standard()

    def _filters_changed(self) -> None:
        self.model.set_filters(self.filters())

    def _search_now(self) -> None:
        query = self.search.text().strip()
        if not query:
            self.model.set_search(None)
        else:
            self.bridge.search(query)

    def _search_done(self, query: str, refs: list[str]) -> None:
        if query == self.search.text().strip():
            self.model.set_search(refs, query)

    def _on_changed(self, change: Change) -> None:
        self.model.on_changed(change)
        if change.entity == JUDGEMENT:
            self.update_progress()

    def _after_reset(self) -> None:
        for row in range(self.model.rowCount()):  # not expandAll(): that visits every standard
            self.tree.expand(self.model.index(row, 0))
        if self._last_ref and self.model.index_of(self._last_ref).isValid():
            self.tree.setCurrentIndex(self.model.index_of(self._last_ref))
        self.empty.setVisible(self.model.rowCount() == 0)
        self.update_progress()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        ref = self.model.ref_at(current)
        if ref is not None and ref != self._last_ref:
            self._last_ref = ref
            self.standard_selected.emit(ref)
