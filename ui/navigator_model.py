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

The rows are made a section at a time: about ``FIRST_ROWS`` standards' worth (a screenful) when
the model is made, the rest ``ROWS_AT_ONCE`` at a turn of the event loop, from ``rest_after_ms``
on (the navigator starts them once it has shown: making 2,000 rows at once held the window still
for 70-110 ms while a kit opened). A standard asked for before its section is made (the
position the app reopens at, a search hit) has its section made at once, in its place.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)

import reviewer_app.lead.consensus  # noqa: F401 (filter_tags imports it late, at the first narrowing: ahead here, not while the window is made)
from reviewer_app.visit import filter_tags
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
_TAG_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's tag (filter_tags): what the proxy filters
_FILTER_CHANGE = hasattr(QSortFilterProxyModel, "beginFilterChange")  # Qt 6.9 and later
RELAYOUT_ABOVE = 200  # rows a search hides at once above which the proxy is cleared, not narrowed
ROWS_AT_ONCE = 150  # standards' rows made at one turn of the event loop (some 5 ms)
FIRST_ROWS = 60  # ...and with the model, in the turn that makes the window: a screenful


# -- the model ------------------------------------------------------------------------------


class NavigatorModel(QSortFilterProxyModel):
    REF_ROLE = Qt.ItemDataRole.UserRole + 1
    shown_changed = Signal()  # the component, filters or search changed what is shown
    section_made = Signal(str)  # a section's rows were made after the model was (its name)

    def __init__(
        self, data: VisitData, component: str, parent: Any = None, *, rest_after_ms: int = 0
    ) -> None:
        """``rest_after_ms``: the rows not made at once are made from this long after (else
        from the next turn of the event loop); ``make_rest_after`` changes it."""
        super().__init__(parent)
        self.visit = data
        self.component = component
        self.filters = Filters()
        self.search_hits: list[str] | None = None
        self.query = ""
        self.setDynamicSortFilter(False)  # an edit never hides its row; a filter change does
        # A standard's row passes when marked shown; a section's when one of its rows does.
        self.setFilterRole(_TAG_ROLE)
        self.setRecursiveFilteringEnabled(True)
        self._source: QStandardItemModel
        self._layout: list[tuple[str, list[str]]] = []  # (section, its refs): the source rows
        self._items: dict[str, QStandardItem] = {}  # ref -> its row's first item
        self._section_items: dict[str, tuple[QStandardItem, QStandardItem]] = {}
        self._counts: dict[str, tuple[int, int]] = {}  # section -> (assessed, applicable)
        self._shown: set[str] = set()
        self._shown_refs: list[str] | None = []
        self._tags: dict[str, str] = {}  # ref -> its tag (filter_tags), the rows' filter data
        self._tags_fresh: set[int] = set()  # the tags' letters worked out at this generation
        self._tags_generation = -1
        self._tags_search: tuple[list[str], str] | None = None
        self._generation = 0  # edits seen: tags worked out before one may be out of date
        self._unmade: dict[str, list[str]] = {}  # sections whose rows are still to be made
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.timeout.connect(self._make_more)
        self._rest_after = rest_after_ms  # (for the first rows left to make; then 0)
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
        self._generation += 1
        self._tags, self._shown, self._items = {}, set(), {}
        self._choose(apply=False)  # the tags first: the rows are made with them
        self._source = self._build()
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
        """Work out what the component, filters and search let through: the rows' tags
        (``filter_tags``: only those that changed are written) and the filters' pattern, which
        the proxy matches against the tags in C++. A filter turned on or off with nothing
        edited since needs no tag worked out again: the pattern alone changes."""
        searching = (self.search_hits, self.query) if self.search_hits is not None else None
        need = {
            i for i, on in enumerate(filter_tags.looked_at(self.filters, bool(searching))) if on
        }
        current = self._generation == self._tags_generation and searching == self._tags_search
        tags = self._tags
        if not (current and need <= self._tags_fresh):
            tags = filter_tags.row_tags(
                self.visit,
                self.component,
                self.filters,
                self.search_hits,
                self.query,
                previous=self._tags,
            )
            self._tags_fresh = need | self._tags_fresh if current else need
            self._tags_generation, self._tags_search = self._generation, searching
        passes = filter_tags.compiled(self.filters).match
        shown = {ref for ref, tag in tags.items() if passes(tag)}
        hidden, revealed = len(self._shown - shown), len(shown - self._shown)
        pattern = QRegularExpression(filter_tags.pattern(self.filters))
        new_pattern = pattern != self.filterRegularExpression()  # (not for a component's rows)
        narrow = apply and not new_pattern and bool(hidden or revealed)  # a search, an edit
        # Hiding rows by the hundred (a search's first letters) tells the views of each run of
        # hidden rows apart, and the tree does a pass over its rows for each; cleared and
        # worked out again, the tree lays its rows out once (half the time).
        relayout = narrow and hidden > max(RELAYOUT_ABOVE, revealed)
        if narrow and not relayout and _FILTER_CHANGE:
            self.beginFilterChange()
        self._write_tags(tags)
        self._shown, self._shown_refs = shown, None
        if new_pattern:
            self.setFilterRegularExpression(pattern)
        elif relayout:
            self.invalidate()
        elif narrow and _FILTER_CHANGE:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        elif narrow:  # Qt before 6.9
            self.invalidateRowsFilter()
        if apply:
            self.shown_changed.emit()

    def _write_tags(self, tags: dict[str, str]) -> None:
        """Give the made rows their new tags (only those that changed; the views need not hear
        of it: the proxy does not filter again until the pattern changes)."""
        old, items = self._tags, self._items
        if tags is old or not items:  # (the same tags, or no rows made yet)
            self._tags = tags
            return
        source = self._source
        blocked = source.blockSignals(True)
        try:
            for ref, tag in tags.items():
                if old.get(ref) != tag and ref in items:
                    items[ref].setData(tag, _TAG_ROLE)
        finally:
            source.blockSignals(blocked)
        self._tags = tags

    def refs(self) -> list[str]:
        """The standards shown, in order."""
        if self._shown_refs is None:
            shown = self._shown
            self._shown_refs = [ref for _name, rs in self._layout for ref in rs if ref in shown]
        return list(self._shown_refs)

    @property
    def building(self) -> bool:
        """Whether some sections' rows are still to be made."""
        return bool(self._unmade)

    def finish(self) -> None:
        """Make every row still to be made, now."""
        for name in list(self._unmade):
            self._make_section(name)

    def index_of(self, ref: str, column: int = 0) -> QModelIndex:
        item = self._items.get(ref)
        if item is None and ref in self.visit.by_ref:
            self._make_section(self.visit.by_ref[ref].section)
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
        """The component's rows: a section row (name, count) above its standards (text, KEY);
        the first sections now, the rest at the next turns of the event loop."""
        grouped: dict[str, list[str]] = {name: [] for name in self.visit.sections}
        for s in self.visit.standards_for(self.component):
            grouped.setdefault(s.section, []).append(s.ref)
        self._layout = [(name, refs) for name, refs in grouped.items() if refs]
        self._items, self._section_items = {}, {}
        self._source = QStandardItemModel(0, 2, self)
        self._unmade = dict(self._layout)
        self._made: list[int] = []  # the made sections' places in the layout, in order
        self._bold = QFont()
        self._bold.setBold(True)
        self.font_size = self._bold.pointSizeF()  # the font the rows were made with
        self._badge = (_badge_font(), _badge_colour())
        self._make_more(min(FIRST_ROWS, ROWS_AT_ONCE))
        return self._source

    def _make_more(self, rows: int | None = None) -> None:
        """Make the next sections' rows, about ``rows`` (``ROWS_AT_ONCE``) standards' worth."""
        rows = ROWS_AT_ONCE if rows is None else rows
        made = 0
        while self._unmade and made < rows:
            name = next(iter(self._unmade))
            made += len(self._unmade[name])
            self._make_section(name)
        if self._unmade:
            self._more.start(self._rest_after)
        self._rest_after = 0

    def make_rest_after(self, ms: int) -> None:
        """Make the rows still to be made from ``ms`` from now (their making had not begun)."""
        if self._more.isActive():
            self._more.start(ms)

    def _make_section(self, name: str) -> None:
        """A section's row with its standards' rows under it, put in its place in the kit's
        order (made whole before it joins the model: one insertion for the views)."""
        refs = self._unmade.pop(name, None)
        if refs is None:
            return
        section = QStandardItem(name)
        section.setFlags(_FLAGS)
        section.setFont(self._bold)
        count = QStandardItem()
        count.setFlags(_FLAGS)
        count.setFont(self._bold)
        count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._section_items[name] = (section, count)
        self._show_count(name)
        badge_font, badge_colour = self._badge
        by_ref, tags = self.visit.by_ref, self._tags
        # A standard's row keeps QStandardItem's own flags (setting them from Python took a
        # fifth of building 2,000 rows); the tree edits nothing (NoEditTriggers).
        for ref in refs:
            std = by_ref[ref]
            item = QStandardItem(f"{ref}  {std.title}")
            item.setData(ref, self.REF_ROLE)
            item.setData(tags.get(ref, filter_tags.BLANK), _TAG_ROLE)
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
        where = next(i for i, (n, _refs) in enumerate(self._layout) if n == name)
        place = bisect_left(self._made, where)  # its row among the sections made so far
        self._made.insert(place, where)
        self._source.insertRow(place, [section, count])
        if self.sourceModel() is self._source:  # (not while the model is first made)
            self.section_made.emit(name)

    def section_index(self, name: str) -> QModelIndex:
        """The section's row as shown (invalid if it is not made or not shown)."""
        items = self._section_items.get(name)
        return QModelIndex() if items is None else self.mapFromSource(items[0].index())

    def _show_judgement(self, ref: str, item: QStandardItem) -> None:
        std = self.visit.by_ref[ref]
        value = self.visit.judgement_value(ref, self.component)
        item.setIcon(judgement_icon(value))
        key = ", key standard" if std.key else ""
        text = f"{ref} {std.title}: {JUDGEMENT_LABELS[value]}{key}"
        item.setToolTip(text)
        item.setData(text, _SPOKEN)

    def _show_count(self, name: str) -> None:
        if name not in self._section_items:
            return  # (counted when its row is made)
        section, count = self._section_items[name]
        done, total = self.section_counts(name)
        # The count has its own column so that a long section name never elides it.
        count.setText(f"{done}/{total}")
        for item in (section, count):
            item.setToolTip(f"{name}: {done} of {total} assessed")
            item.setData(f"{name}: {done} of {total} assessed", _SPOKEN)

    # -- keeping up with edits ---------------------------------------------------------------

    def on_changed(self, change: Change) -> None:
        """Redraw only the rows an edit touched (their tags are worked out again when the
        filters or the search next change)."""
        self._generation += 1
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
