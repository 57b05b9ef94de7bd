"""The team overview: who has assessed what, section by section, and when their work arrived.

One row per member (in the kit's order). "Last bundle" says when that member's newest bundle
was imported on this laptop, so the lead sees at a glance whose work is missing; "All sections"
and one column per section say how many of the standards they could judge (every applicable
standard, summed over the components) they have assessed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.session import Change
from reviewer_app.team import MemberProgress, history_of, overview
from reviewer_app.visit_data import VisitData
from reviewer_app.visit_model import JUDGEMENT
from ui.bridge import SessionBridge
from ui.tasks import when_done
from ui.team import reporter
from ui.team.receipts import when
from ui.text_style import heading, muted

Index = QModelIndex | QPersistentModelIndex
FIXED = ("Member", "Last bundle", "All sections")


class OverviewModel(QAbstractTableModel):
    def __init__(self, data: VisitData, parent: Any = None) -> None:
        super().__init__(parent)
        self.visit = data
        self.history: list[dict[str, Any]] = []
        self.rows: list[MemberProgress] = []
        self.sections: list[str] = []
        self.refresh()

    def set_history(self, history: Sequence[dict[str, Any]]) -> None:
        self.history = list(history)
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.sections = list(self.visit.sections)
        self.rows = overview(self.visit, self.history)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED) + len(self.sections)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        name = FIXED[section] if section < len(FIXED) else self.sections[section - len(FIXED)]
        if role == Qt.ItemDataRole.DisplayRole:
            return "\n".join(textwrap.wrap(name, 18))
        if role == Qt.ItemDataRole.ToolTipRole:
            return name
        return None

    def figures(self, row: int, column: int) -> tuple[int, int] | None:
        """(assessed, applicable) of a figures cell; ``None`` for the other columns."""
        if column == 2:
            return self.rows[row].total
        if column >= len(FIXED):
            return self.rows[row].sections[column - len(FIXED)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        column = index.column()
        figures = self.figures(index.row(), column)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, column, figures)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(r, column, figures)
        if role == Qt.ItemDataRole.TextAlignmentRole and figures is not None:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.FontRole and column in {0, 2}:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _display(self, r: MemberProgress, column: int, figures: tuple[int, int] | None) -> str:
        if column == 0:
            return r.member.name + (" (lead)" if r.member.lead else "")
        if column == 1:
            return self._last_bundle(r)
        assert figures is not None
        return f"{figures[0]}/{figures[1]}"

    def _last_bundle(self, r: MemberProgress) -> str:
        if r.this_laptop:
            return "This laptop"
        if r.last_bundle is None:
            return "None yet"
        return when(str(r.last_bundle.get("imported_at", "")))

    def _tip(self, r: MemberProgress, column: int, figures: tuple[int, int] | None) -> str:
        if column == 0:
            return f"{r.member.name}, {r.member.role}"
        if column == 1:
            if r.last_bundle is None:
                return "No bundle from them has been imported here."
            made = when(str(r.last_bundle.get("created_at", "")))
            return f"{self._last_bundle(r)}; the bundle was made {made}"
        assert figures is not None
        where = "in all sections" if column == 2 else f"in {self.sections[column - len(FIXED)]}"
        return f"{r.member.name}: {figures[0]} of {figures[1]} assessed {where}"


class OverviewWindow(QDialog):
    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setWindowTitle("Team overview")
        self.setAccessibleName("Team overview")
        self.resize(1280, 440)
        layout = QVBoxLayout(self)
        title = QLabel("Who has assessed what", self)
        heading(title, 1.3)
        explain = QLabel(
            "Standards assessed of those applicable, summed over the components. Work from "
            "other laptops counts once their bundle is imported here.",
            self,
        )
        explain.setWordWrap(True)
        muted(explain)
        self.model = OverviewModel(bridge.session.data, self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Team overview")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        bridge.reloaded.connect(self.load)
        bridge.changed.connect(self._on_changed)
        self.load()

    def load(self) -> None:
        when_done(
            history_of(self.bridge.session),
            self,
            self.model.set_history,
            reporter(self, "read the import history"),
        )

    def _on_changed(self, change: Change) -> None:
        if change.entity == JUDGEMENT:
            self.model.refresh()
