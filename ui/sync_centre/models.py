"""The sync centre's tables: the outbox of finalised snapshots, and the kits assigned to me.

Plain item models over the rows ``reviewer_app.central.service`` reads on a worker; the window
swaps in fresh rows with ``set_rows``. Every cell has an accessible text and a tooltip with the
whole sentence, so a narrow column never hides why something failed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication

from reviewer_app.central.service import OutboxRow
from reviewer_app.central.status import AssignedKit
from ui.rows_model import RowsModel

Index = QModelIndex | QPersistentModelIndex
RowRole = Qt.ItemDataRole.UserRole + 1

STATE_NAMES = {
    "queued": "Queued",
    "sending": "Sending…",
    "acknowledged": "Acknowledged",
    "failed": "Failed",
}


def when_text(iso: str, now: datetime | None = None) -> str:
    """ "today at 17:02", "4 December 2026 at 17:02" (local time) from an ISO UTC time."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return f"today at {clock}"
    return f"{local.day} {local:%B %Y} at {clock}"


def nice_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def outbox_details(row: OutboxRow) -> str:
    """The sentence that says where a snapshot is and, when it is stuck, why."""
    if row.state == "acknowledged":
        receipt = row.receipt or {}
        when = when_text(str(receipt.get("received_at", "")))
        return f"Received by the service {when}; receipt {receipt.get('receipt_id', '?')}".strip()
    if row.state == "sending":
        return "Being sent now."
    if row.state == "failed" and row.retries_itself:
        return f"Not sent yet (tried again at the next sync): {row.last_error}"
    if row.state == "failed":
        return f"Not sent: {row.last_error} Put this right, then press Retry."
    return "Waits for the next sync."


def kit_where(kit: AssignedKit) -> str:
    if kit.opened_here:
        return "Opened on this laptop"
    if kit.downloaded:
        return "Downloaded: ready to open"
    return "Not downloaded yet: press Sync now"


class _Rows(RowsModel):
    """Rows whose cells are whole sentences (tooltip and screen reader too)."""

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def foreground(self, _row: Any, _column: int) -> QBrush | None:
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, index.column())
        if role == RowRole:
            return row
        return None


class OutboxModel(_Rows):
    """One row per finalised snapshot: visit, version, state, and the receipt or the reason."""

    HEADERS = ("Visit", "Version", "State", "Details")

    def cell(self, row: OutboxRow, column: int) -> str:
        if column == 0:
            return row.title
        if column == 1:
            return f"V{row.version}"
        if column == 2:
            return STATE_NAMES.get(row.state, row.state)
        return outbox_details(row)

    def foreground(self, row: OutboxRow, column: int) -> QBrush | None:
        if column == 2 and row.state == "failed":
            dark = QGuiApplication.palette().window().color().lightness() < 128
            return QBrush(QColor("#ff8a80" if dark else "#b00020"))
        return None


class KitsModel(_Rows):
    """The kits the service assigned to me, and whether each is on this laptop."""

    HEADERS = ("Visit", "Date", "On this laptop")

    def cell(self, row: AssignedKit, column: int) -> str:
        if column == 0:
            return row.title or row.visit_id
        if column == 1:
            return nice_date(row.start_date)
        return kit_where(row)
