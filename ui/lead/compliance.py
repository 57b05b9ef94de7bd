"""Compliance so far, per component, while the lead works: the figures the feedback sheet and the
report will print, from :func:`reviewer_app.lead.compliance.compliance` (the one computation every
output shares), redrawn whenever a team judgement changes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.lead.compliance import ComponentCompliance, compliance
from reviewer_app.visit.model import TEAM_JUDGEMENT
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.rows_model import RowsModel
from ui.text_style import heading, muted

Index = QModelIndex | QPersistentModelIndex
EXPLAIN = (
    "From the team judgements, as the feedback sheet, the report and the central service count "
    "them: applicable = every standard that applies less those judged Not applicable; a "
    "standard with no team judgement yet counts as not yet assessed."
)


class ComplianceModel(RowsModel):
    HEADERS = ("Component", "Applicable", "Met", "Not met", "Not yet assessed", "% met")

    def text(self, c: ComponentCompliance, column: int) -> str:
        values = (c.name, c.applicable, c.met, c.not_met, c.not_assessed, c.percent_text)
        return str(values[column])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(self.rows[index.row()], index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ComplianceWindow(QDialog):
    """The visit's compliance figures per component (not modal, beside the reviewer's window)."""

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        data = bridge.session.data
        self.setWindowTitle(f"Compliance — {data.visit.title}")
        self.setAccessibleName("Compliance so far")
        self.resize(760, 320)
        title = QLabel("Compliance so far", self)
        heading(title, 1.3)
        explain = QLabel(EXPLAIN, self)
        explain.setWordWrap(True)
        muted(explain)
        self.model = ComplianceModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Compliance per component")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(compliance(self.bridge.session.data))

    def _on_changed(self, change: Change) -> None:
        if change.entity == TEAM_JUDGEMENT:
            self.refresh()
