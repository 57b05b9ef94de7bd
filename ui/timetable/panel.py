"""The visit's timetable: its sessions in order, "now" marked, and each session's standards.

The panel reads only the in-memory ``VisitData`` (no disk). What time it is comes from ``now``
(a callable; when none is given, ``TimetablePanel.clock``, which tests set); a minute timer keeps
the "now" mark moving during the day. The rules (what "now" and "mine" mean) are in
``reviewer_app.visit.timetable``.

Go > Timetable (Ctrl+T) calls ``focus_now``: the sessions list takes the focus on the session
happening now (else the next one; after the last, the last), so the arrows move from there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.timetable import (
    Session,
    current_session,
    current_sessions,
    is_mine,
    my_subteam,
    nice_date,
    session_label,
    sessions_in_order,
    visit_days,
)
from ui.timetable.delegates import SessionDelegate, TimeDelegate
from ui.timetable.models import (
    COMPACT_WIDTH,
    MINUTE_MS,
    NOW_ROLE,
    REF_ROLE,
    LinkedStandardsModel,
    SessionsModel,
)


def session_to_show(data: VisitData, now: datetime) -> Session | None:
    """The session a reviewer arriving at the timetable wants: the one happening now (mine
    first), else the next to start (mine first among those), else the last of the visit.
    Before the visit, that is its first session; after it, its last."""
    found = current_session(data, now)
    if found is not None:
        return found
    ordered = sessions_in_order(data.visit)
    moment = now.replace(tzinfo=None).isoformat(timespec="minutes")
    later = [s for s in ordered if f"{s.date}T{s.start}" > moment]
    if later:
        first_start = (later[0].date, later[0].start)
        starting = [s for s in later if (s.date, s.start) == first_start]
        return next((s for s in starting if is_mine(data, s)), starting[0])
    return ordered[-1] if ordered else None


class TimetablePanel(QWidget):
    """The visit's sessions with "now" marked; a session's standards open with Enter."""

    standard_activated = Signal(str)
    clock: Callable[[], datetime] = datetime.now
    """What time it is when the maker gives no ``now`` (the reviewer's window): tests set it."""

    def __init__(
        self,
        data: VisitData,
        parent: QWidget | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """(The reviewer's window makes it just after its first paint: ``build_side``.)"""
        super().__init__(parent)
        self.setAccessibleName("Timetable")
        self._data = data
        self._now = now if now is not None else type(self).clock
        self._build_views(data, self._now())
        self._layout()
        self.sessions_view.selectionModel().currentRowChanged.connect(self._session_chosen)
        self.standards_view.selectionModel().currentChanged.connect(
            lambda cur, _prev: self.open_button.setEnabled(cur.isValid())
        )
        self._timer = QTimer(self)
        self._timer.setInterval(MINUTE_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()
        self.select_now()

    def _build_views(self, data: VisitData, now: datetime) -> None:
        self.day_label = QLabel(self)
        self.day_label.setAccessibleName("Visit day")
        self.day_label.setWordWrap(True)
        self.day_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.day_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.day_label.setFont(font)
        self.sessions_model = SessionsModel(data, now, self)
        self.sessions_view = QTableView(self)
        self.sessions_view.setAccessibleName("Sessions")
        self.sessions_view.setModel(self.sessions_model)
        self.sessions_view.setItemDelegateForColumn(0, TimeDelegate(self.sessions_view))
        self.sessions_view.setItemDelegateForColumn(1, SessionDelegate(self.sessions_view))
        self.sessions_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sessions_view.setTabKeyNavigation(False)  # Tab leaves the table (no trap)
        self.sessions_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sessions_view.setWordWrap(True)
        self.sessions_view.verticalHeader().setVisible(False)
        self.sessions_view.setAlternatingRowColors(True)
        header = self.sessions_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(2, 240)
        header.resizeSection(4, 220)
        self.sessions_view.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.session_heading = QLabel("Choose a session to see the standards it covers.", self)
        self.session_heading.setAccessibleName("Selected session")
        self.session_heading.setWordWrap(True)
        self.session_heading.setTextFormat(Qt.TextFormat.PlainText)
        self.standards_model = LinkedStandardsModel(data, self)
        self.standards_view = QListView(self)
        self.standards_view.setAccessibleName("Standards covered by the session")
        self.standards_view.setModel(self.standards_model)
        self.standards_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.standards_view.activated.connect(self._activate)
        self.open_button = QPushButton("Go to standard", self)
        self.open_button.setAccessibleName("Go to the selected standard")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self._activate(self.standards_view.currentIndex()))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        compact = self.width() < COMPACT_WIDTH
        if compact != self.sessions_model.compact:
            self.sessions_model.set_compact(compact)
            for column in (2, 3, 4):
                self.sessions_view.setColumnHidden(column, compact)
            policy = Qt.ScrollBarPolicy
            self.sessions_view.setHorizontalScrollBarPolicy(
                policy.ScrollBarAlwaysOff if compact else policy.ScrollBarAsNeeded
            )
        if compact:  # the session column's width changed: its wrapped text needs new heights
            QTimer.singleShot(0, self.sessions_view.resizeRowsToContents)

    def _layout(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.sessions_view)
        # The lower pane scrolls rather than clipping: its heading wraps to more lines than a
        # splitter's pane makes room for (large text on a laptop).
        scroller = QScrollArea(splitter)
        scroller.setWidgetResizable(True)
        scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # (its contents take the focus)
        scroller.setAccessibleName("The session and its standards")
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 6, 0, 0)
        lower_layout.addWidget(self.session_heading)
        lower_layout.addWidget(self.standards_view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        lower_layout.addLayout(row)
        scroller.setWidget(lower)
        splitter.addWidget(scroller)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        # Neither pane is squeezed out of sight: the list keeps three standards in view, and
        # the panes start in proportion to the text's size (large text needs more room).
        splitter.setChildrenCollapsible(False)
        line = self.standards_view.fontMetrics().lineSpacing()
        self.standards_view.setMinimumHeight(line * 3 + 2 * self.standards_view.frameWidth() + 4)
        splitter.setSizes([line * 26, line * 10])
        layout = QVBoxLayout(self)
        layout.addWidget(self.day_label)
        layout.addWidget(splitter, 1)

    # -- public --------------------------------------------------------------------------------

    def set_data(self, data: VisitData) -> None:
        self._data = data
        self.refresh()

    def refresh(self) -> None:
        """Re-read the sessions and move the "now" mark (keeps the selected session)."""
        current = self.selected_session()
        now = self._now()
        self.sessions_model.reset(self._data, now)
        days = visit_days(self._data.visit)
        me = my_subteam(self._data)
        mine = f" Your sub-team: {me}." if me else ""
        if now.date().isoformat() in days:
            on = current_sessions(self._data.visit, now)
            doing = f"Now: {on[0].title}." if on else "No session is timetabled right now."
            self.day_label.setText(f"Today, {nice_date(now.date().isoformat())}. {doing}{mine}")
        else:
            shown = " and ".join(nice_date(d) for d in days)
            self.day_label.setText(f"Visit day: {shown}.{mine}")
        if current is not None:
            self.select_session(current.id)

    def now_rows(self) -> list[int]:
        model = self.sessions_model
        return [r for r in range(model.rowCount()) if model.index(r, 0).data(NOW_ROLE)]

    def selected_session(self) -> Session | None:
        index = self.sessions_view.currentIndex()
        return self.sessions_model.session(index.row()) if index.isValid() else None

    def select_session(self, session_id: str) -> bool:
        for row in range(self.sessions_model.rowCount()):
            if self.sessions_model.session(row).id == session_id:
                self.sessions_view.setCurrentIndex(self.sessions_model.index(row, 0))
                return True
        return False

    def select_now(self) -> None:
        found = current_session(self._data, self._now())
        if found is not None:
            self.select_session(found.id)

    def focus_now(self) -> None:
        """Put the keyboard in the sessions list, on the session happening now (else the next
        one; else the last), so that the arrow keys move on from there."""
        self.refresh()
        found = session_to_show(self._data, self._now())
        if found is not None:
            self.select_session(found.id)
            self.sessions_view.scrollTo(self.sessions_view.currentIndex())
        self.sessions_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- reactions -----------------------------------------------------------------------------

    def _session_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.standards_model.set_refs(self._data, ())
            return
        s = self.sessions_model.session(current.row())
        self.standards_model.set_refs(self._data, s.standards)
        where = f" · {s.location}" if s.location else ""
        covers = (
            f"Standards covered ({len(s.standards)}) — press Enter to open one:"
            if s.standards
            else "No standards are timetabled for this session."
        )
        # The place is in the session's row just above: here it pushed the list out of sight
        # on a laptop with large text.
        self.session_heading.setText(f"{session_label(s)}\n{covers}")
        self.session_heading.setToolTip(f"{session_label(s)}{where}")
        self.open_button.setEnabled(False)

    def _activate(self, index: QModelIndex) -> None:
        ref = index.data(REF_ROLE) if index.isValid() else None
        if ref:
            self.standard_activated.emit(str(ref))
