"""The disagreement register: where the team must agree, and what each reviewer said.

One row per standard and component where the reviewers' judgements differ or where the team's
judgement differs from the provider's claim (``reviewer_app.lead.consensus.register``). Choosing a
row
shows each reviewer's judgement, reason and evidence side by side, and the team judgement: the
lead records it from here; everyone else reads it. The register redraws itself from the session
after every change and every import.

It opens on what needs agreement: "Only those needing agreement" is ticked each time the
window opens while anything needs agreement (and unticked when nothing does, so what was
settled shows); the reviewer may untick it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.lead.consensus import Disagreement, register
from reviewer_app.visit.model import (
    CLAIM_LABELS,
    EVIDENCE_KINDS,
    JUDGEMENT,
    JUDGEMENT_LABELS,
    TEAM_JUDGEMENT,
    Judgement,
)
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.judgement_icons import judgement_icon
from ui.rows_model import RowsModel
from ui.team.team_judgement import TeamJudgementLine, lead_name
from ui.text_style import Card, clear_layout, heading, muted

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Standard", "Component", "Reviewers", "Provider claims", "Team judgement", "Status")


def status_of(d: Disagreement) -> str:
    if not d.settled:
        return "Needs agreement"
    if d.differs_from_claim:
        return "Team differs from the claim"
    return "Agreed"


def reviewers_of(d: Disagreement) -> str:
    """ "Met 2 · Not met 1"."""
    counts: dict[str, int] = {}
    for j in d.judgements:
        counts[j.value] = counts.get(j.value, 0) + 1
    return " · ".join(f"{JUDGEMENT_LABELS[v]} {n}" for v, n in counts.items())


class RegisterModel(RowsModel):
    HEADERS = COLUMNS

    """The register's rows; ``only_open`` hides what the lead has already settled."""

    def __init__(self, data: VisitData, parent: Any = None) -> None:
        super().__init__(parent)
        self.visit = data
        self.only_open = False
        self.rows: list[Disagreement] = []
        self._components = {c.id: c.name for c in data.visit.components}
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        found = register(self.visit)
        self.rows = [d for d in found if not (self.only_open and d.settled)]
        self._components = {c.id: c.name for c in self.visit.visit.components}
        self.endResetModel()

    def set_only_open(self, only: bool) -> None:
        self.only_open = only
        self.refresh()

    def row_of(self, ref: str, component: str) -> int:
        return next(
            (i for i, d in enumerate(self.rows) if (d.ref, d.component) == (ref, component)), -1
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        d = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(d, column)
        if role == Qt.ItemDataRole.DecorationRole and column == 4 and d.team is not None:
            return judgement_icon(d.team.value)
        if role == Qt.ItemDataRole.FontRole and column == 5 and not d.settled:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def text(self, d: Disagreement, column: int) -> str:
        if column == 0:
            std = self.visit.by_ref.get(d.ref)
            return f"{d.ref}  {std.title}" if std else d.ref
        if column == 1:
            return self._components.get(d.component, d.component)
        if column == 2:
            return reviewers_of(d) or "—"
        if column == 3:
            return CLAIM_LABELS.get(d.claim, "No claim") if d.claim else "No claim"
        if column == 4:
            return JUDGEMENT_LABELS[d.team.value] if d.team and d.team.assessed else "None yet"
        return status_of(d)


class ReviewerCard(Card):
    """One reviewer's judgement, reason and evidence of the chosen standard."""

    def __init__(self, data: VisitData, judgement: Judgement, parent: QWidget) -> None:
        member = data.visit.member(judgement.member_id)
        super().__init__(member.name if member else judgement.member_id, "#1f6fb2", parent)
        self.setMinimumWidth(220)
        self.setMaximumWidth(360)
        role = QLabel(member.role if member else "", self)
        role.setWordWrap(True)
        muted(role)
        value = QLabel(JUDGEMENT_LABELS[judgement.value], self)
        value.setAccessibleName("Judgement")
        heading(value, 1.0)
        reason = QLabel(judgement.reason or "No reason given.", self)
        reason.setAccessibleName("Reason")
        reason.setWordWrap(True)
        reason.setTextFormat(Qt.TextFormat.PlainText)
        reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if not judgement.reason:
            muted(reason)
        evidence = [
            e
            for e in data.evidence_for(judgement.ref, judgement.component)
            if e.author == judgement.member_id
        ]
        lines = []
        for e in evidence:
            doc = data.document(e.document_id) if e.document_id else None
            what = doc.title if doc else (e.description or e.location)
            lines.append(f"• {EVIDENCE_KINDS.get(e.kind, e.kind)}: {what}".rstrip(": "))
        seen = QLabel("\n".join(lines) or "No evidence recorded.", self)
        seen.setAccessibleName("Evidence seen")
        seen.setWordWrap(True)
        seen.setTextFormat(Qt.TextFormat.PlainText)
        if not lines:
            muted(seen)
        for w in (role, value, reason, seen):
            self.layout_.addWidget(w)
        self.layout_.addStretch(1)


class RegisterWindow(QDialog):
    """The register as its own window, beside the reviewer's window (not modal)."""

    go_to = Signal(str, str)  # ref, component: show it in the reviewer's window

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        data: VisitData = bridge.session.data
        self.setWindowTitle("Disagreement register")
        self.setAccessibleName("Disagreement register")
        self.resize(1100, 760)
        layout = QVBoxLayout(self)
        title = QLabel("Where the team must agree", self)
        heading(title, 1.3)
        who = (
            "You are the lead: choose a row, read what each reviewer found, and record the "
            "team judgement."
            if bridge.session.is_lead
            else f"Read-only: only the lead, {lead_name(data)}, records team judgements."
        )
        self.explain = QLabel(who, self)
        self.explain.setWordWrap(True)
        muted(self.explain)
        self.only_open = QCheckBox("Only those needing agreement", self)
        self.only_open.setAccessibleName("Show only those needing agreement")
        self.model = RegisterModel(data, self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Disagreements")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(self)
        self.empty.setAccessibleName("Nothing to agree")
        self.empty.setWordWrap(True)
        self._build_detail()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addWidget(self.empty)
        splitter.addWidget(top)
        splitter.addWidget(self.detail_area)
        splitter.setSizes([300, 460])
        layout.addWidget(title)
        layout.addWidget(self.explain)
        layout.addWidget(self.only_open)
        layout.addWidget(splitter, 1)
        self.only_open.toggled.connect(self._only_open_toggled)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        self.table.doubleClicked.connect(self._double_clicked)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self._after_refresh(None)

    def _build_detail(self) -> None:
        self.detail_area = QScrollArea(self)
        self.detail_area.setWidgetResizable(True)
        self.detail_body = body = QWidget()
        self.detail = QVBoxLayout(body)
        self.detail_title = QLabel(body)
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(Qt.TextFormat.PlainText)
        heading(self.detail_title, 1.15)
        self.claim = QLabel(body)
        self.claim.setAccessibleName("Provider's claim")
        self.claim.setWordWrap(True)
        self.claim.setTextFormat(Qt.TextFormat.PlainText)
        self.cards = QHBoxLayout()
        self.team_line = TeamJudgementLine(self.bridge, body)
        self.detail.addWidget(self.detail_title)
        self.detail.addWidget(self.claim)
        self.detail.addLayout(self.cards)
        self.detail.addWidget(self.team_line)
        self.detail.addStretch(1)
        self.detail_area.setWidget(body)

    # -- showing --------------------------------------------------------------------------------

    def current(self) -> Disagreement | None:
        row = self.table.currentIndex().row()
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def select(self, ref: str, component: str) -> bool:
        row = self.model.row_of(ref, component)
        if row < 0:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def show_detail(self) -> None:
        d = self.current()
        clear_layout(self.cards)
        self.detail_body.setVisible(d is not None)
        if d is None:
            return
        data: VisitData = self.bridge.session.data
        std = data.by_ref.get(d.ref)
        component = self.model.text(d, 1)
        self.detail_title.setText(f"{d.ref} {std.title if std else ''} — {component}")
        entry = data.self_assessment.get((d.ref, d.component))
        if entry is None:
            self.claim.setText("The provider made no claim for this component.")
        else:
            comment = f" “{entry.comment}”" if entry.comment else ""
            self.claim.setText(f"The provider claims: {CLAIM_LABELS[entry.claim]}.{comment}")
        rank = {m.member_id: i for i, m in enumerate(data.visit.team)}
        for j in sorted(d.judgements, key=lambda j: rank.get(j.member_id, len(rank))):
            self.cards.addWidget(ReviewerCard(data, j, self.detail_body))
        if not d.judgements:
            none = QLabel("No reviewer has judged it yet.", self.detail_body)
            muted(none)
            self.cards.addWidget(none)
        self.cards.addStretch(1)
        self.team_line.show_for(d.ref, d.component)

    def refresh(self) -> None:
        d = self.current()
        self.model.refresh()
        self._after_refresh((d.ref, d.component) if d else None)

    def _after_refresh(self, keep: tuple[str, str] | None) -> None:
        if keep is None or not self.select(*keep):
            if self.model.rowCount():
                self.table.setCurrentIndex(self.model.index(0, 0))
        has_rows = self.model.rowCount() > 0
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.empty.setText(
            "Nothing needs agreement: every reviewer who judged a standard agrees, and the team "
            "judgements match the provider's claims."
            if not self.only_open.isChecked()
            else "Nothing needs agreement now. Untick the box to see what was settled."
        )
        self.show_detail()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        if not event.spontaneous():  # opened (not merely uncovered): start on what is open
            self.open_on_what_needs_agreement()
        super().showEvent(event)

    def open_on_what_needs_agreement(self) -> None:
        needs = any(not d.settled for d in register(self.bridge.session.data))
        self.only_open.setChecked(needs)  # a change redraws (_only_open_toggled)

    def _only_open_toggled(self, only: bool) -> None:
        d = self.current()
        self.model.set_only_open(only)
        self._after_refresh((d.ref, d.component) if d else None)

    def _double_clicked(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.model.rows):
            d = self.model.rows[index.row()]
            self.go_to.emit(d.ref, d.component)

    def _on_changed(self, change: Change) -> None:
        if change.entity in (JUDGEMENT, TEAM_JUDGEMENT):
            self.refresh()
