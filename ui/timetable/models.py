"""The timetable's item models: the sessions (with "now" and "mine" roles) and a session's
standards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont, QPalette

from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.timetable import (
    Session,
    is_mine,
    is_now,
    my_subteam,
    session_label,
    sessions_in_order,
    visit_days,
)

Index = QModelIndex | QPersistentModelIndex
NOW_ROLE = Qt.ItemDataRole.UserRole + 1  # bool: this session is happening now
MINE_ROLE = Qt.ItemDataRole.UserRole + 2  # bool: my sub-team's (or the whole team's) session
SESSION_ROLE = Qt.ItemDataRole.UserRole + 3  # the Session itself
REF_ROLE = Qt.ItemDataRole.UserRole + 4  # a standard's ref
NOW_BADGE = "Now"
MINUTE_MS = 60_000
COMPACT_WIDTH = 760  # narrower than this (a side panel): one column says what, where and who


COLUMNS = ("Time", "Session", "Location", "Sub-team", "Attendees")
_MARK_ROLES = (
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.ForegroundRole,
    NOW_ROLE,
    MINE_ROLE,
)


class SessionsModel(QAbstractTableModel):
    """The visit's sessions in time order; ``NOW_ROLE``/``MINE_ROLE`` say how to mark them."""

    def __init__(self, data: VisitData, now: datetime, parent: Any = None) -> None:
        super().__init__(parent)
        self._data = data
        self._now = now
        self._sessions = sessions_in_order(data.visit)
        self.compact = False  # narrow: the session cell also says where and which sub-team
        self._forget()

    def reset(self, data: VisitData, now: datetime) -> None:
        sessions = sessions_in_order(data.visit)
        if sessions == self._sessions:
            self._data, self._now = data, now  # the same sessions: only the marks move
            self._forget()
            self._all_changed()
            return
        self.beginResetModel()
        self._data, self._now, self._sessions = data, now, sessions
        self._forget()
        self.endResetModel()

    def _forget(self) -> None:
        """Drop what was worked out for the last refresh (painting asks for it many times)."""
        self._marks: list[tuple[bool, bool]] | None = None  # per row: (now, mine)
        self._many_days: bool | None = None
        self._me: str | None = None

    def _marks_of(self, row: int) -> tuple[bool, bool]:
        if self._marks is None:
            self._marks = [(is_now(s, self._now), is_mine(self._data, s)) for s in self._sessions]
        return self._marks[row]

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self._all_changed()

    def _all_changed(self) -> None:
        if self._sessions:
            last = self.index(len(self._sessions) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def session(self, row: int) -> Session:
        return self._sessions[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._sessions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._sessions):
            return None
        s = self._sessions[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(s, index.column(), role == Qt.ItemDataRole.ToolTipRole)
        if role == SESSION_ROLE:
            return s
        if role not in _MARK_ROLES:
            return None
        return self._marked(s, index.row(), index.column(), role)

    def _marked(self, s: Session, row: int, column: int, role: int) -> Any:
        """The roles that depend on "now" and "mine" (worked out once per refresh)."""
        now, mine = self._marks_of(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            extra = (", happening now" if now else "") + ("" if mine else ", another sub-team")
            return self._text(s, column, False) + (extra if column == 0 else "")
        if role == Qt.ItemDataRole.FontRole:
            if not now:
                return None
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            placeholder = QPalette.ColorRole.PlaceholderText
            return None if mine else QPalette().brush(QPalette.ColorGroup.Active, placeholder)
        return now if role == NOW_ROLE else mine

    def _text(self, s: Session, column: int, tooltip: bool) -> str:
        if column == 0:
            if self._many_days is None:
                self._many_days = len(visit_days(self._data.visit)) > 1
            return session_label(s, with_date=self._many_days).split("  ")[0]
        if column == 1 and (self.compact or tooltip):
            team = self._subteam(s)
            team = team if team == "Whole team" else f"Sub-team {team}"
            where = f"{s.location} · {team}" if s.location else team
            more = f"\n{self._attendees(s, True)}" if tooltip else ""
            return f"{s.title}\n{where}{more}"
        if column == 3:
            return self._subteam(s)
        if column == 4:
            return self._attendees(s, tooltip)
        return s.title if column == 1 else s.location

    def _subteam(self, s: Session) -> str:
        if not s.subteam:
            return "Whole team"
        if self._me is None:
            self._me = my_subteam(self._data)
        return f"{s.subteam} (mine)" if s.subteam == self._me else s.subteam

    def _attendees(self, s: Session, tooltip: bool) -> str:
        names = []
        for member_id in s.attendees:
            m = self._data.visit.member(member_id)
            names.append(m.name if m else member_id)
        if not tooltip and len(names) == len(self._data.visit.team) and names:
            return "Everyone"
        return ", ".join(names)


class LinkedStandardsModel(QAbstractListModel):
    """The standards a session is timetabled to cover: "HN-204  Title"."""

    def __init__(self, data: VisitData, parent: Any = None) -> None:
        super().__init__(parent)
        self._data = data
        self._refs: list[str] = []

    def set_refs(self, data: VisitData, refs: tuple[str, ...]) -> None:
        self.beginResetModel()
        self._data = data
        self._refs = list(refs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._refs)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._refs):
            return None
        ref = self._refs[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            std = self._data.by_ref.get(ref)
            return f"{ref}  {std.title}" if std else f"{ref}  (not in this kit)"
        if role == REF_ROLE:
            return ref
        return None
