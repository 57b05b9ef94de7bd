"""Immediate risks: each with its status, escalation and written-confirmation due date.

DOMAIN.md: immediate risks are raised at the end-of-visit feedback and confirmed in writing
within a few working days. The list says, per risk, where it has got to and what is late; an
OVERDUE row is marked in words (not only in colour), and the reviewer's window's status bar
says so too (``ui.lead.LeadActions``). The due date comes from ``reviewer_app.lead.risks`` (the
setting and the bank holidays are read once, off the UI thread: ``lead_view.risk_calendar``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.lead.risks import RiskState
from reviewer_app.lead.view import RiskCalendar
from reviewer_app.visit.model import FINDING
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change, VisitSession
from ui.bridge import SessionBridge
from ui.lead.dialogs import ConfirmationDialog, Escalation, EscalationDialog
from ui.lead.findings_model import first_line
from ui.operations import ChangeOp
from ui.rows_model import RowsModel
from ui.team.team_judgement import lead_name
from ui.text_style import heading, muted, restyle_on_change, tone
from ui.windows import fit_to_screen

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Risk", "Status", "Escalated to", "When and how", "Confirmation due", "Needs")
# In characters of the font in use, after the first column, which takes the rest: the risk's
# own words are the point of the list, and narrow columns of long text made rows ~160 px tall
# while the risk itself was cut short ("temper…"), two or three to a screen (issue 16).
COLUMN_CHARS = (14, 24, 24, 15, 20)
RISK_CHARS = 48  # the risk's column keeps at least this many characters a line
OVERDUE = "OVERDUE"


def when_text(at: str) -> str:
    return at.replace("T", " ") if at else ""


def needs_text(r: RiskState) -> str:
    if r.escalation_missing:
        return "Record the escalation"
    if r.overdue:
        return f"{OVERDUE}: send the written confirmation"
    if r.confirmed:
        sent = r.finding.confirmation_sent
        return f"Confirmed{' on ' + sent if sent else ''}"
    return "Send the written confirmation"


class RisksModel(RowsModel):
    HEADERS = COLUMNS

    def text(self, r: RiskState, column: int) -> str:
        f = r.finding
        if column == 0:
            return f"{r.label}\n{' '.join(f.text.split())}"  # all of it, wrapped, never cut
        if column == 1:
            return r.status_text
        if column == 2:
            return f.escalated_to or "—"
        if column == 3:
            return "  ·  ".join(p for p in (when_text(f.escalated_at), f.escalated_how) if p) or "—"
        if column == 4:
            return f"{r.due:%a %d %b %Y}"
        return needs_text(r)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.warning or r.finding.text if column in (0, 5) else self.text(r, column)
        late = r.overdue or r.escalation_missing
        if role == Qt.ItemDataRole.FontRole and column == 5 and late:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and late:
            return QBrush(QColor("#b3261e"))
        return None


class RisksWindow(QDialog):
    """The immediate risks of the visit (not modal, beside the reviewer's window)."""

    def __init__(  # noqa: PLR0915 (one widget after another)
        self, bridge: SessionBridge, calendar: RiskCalendar, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.calendar = calendar
        self.setObjectName("risks")
        data: VisitData = bridge.session.data
        self.visit = data
        self.editable = bridge.session.is_lead
        self.setWindowTitle(f"Immediate risks — {data.visit.title}")
        self.setAccessibleName("Immediate risks")
        title = QLabel("Immediate risks", self)
        heading(title, 1.3)
        days = calendar.working_days
        explain = QLabel(
            "Raise each at the end-of-visit feedback; confirm it in writing to the chief "
            f"executive and the commissioners within {days} working day{'s' if days != 1 else ''}"
            " of the visit (weekends and bank holidays do not count)."
            + ("" if self.editable else f" Read-only: {lead_name(data)} (lead) records these."),
            self,
        )
        explain.setWordWrap(True)
        muted(explain)
        self.warning = QLabel(self)
        self.warning.setAccessibleName("Overdue warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color:{tone(self, '#b3261e', '#ff8a80')}; font-weight:bold;")
        self.model = RisksModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Immediate risks list")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # A row is as tall as its wrapped words, again whenever a column's width changes.
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        restyle_on_change(self.table, _size_columns)
        self.empty = QLabel("No immediate risks recorded for this visit.", self)
        self.empty.setAccessibleName("No immediate risks")
        muted(self.empty)
        self.escalate = QPushButton("Record &escalation…", self)
        self.escalate.setAccessibleName("Record escalation")
        self.confirm = QPushButton("&Written confirmation sent…", self)
        self.confirm.setAccessibleName("Written confirmation sent")
        self.close_risk = QPushButton("&Close the risk", self)
        self.close_risk.setAccessibleName("Close the risk")
        self.close_risk.setToolTip("The provider has acted on it: nothing more to chase")
        buttons = QHBoxLayout()
        for b in (self.escalate, self.confirm, self.close_risk):
            b.setVisible(self.editable)
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.escalate.clicked.connect(self.record_escalation)
        self.confirm.clicked.connect(self.record_confirmation)
        self.close_risk.clicked.connect(lambda: self._status("closed"))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self.record_escalation())
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self.refresh()
        # Wide enough for the risks' words, as tall as the screen allows (remembered).
        fit_to_screen(self, "risks", QSize(1340, 720))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # A narrow window narrows the other columns, not the risk's (once the table has its
        # new width: at the next turn of the event loop).
        QTimer.singleShot(0, self, lambda: _size_columns(self.table))

    def current(self) -> RiskState | None:
        row = self.table.currentIndex().row()
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def refresh(self) -> None:
        keep = self.current()
        self.model.set_rows(self.calendar.states(self.visit))
        rows = self.model.rows
        at = next((i for i, r in enumerate(rows) if keep and r.finding.id == keep.finding.id), 0)
        if rows:
            self.table.setCurrentIndex(self.model.index(at, 0))
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        overdue = [r for r in rows if r.overdue]
        missing = [r for r in rows if r.escalation_missing]
        parts = []
        if overdue:
            parts.append(
                f"{OVERDUE}: {len(overdue)} written confirmation{'s' if len(overdue) != 1 else ''}"
                f" past due ({overdue[0].due:%d %B})."
            )
        if missing:
            parts.append(f"{len(missing)} with no escalation recorded.")
        self.warning.setText("  ".join(parts))
        self.warning.setVisible(bool(parts))
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.current()
        self.escalate.setEnabled(r is not None)
        self.confirm.setEnabled(r is not None and not r.confirmed)
        self.close_risk.setEnabled(r is not None and r.status != "closed")

    def select(self, finding_id: str) -> bool:
        for i, r in enumerate(self.model.rows):
            if r.finding.id == finding_id:
                self.table.setCurrentIndex(self.model.index(i, 0))
                return True
        return False

    def record_escalation(self) -> None:
        r = self.current()
        if r is None or not self.editable:
            return
        f = r.finding
        current = (
            Escalation(f.escalated_to, f.escalated_at, f.escalated_how) if f.escalated else None
        )
        asked = EscalationDialog.ask(self, f"{r.label}\n{first_line(f.text, 200)}", current)
        if asked is not None:
            self._change(lambda s: s.record_escalation(f.id, asked.to, asked.at, asked.how))

    def record_confirmation(self) -> None:
        r = self.current()
        if r is None or not self.editable:
            return
        sent = ConfirmationDialog.ask(self, r.label, r.due)
        if sent is not None:
            self._change(lambda s: s.set_risk_status(r.finding.id, "confirmed", sent))

    def _status(self, status: str) -> None:
        r = self.current()
        if r is not None and self.editable:
            self._change(lambda s: s.set_risk_status(r.finding.id, status))

    def _change(self, op: Callable[[VisitSession], Future[Change]]) -> None:
        ChangeOp(self, self.bridge, op).run()

    def _on_changed(self, change: Change) -> None:
        if change.entity == FINDING:
            self.refresh()


def _size_columns(table: QWidget) -> None:
    """The columns after the risk at their widths in characters (never narrower than their
    headings), unless that would leave the risk fewer than ``RISK_CHARS`` a line: then they
    share what is left in proportion, and wrap more."""
    assert isinstance(table, QTableView)
    font = QApplication.font(table)  # (the application's: see ui.text_style)
    char = QFontMetrics(font).averageCharWidth()
    bold = QFont(font)
    bold.setBold(True)
    title = QFontMetrics(bold)
    # ("Confirmation due" was cut to "onfirmation du" in a column narrower than its heading.)
    wanted = [
        max(char * chars + 12, title.horizontalAdvance(COLUMNS[column]) + 2 * title.height())
        for column, chars in enumerate(COLUMN_CHARS, start=1)
    ]
    room = table.viewport().width() - char * RISK_CHARS
    if room < sum(wanted):
        wanted = [max(char * 8, width * max(room, 0) // sum(wanted)) for width in wanted]
    for column, width in enumerate(wanted, start=1):
        table.setColumnWidth(column, width)
    table.resizeRowsToContents()
