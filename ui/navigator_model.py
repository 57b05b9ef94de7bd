"""The navigator's item model: sections, then their standards, for one component.

Section rows show "assessed/applicable" in their second column; standard rows show "KEY" there.
A two-level model over the session's read model, for the chosen component, filters and search.
Edits update only the rows they touch (``dataChanged``); a new component, filter or search
rebuilds it. A row that stops matching a filter stays until the filter changes, so nothing
vanishes under the reviewer's cursor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from reviewer_app.visit.model import (
    JUDGEMENT,
    JUDGEMENT_LABELS,
    NOTE,
    parse_judgement_id,
)
from reviewer_app.visit.read_model import Filters, VisitData
from reviewer_app.visit.session import Change
from ui.judgement_icons import judgement_icon

Index = QModelIndex | QPersistentModelIndex
SECTION = 0  # internalId of a section row; a standard's is its section's row + 1
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
