"""The navigator's item model: sections, then their standards, for one component.

Section rows show "assessed/applicable" in their second column; standard rows show "KEY" there.
The rows live in a ``QStandardItemModel`` built once per component; this proxy shows those the
filters and the search let through. Narrowing happens in C++: a keystroke in the search box
marks the rows whose fate changed (a data role the proxy filters on), and the proxy and the
tree then work through the rows without calling back into Python for each of them (a Python
model made the tree ask every one of 2,000 standards for its index and flags, three times a
keystroke: 60-70 ms).
Edits update only the rows they touch. A row that stops matching a filter stays until the
filter changes, so nothing vanishes under the reviewer's cursor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)

from reviewer_app.visit.model import (
    JUDGEMENT,
    JUDGEMENT_LABELS,
    NOT_ASSESSED,
    NOTE,
    parse_judgement_id,
)
from reviewer_app.visit.read_model import Filters, VisitData
from reviewer_app.visit.session import Change
from ui.judgement_icons import judgement_icon

Index = QModelIndex | QPersistentModelIndex
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_TIP = Qt.ItemDataRole.ToolTipRole
_SPOKEN = Qt.ItemDataRole.AccessibleTextRole
_SHOWN_ROLE = Qt.ItemDataRole.UserRole + 2
_SHOWN, _HIDDEN = "1", "0"
_FILTER_CHANGE = hasattr(QSortFilterProxyModel, "beginFilterChange")  # Qt 6.9 and later


# -- the model ------------------------------------------------------------------------------


class NavigatorModel(QSortFilterProxyModel):
    REF_ROLE = Qt.ItemDataRole.UserRole + 1
    shown_changed = Signal()  # the component, filters or search changed what is shown

    def __init__(self, data: VisitData, component: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.visit = data
        self.component = component
        self.filters = Filters()
        self.search_hits: list[str] | None = None
        self.query = ""
        self.setDynamicSortFilter(False)  # an edit never hides its row; a filter change does
        # A standard's row passes when marked shown; a section's when one of its rows does.
        self.setFilterRole(_SHOWN_ROLE)
        self.setFilterFixedString(_SHOWN)
        self.setRecursiveFilteringEnabled(True)
        self._source: QStandardItemModel
        self._layout: list[tuple[str, list[str]]] = []  # (section, its refs): the source rows
        self._items: dict[str, QStandardItem] = {}  # ref -> its row's first item
        self._section_items: dict[str, tuple[QStandardItem, QStandardItem]] = {}
        self._counts: dict[str, tuple[int, int]] = {}  # section -> (assessed, applicable)
        self._shown: set[str] = set()
        self._shown_refs: list[str] = []
        self._show_component()

    # -- what is shown ------------------------------------------------------------------------

    def set_component(self, component: str) -> None:
        self.component = component
        self._show_component()
        self.shown_changed.emit()

    def _show_component(self) -> None:
        """The component's own rows (a reset of the model), narrowed as before."""
        self._count()
        old = self.sourceModel()
        self._source = self._build()
        self._shown = set()  # every row is built hidden
        self._choose(apply=False)
        self.setSourceModel(self._source)
        if old is not None:
            old.deleteLater()

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self._choose()

    def set_search(self, hits: list[str] | None, query: str = "") -> None:
        self.search_hits, self.query = hits, query
        self._choose()

    def _choose(self, *, apply: bool = True) -> None:
        """Work out what the component, filters and search let through, mark the rows (only
        those that change), and let the proxy narrow in C++."""
        refs = self.visit.matching(self.component, self.filters, self.search_hits, self.query)
        shown = set(refs)
        if apply and _FILTER_CHANGE:
            self.beginFilterChange()
        source = self._source
        blocked = source.blockSignals(True)  # a mark is no change the views need to hear of
        try:
            for ref in self._shown - shown:
                self._items[ref].setData(_HIDDEN, _SHOWN_ROLE)
            for ref in shown - self._shown:
                self._items[ref].setData(_SHOWN, _SHOWN_ROLE)
        finally:
            source.blockSignals(blocked)
        self._shown = shown
        self._shown_refs = [ref for _name, rs in self._layout for ref in rs if ref in shown]
        if not apply:
            return
        if _FILTER_CHANGE:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt before 6.9
            self.invalidateRowsFilter()
        self.shown_changed.emit()

    def refs(self) -> list[str]:
        """The standards shown, in order."""
        return list(self._shown_refs)

    def index_of(self, ref: str, column: int = 0) -> QModelIndex:
        item = self._items.get(ref)
        if item is None:
            return QModelIndex()
        source = item.index()
        return self.mapFromSource(source if column == 0 else source.siblingAtColumn(column))

    def ref_at(self, index: Index) -> str | None:
        if not index.isValid():
            return None
        ref = index.data(self.REF_ROLE)
        return ref if isinstance(ref, str) else None

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
        value_of = self.visit.judgement_value
        for name in sections or self.visit.sections:
            counts[name] = (0, 0)
        for s in self.visit.standards_for(self.component):
            if sections is not None and s.section not in sections:
                continue
            done, total = counts.get(s.section, (0, 0))
            assessed = value_of(s.ref, self.component) != NOT_ASSESSED
            counts[s.section] = (done + assessed, total + 1)
        self._counts = counts

    # -- the rows -----------------------------------------------------------------------------

    def _build(self) -> QStandardItemModel:
        """The component's rows: a section row (name, count) above its standards (text, KEY)."""
        grouped: dict[str, list[str]] = {name: [] for name in self.visit.sections}
        for s in self.visit.standards_for(self.component):
            grouped.setdefault(s.section, []).append(s.ref)
        self._layout = [(name, refs) for name, refs in grouped.items() if refs]
        self._items, self._section_items = {}, {}
        source = QStandardItemModel(0, 2, self)
        root = source.invisibleRootItem()
        bold = QFont()
        bold.setBold(True)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        badge_font, badge_colour = _badge_font(), _badge_colour()
        by_ref = self.visit.by_ref
        for name, refs in self._layout:
            section = QStandardItem(name)
            section.setFlags(_FLAGS)
            section.setFont(bold)
            count = QStandardItem()
            count.setFlags(_FLAGS)
            count.setFont(bold)
            count.setTextAlignment(right)
            self._section_items[name] = (section, count)
            self._show_count(name)
            # A standard's row keeps QStandardItem's own flags (setting them from Python took a
            # fifth of building 2,000 rows); the tree edits nothing (NoEditTriggers).
            for ref in refs:
                std = by_ref[ref]
                item = QStandardItem(f"{ref}  {std.title}")
                item.setData(ref, self.REF_ROLE)
                key = QStandardItem()
                key.setData(ref, self.REF_ROLE)
                if std.key:
                    key.setText("KEY")
                    key.setFont(badge_font)
                    key.setForeground(badge_colour)
                    key.setToolTip("Key standard")
                    key.setData("Key standard", _SPOKEN)
                self._items[ref] = item
                self._show_judgement(ref, item)
                section.appendRow([item, key])
            root.appendRow([section, count])
        return source

    def _show_judgement(self, ref: str, item: QStandardItem) -> None:
        std = self.visit.by_ref[ref]
        value = self.visit.judgement_value(ref, self.component)
        item.setIcon(judgement_icon(value))
        key = ", key standard" if std.key else ""
        text = f"{ref} {std.title}: {JUDGEMENT_LABELS[value]}{key}"
        item.setToolTip(text)
        item.setData(text, _SPOKEN)

    def _show_count(self, name: str) -> None:
        section, count = self._section_items[name]
        done, total = self.section_counts(name)
        # The count has its own column so that a long section name never elides it.
        count.setText(f"{done}/{total}")
        for item in (section, count):
            item.setToolTip(f"{name}: {done} of {total} assessed")
            item.setData(f"{name}: {done} of {total} assessed", _SPOKEN)

    # -- keeping up with edits ---------------------------------------------------------------

    def on_changed(self, change: Change) -> None:
        """Redraw only the rows an edit touched."""
        if change.entity == JUDGEMENT:
            ref, component, member = parse_judgement_id(change.entity_id)
            item = self._items.get(ref)
            if component == self.component and member == self.visit.member_id and item:
                section = self.visit.by_ref[ref].section
                self._count({section})
                self._show_judgement(ref, item)
                self._show_count(section)
        elif change.entity == NOTE and change.fields:
            item = self._items.get(str(change.fields.get("ref", "")))
            if item is not None:
                item.emitDataChanged()


def _badge_font() -> QFont:
    """The "KEY" badge's font: bold, a little smaller than the text."""
    font = QFont()
    font.setBold(True)
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
    return font


def _badge_colour() -> QColor:
    dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
    return QColor("#f0b64a" if dark else "#8a5a00")
