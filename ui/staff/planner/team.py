"""The team: reviewers from the pool, exactly one lead, and sub-teams."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from ui.staff.common import Col, RecordModel, button, button_row, selected_row, status_label, table

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTableView

    from reviewer_app.staff.planner import VisitPlan
    from ui.staff.planner.page import PlanEditor


class TeamTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Team")
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setAccessibleName("Team summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Find in the pool: name, role or organisation")
        self.filter.setAccessibleName("Find in the pool")
        self.filter.textChanged.connect(lambda _t: self._show_pool())
        self.pool_model = RecordModel(
            [
                Col("Name", lambda r: r.name, tip=lambda r: r.name),
                Col("Role", lambda r: r.role, tip=lambda r: r.role),
                Col("Organisation", lambda r: r.organisation, tip=lambda r: r.organisation),
            ],
            self,
        )
        self.pool_view = table(self, self.pool_model, "Reviewer pool")
        self.pool_view.setEditTriggers(self.pool_view.EditTrigger.NoEditTriggers)
        self.pool_view.doubleClicked.connect(lambda _i: self.add())
        self.add_button = button(
            self, "&Add to the team →", self.add, "Add the chosen reviewer (or double-click them)"
        )
        self.team_model = RecordModel(
            [
                Col("Lead", lambda _m: "", check=lambda m: m.lead, tick=self._tick_lead),
                Col("Name", lambda m: m.name, tip=lambda m: m.name),
                Col("Role", lambda m: m.role, tip=lambda m: m.role),
                Col("Organisation", lambda m: m.organisation, tip=lambda m: m.organisation),
                Col("Sub-team", lambda m: m.subteam, edit=self._edit_subteam),
                Col("Member id", lambda m: m.member_id, tip=lambda m: m.member_id),
            ],
            self,
        )
        self.team_view = table(self, self.team_model, "Team")
        fit_columns(self.team_view, fixed=(0, 1, 4))
        fit_columns(self.pool_view, fixed=())
        self.team_model.edited.connect(self.refresh)
        self.remove_button = button(self, "&Remove from the team", self.remove)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Reviewer pool", left))
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.pool_view)
        left_layout.addLayout(button_row(self.add_button, stretch_first=True))
        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("The visit's team (tick the lead; type a sub-team)", right))
        right_layout.addWidget(self.team_view)
        right_layout.addLayout(button_row(self.remove_button))
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([300, 760])
        layout.addWidget(splitter, 1)
        self.status = status_label(self, "Team status")
        layout.addWidget(self.status)

    def refresh(self) -> None:
        self._show_pool()
        self.team_model.set_rows(self.editor.plan.team)
        self._summarise()

    def _show_pool(self) -> None:
        words = self.filter.text().casefold().split()
        on_team = {m.reviewer_id for m in self.editor.plan.team}
        rows = [
            r
            for r in self.editor.reviewers
            if r.id not in on_team
            and all(w in f"{r.name} {r.role} {r.organisation}".casefold() for w in words)
        ]
        self.pool_model.set_rows(rows)

    def _summarise(self) -> None:
        team = self.editor.plan.team
        if not team:
            self.summary.setText("No one on the team yet: add reviewers from the pool.")
            return
        lead = self.editor.plan.lead
        subteams = Counter(m.subteam for m in team if m.subteam)
        parts = [f"{len(team)} people", f"lead: {lead.name}" if lead else "no lead yet"]
        if subteams:
            parts.append(
                "sub-teams " + ", ".join(f"{k} ({n})" for k, n in sorted(subteams.items()))
            )
        self.summary.setText("; ".join(parts) + ".")

    def add(self) -> None:
        row = selected_row(self.pool_view)
        if not 0 <= row < len(self.pool_model.rows):
            self.status.setText("Choose a reviewer in the pool first.")
            return
        r = self.pool_model.rows[row]
        member = self.editor.apply(
            f"Add reviewer {r.name}",
            lambda plan: plan.add_member(r.id, r.name, r.role, r.organisation),
        )
        self.status.setText(
            f"{member.name} is on the team" + (" as its lead." if member.lead else ".")
        )
        self.refresh()

    def remove(self) -> None:
        row = selected_row(self.team_view)
        team = self.editor.plan.team
        if not 0 <= row < len(team):
            self.status.setText("Choose a team member first.")
            return
        gone = team[row]
        self.editor.apply(
            f"Remove reviewer {gone.name}", lambda plan: plan.remove_member(gone.member_id)
        )
        self.status.setText(f"{gone.name} is off the team and out of the timetable's sessions.")
        self.refresh()

    def _tick_lead(self, row: int, on: bool) -> str:
        if not on:
            return "A visit needs a lead: tick someone else to make them the lead instead."
        member = self.editor.plan.team[row]
        self.editor.apply(
            f"Make {member.name} the lead", lambda plan: plan.set_lead(member.member_id)
        )
        return ""

    def _edit_subteam(self, row: int, text: str) -> str:
        member = self.editor.plan.team[row]

        def change(plan: VisitPlan) -> None:
            plan.team[row].subteam = text.strip()

        self.editor.apply(f"Change {member.name}'s sub-team", change)
        return ""


def fit_columns(view: QTableView, fixed: tuple[int, ...]) -> None:
    """No sideways scrolling: the ``fixed`` columns take what their contents need, the others
    share the rest; long names and roles end in "…" and show in full as a tooltip."""
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(view.fontMetrics().horizontalAdvance("M") * 4)
    for col in range(view.model().columnCount()):
        mode = (
            QHeaderView.ResizeMode.ResizeToContents
            if col in fixed
            else QHeaderView.ResizeMode.Stretch
        )
        header.setSectionResizeMode(col, mode)
