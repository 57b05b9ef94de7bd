"""The findings of one component as a two-level tree: the six categories in DOMAIN.md's order,
each holding its findings numbered as the report numbers them (``reviewer_app.lead.findings``).

Every category is a row even when it has no findings, so the lead sees the report's shape and
where a new finding would go. ``ALL_COMPONENTS`` shows every component's findings at once, each
category's findings component by component (the report's order), each named with its component.
A category row's internal id is 0; a finding's is its category's row + 1, which is all
``parent()`` needs (no pointers to keep alive).

When ``movable`` (the lead), a finding can be dragged to another place in its own component and
category: the model says where (``moved``: the finding and the one it now comes before, None for
the end) and changes nothing itself; the window makes the move a session operation, and the
model is read again from the visit when it is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from reviewer_app.lead import findings as rules
from reviewer_app.visit.model import CATEGORIES, Finding
from reviewer_app.visit.read_model import VisitData

Index = QModelIndex | QPersistentModelIndex
CATEGORY_KEYS = tuple(CATEGORIES)
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # a finding's id ("" for a category row)
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2  # the category key of either kind of row
PREVIEW_CHARS = 110
FINDING_MIME = "application/x-reviewer-app-finding"  # a dragged finding: its id, UTF-8
ALL_COMPONENTS = "*"  # the model's component: every component's findings (never a component id)


def components_in_order(data: VisitData) -> list[str]:
    """The components findings may be on: the whole service, then the kit's components, then
    any other a finding names (a component since dropped from the kit)."""
    ordered = [rules.WHOLE_SERVICE, *(c.id for c in data.visit.components)]
    others = sorted({f.component for f in data.findings.values()} - set(ordered))
    return ordered + others


def first_line(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The finding's text on one line, cut with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class FindingsModel(QAbstractItemModel):
    """Categories, then findings, of ``component`` (``""``: the whole service;
    ``ALL_COMPONENTS``: every component)."""

    moved = Signal(str, object)  # a finding dragged before another (str), or to the end (None)

    def __init__(self, data: VisitData, component: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.visit = data
        self.component = component
        self.movable = False
        self.groups: dict[str, list[tuple[int, Finding]]] = {}
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.groups = {key: [] for key in CATEGORY_KEYS}
        shown = (
            components_in_order(self.visit)
            if self.component == ALL_COMPONENTS
            else [self.component]
        )
        for component in shown:
            for number, f in rules.numbered(self.visit, component):
                self.groups.setdefault(f.category, []).append((number, f))
        self.endResetModel()

    @property
    def all_components(self) -> bool:
        return self.component == ALL_COMPONENTS

    def set_component(self, component: str) -> None:
        self.component = component
        self.refresh()

    # -- finding things -------------------------------------------------------------------------

    def finding(self, index: Index) -> Finding | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        group = self.groups[CATEGORY_KEYS[index.internalId() - 1]]
        return group[index.row()][1] if 0 <= index.row() < len(group) else None

    def category_of(self, index: Index) -> str:
        if not index.isValid():
            return ""
        row = index.row() if index.internalId() == 0 else index.internalId() - 1
        return CATEGORY_KEYS[row] if 0 <= row < len(CATEGORY_KEYS) else ""

    def index_of(self, finding_id: str) -> QModelIndex:
        for c, key in enumerate(CATEGORY_KEYS):
            for row, (_n, f) in enumerate(self.groups[key]):
                if f.id == finding_id:
                    return self.createIndex(row, 0, c + 1)
        return QModelIndex()

    def category_index(self, category: str) -> QModelIndex:
        if category not in CATEGORY_KEYS:
            return QModelIndex()
        return self.createIndex(CATEGORY_KEYS.index(category), 0, 0)

    def siblings(self, finding_id: str) -> list[str]:
        """The ids of the finding's component and category, in order (itself included): the
        findings it can move among."""
        f = self.visit.findings.get(finding_id)
        if f is None:
            return []
        group = self.groups.get(f.category, [])
        return [g.id for _n, g in group if g.component == f.component]

    def count(self) -> int:
        return sum(len(g) for g in self.groups.values())

    # -- the model ------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, 0) if row < len(CATEGORY_KEYS) else QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        group = self.groups[CATEGORY_KEYS[parent.row()]]
        return self.createIndex(row, 0, parent.row() + 1) if row < len(group) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(CATEGORY_KEYS)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self.groups[CATEGORY_KEYS[parent.row()]])

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, ARG002
        return 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.movable:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
            if index.internalId() != 0:
                flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    # -- dragging a finding to another place in its category -----------------------------------

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 (Qt's name)
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt's name)
        return [FINDING_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]  # noqa: N802
        mime = QMimeData()
        found = [f for f in (self.finding(i) for i in indexes) if f is not None]
        if found:
            mime.setData(FINDING_MIME, found[0].id.encode("utf-8"))
        return mime

    def drop_target(
        self, mime: QMimeData, row: int, parent: Index
    ) -> tuple[str, str | None] | None:
        """(the dragged finding, the one it would come before or None for the end) for a drop
        at ``row`` under ``parent`` (a category; or on a finding: before it); None when the
        drop is not a place in the dragged finding's own category."""
        if not self.movable or not mime.hasFormat(FINDING_MIME):
            return None
        fid = bytes(mime.data(FINDING_MIME).data()).decode("utf-8", "replace")
        dragged = self.visit.findings.get(fid)
        if dragged is None or self.category_of(parent) != dragged.category:
            return None
        group = self.siblings(fid)
        if fid not in group:
            return None
        on = self.finding(parent)
        if on is not None:  # dropped on a finding: before it
            before: str | None = on.id
        else:
            rows = [f.id for _n, f in self.groups.get(dragged.category, [])]
            before = rows[row] if 0 <= row < len(rows) else None
            if before is not None and before not in group and row > 0 and rows[row - 1] in group:
                before = None  # just after the last of its component: the end of its group
        if before is not None and before not in group:
            return None  # among another component's findings (all components shown)
        return fid, before

    def canDropMimeData(  # noqa: N802 (Qt's name)
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        del column
        return (
            action == Qt.DropAction.MoveAction and self.drop_target(data, row, parent) is not None
        )

    def dropMimeData(  # noqa: N802 (Qt's name)
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Say where the finding goes (``moved``); False, so the view removes nothing: the
        model is read again once the move is saved."""
        del column
        target = self.drop_target(data, row, parent) if action == Qt.DropAction.MoveAction else None
        if target is not None and target[1] != target[0]:
            self.moved.emit(*target)
        return False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: PLR0911
        if not index.isValid():
            return None
        category = self.category_of(index)
        if index.internalId() == 0:
            return self._category_data(category, role)
        group = self.groups[category]
        if not 0 <= index.row() < len(group):
            return None
        number, f = group[index.row()]
        where = f"{rules.component_name(self.visit, f.component)}: " if self.all_components else ""
        if role == Qt.ItemDataRole.DisplayRole:
            refs = f"  [{', '.join(f.refs)}]" if f.refs else ""
            return f"{where}{number}. {first_line(f.text) or '(no text yet)'}{refs}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{rules.finding_label(self.visit, f, number)}\n\n{f.text}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{where}Finding {number}: {first_line(f.text, 300)}"
        if role == ID_ROLE:
            return f.id
        if role == CATEGORY_ROLE:
            return category
        return None

    def _category_data(self, category: str, role: int) -> Any:  # noqa: PLR0911
        count = len(self.groups[category])
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{CATEGORIES[category]} ({count})"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{CATEGORIES[category]}: {count} finding{'s' if count != 1 else ''}"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Choose a category, then New finding, to add one here"
        if role == ID_ROLE:
            return ""
        if role == CATEGORY_ROLE:
            return category
        return None
