"""The finalise dialog's three lists: what is missing, possible personal data, earlier snapshots.

``HitsModel`` rows are checkable: ticking one is the lead's "I have looked: it is not
patient-identifying" (its ``PrivacyHit.key`` joins the confirmed set, which the dialog keeps in
the workspace). Editing the text so the hit goes away removes the row by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from reviewer_app.lead.finalise import Gap, Snapshot
from reviewer_app.lead.privacy import PrivacyHit
from ui.rows_model import RowsModel

Index = QModelIndex | QPersistentModelIndex


class GapsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Gap] = []

    def set_rows(self, rows: list[Gap]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        gap = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return gap.message
        if role == Qt.ItemDataRole.ToolTipRole:
            where = "the standard" if gap.kind == "standard" else "the finding"
            return f"Enter or double-click: go to {where}"
        return None


class HitsModel(QAbstractListModel):
    """Possible personal data; ``confirmed`` is the set of keys the lead has ticked."""

    def __init__(self, on_confirm: Callable[[str, bool], None], parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[PrivacyHit] = []
        self.confirmed: set[str] = set()
        self._on_confirm = on_confirm

    def set_rows(self, rows: list[PrivacyHit], confirmed: set[str]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.confirmed = set(confirmed)
        self.endResetModel()

    def unconfirmed(self) -> list[PrivacyHit]:
        return [h for h in self.rows if h.key not in self.confirmed]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        hit = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{hit.label}: possibly {hit.kind_text} “{hit.match}”\n    {hit.text}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return hit.message()
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if hit.key in self.confirmed else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                "Tick: confirm it is not patient-identifying (a switchboard number, a policy's "
                "date). Or choose Edit the text to take it out."
            )
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        if not 0 <= index.row() < len(self.rows):
            return False
        key = self.rows[index.row()].key
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        if checked:
            self.confirmed.add(key)
        else:
            self.confirmed.discard(key)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self._on_confirm(key, checked)
        return True


SNAPSHOT_COLUMNS = ("Version", "Signed off", "By", "Content SHA-256", "Snapshot id")


class SnapshotsModel(RowsModel):
    HEADERS = SNAPSHOT_COLUMNS

    def __init__(self, names: Callable[[str], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._names = names

    def set_rows(self, rows: Sequence[Snapshot]) -> None:
        super().set_rows(sorted(rows, key=lambda s: -s.version))  # newest first

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: PLR0911
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        s = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                latest = " (current)" if index.row() == 0 else " (superseded)"
                return f"V{s.version}{latest}"
            if column == 1:
                return s.signed_off_at[:16].replace("T", " ") + " UTC"
            if column == 2:
                return self._names(s.signed_off_by)
            if column == 3:
                return s.content_sha256[:16] + "…"
            return s.snapshot_id
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return s.content_sha256
        return None
