"""The team's judgement of one standard for one component: the lead records it, others read it.

``ui.team.team_judgement_dialog.TeamJudgementDialog`` asks the lead for the judgement and its
rationale (needed for Not met and N/A, like a reviewer's reason); it is imported when first
asked for, not with the standard's page. ``TeamJudgementLine`` is the compact line on the standard's
page: for the lead a button to record or change it; for everyone else read-only words saying
who set it, so nobody mistakes it for something they can edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.model import (
    JUDGEMENT_LABELS,
    TEAM_JUDGEMENT,
    TeamJudgement,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.judgement_icons import judgement_icon
from ui.operations import ChangeOp
from ui.text_style import muted


def lead_name(data: VisitData) -> str:
    lead = data.visit.lead
    return lead.name if lead is not None else "the lead reviewer"


def team_words(data: VisitData, team: TeamJudgement) -> str:
    """ "Team judgement: Not met — set by Dr Zoë Hartley" (or what is still to come)."""
    if not team.assessed:
        return f"Team judgement: none yet — {lead_name(data)} (lead) records it."
    return f"Team judgement: {JUDGEMENT_LABELS[team.value]} — set by {lead_name(data)}"


def record_team_judgement(parent: QWidget, bridge: SessionBridge, ref: str, component: str) -> None:
    """Ask the lead, then record it through the session (one code path for page and register)."""
    data: VisitData = bridge.session.data
    current = data.team_judgement(ref, component)
    from ui.team.team_judgement_dialog import TeamJudgementDialog  # noqa: PLC0415 (see above)

    answer = TeamJudgementDialog.ask(parent, f"Team judgement — {ref}", current)
    if answer is None:
        return
    value, rationale = answer
    if (value, rationale) != (current.value, current.rationale):
        ChangeOp(
            parent, bridge, lambda s: s.set_team_judgement(ref, component, value, rationale)
        ).run()


class TeamJudgementLine(QWidget):
    """One line on the standard's page: the team judgement, and for the lead a button."""

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.ref: str | None = None
        self.component = ""
        self.setAccessibleName("Team judgement")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.icon = QLabel(self)
        self.label = QLabel(self)
        self.label.setAccessibleName("Team judgement")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rationale = QLabel(self)
        self.rationale.setAccessibleName("Team rationale")
        self.rationale.setTextFormat(Qt.TextFormat.PlainText)
        self.rationale.setWordWrap(True)
        muted(self.rationale)
        self.button = QPushButton("Record team judgement…", self)
        self.button.setAccessibleName("Record the team judgement")
        self.button.clicked.connect(self.edit)
        text = QWidget(self)
        column = QVBoxLayout(text)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.label)
        column.addWidget(self.rationale)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(text, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)

    @property
    def data(self) -> VisitData:
        return self.bridge.session.data

    @property
    def editable(self) -> bool:
        return self.bridge.session.is_lead

    def show_for(self, ref: str, component: str) -> None:
        self.ref, self.component = ref, component
        self.refresh()

    def refresh(self) -> None:
        if self.ref is None:
            return
        team = self.data.team_judgement(self.ref, self.component)
        mine_to_set = self.editable and not team.assessed
        self.label.setText(
            "Team judgement: none yet" if mine_to_set else team_words(self.data, team)
        )
        self.rationale.setText(f"“{team.rationale}”" if team.rationale else "")
        self.rationale.setVisible(bool(team.rationale))
        self.icon.setPixmap(judgement_icon(team.value).pixmap(16, 16))
        self.icon.setVisible(team.assessed)
        self.button.setVisible(self.editable)
        self.button.setText("Change…" if team.assessed else "Record team judgement…")
        font = self.label.font()
        font.setBold(team.assessed)
        self.label.setFont(font)

    def edit(self) -> None:
        if self.ref is not None and self.editable:
            record_team_judgement(self, self.bridge, self.ref, self.component)

    def _on_changed(self, change: Change) -> None:
        if self.ref is not None and change.entity == TEAM_JUDGEMENT:
            if change.entity_id == team_judgement_id(self.ref, self.component):
                self.refresh()
