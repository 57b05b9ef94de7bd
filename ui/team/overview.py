"""The team overview: who has assessed what, section by section, and when their work arrived;
and which device speaks for whom.

One row per member (in the kit's order). "Last bundle" says when that member's newest bundle
was imported on this laptop, so the lead sees at a glance whose work is missing; "All sections"
and one column per section say how many of the standards they could judge (every applicable
standard, summed over the components) they have assessed.

Below, every device key seen here, with its fingerprint as six words to read aloud
(``ui.team.devices``). Another device that says it is a member whose device is known is
flagged at the top of the window; the lead accepts or refuses it there, on the session's worker.
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

from reviewer_app.team.devices import DeviceRow
from reviewer_app.team.work import (
    DeviceDecision,
    MemberProgress,
    TeamDevices,
    decide_in_session,
    devices_of,
    history_of,
    overview,
)
from reviewer_app.visit.model import JUDGEMENT
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.operations import TaskOp
from ui.team.devices import DeviceDecisionDialog, DeviceFlags, DevicesModel
from ui.team.receipts import when
from ui.team.team_judgement import lead_name
from ui.text_style import heading, muted, restyle_on_change, tone

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
        self.deciding = False
        self.devices: TeamDevices | None = None
        self.setWindowTitle("Team overview")
        self.setAccessibleName("Team overview")
        self.resize(1280, 760)
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
        self.flags = DeviceFlags(self)
        self.flags.decide.connect(self.decide)
        self.decision = QLabel(self)
        self.decision.setAccessibleName("The lead's last decision on a device")
        self.decision.setWordWrap(True)
        restyle_on_change(
            self.decision,
            lambda w: w.setStyleSheet(
                f"padding:8px; border-radius:4px; background:{tone(w, '#e6f4ea', '#1e3a26')};"
            ),
        )
        self.decision.setVisible(False)
        self.model = OverviewModel(bridge.session.data, self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Team overview")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(
            False
        )  # Tab moves on to the next control; arrows move within
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(title)
        layout.addWidget(self.flags)
        layout.addWidget(self.decision)
        layout.addWidget(explain)
        layout.addWidget(self.table, 3)
        self._add_devices(layout)
        layout.addWidget(buttons)
        bridge.reloaded.connect(self.load)
        bridge.changed.connect(self._on_changed)
        self.load()

    def _add_devices(self, layout: QVBoxLayout) -> None:
        devices_title = QLabel("Devices", self)
        heading(devices_title, 1.15)
        devices_explain = QLabel(
            "Each laptop signs its work with its own key. To check one, ask its owner to read "
            "aloud the six words their laptop shows for “this laptop”, and compare them with "
            "the words here.",
            self,
        )
        devices_explain.setWordWrap(True)
        muted(devices_explain)
        self.devices_model = DevicesModel(self)
        self.devices_table = QTableView(self)
        self.devices_table.setAccessibleName("Devices and their fingerprints")
        self.devices_table.setModel(self.devices_model)
        self.devices_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.devices_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.devices_table.verticalHeader().setVisible(False)
        self.devices_table.setTabKeyNavigation(False)
        header = self.devices_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(devices_title)
        layout.addWidget(devices_explain)
        layout.addWidget(self.devices_table, 2)

    def load(self) -> None:
        session = self.bridge.session
        if session.closed:
            return
        TaskOp(self, lambda _progress: history_of(session), what="read the import history").success(
            self.model.set_history
        ).run()
        TaskOp(self, lambda _progress: devices_of(session), what="read the devices").success(
            self.show_devices
        ).run()

    def show_devices(self, devices: TeamDevices) -> None:
        self.devices = devices
        data = self.bridge.session.data
        self.devices_model.set_rows(devices.rows)
        self.flags.show_rows(
            devices.rows, lead=self.bridge.session.is_lead, lead_name=lead_name(data)
        )
        self.flags.set_busy(self.deciding)
        # The cards are made after the tables: put their buttons first in the keyboard's order.
        chain: list[QWidget] = [
            *self.flags.buttons,
            self.table,
            self.devices_table,
            self.close_button,
        ]
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def decide(self, row: DeviceRow, accept: bool) -> None:
        """The lead's Accept or Refuse: asked first, then recorded on the worker."""
        if self.deciding or not DeviceDecisionDialog.ask(self, row, accept):
            return
        self.deciding = True
        self.flags.set_busy(True)
        self.say("Recording your decision…")
        TaskOp(
            self,
            lambda _progress: decide_in_session(self.bridge.session, row, accept),
            what="record your decision on the device",
        ).success(lambda result: self._decided(row, result)).failure(self._decide_failed).run()

    def _decided(self, row: DeviceRow, result: DeviceDecision) -> None:
        self.deciding = False
        if result.accepted:
            done = f"{_plural(result.released, 'held operation')} now in the visit"
            self.say(
                f"Accepted {row.name}'s other device ({row.words}): {done}. Export your bundle "
                "so the team's laptops accept it too."
            )
        else:
            self.say(
                f"Refused {row.name}'s other device ({row.words}): "
                f"{_plural(result.dropped, 'held operation')} dropped. Export your bundle so "
                "the team's laptops refuse it too."
            )
        self.show_devices(result.devices)
        self.bridge.reload(result.data)  # every screen redraws with the work now in the visit

    def _decide_failed(self, _exc: BaseException) -> None:
        self.deciding = False
        self.flags.set_busy(False)
        self.say("")  # (the user was told why)

    def say(self, text: str) -> None:
        self.decision.setText(text)
        self.decision.setVisible(bool(text))

    def _on_changed(self, change: Change) -> None:
        if change.entity == JUDGEMENT:
            self.model.refresh()


def _plural(n: int, one: str) -> str:
    return f"{n} {one}{'' if n == 1 else 's'}"
