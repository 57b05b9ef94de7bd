"""The lead's team judgement of one standard for one component: four choices and a rationale."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QDialog, QHBoxLayout, QRadioButton, QWidget

from reviewer_app.visit.model import (
    JUDGEMENT_LABELS,
    JUDGEMENTS,
    NEEDS_REASON,
    NOT_ASSESSED,
    TeamJudgement,
)
from ui.dialogs.base import FormDialog, text_box
from ui.judgement_icons import choice_icon


class TeamJudgementDialog(FormDialog):
    """The lead's team judgement: four choices and a rationale."""

    def __init__(self, parent: QWidget | None, title: str, current: TeamJudgement) -> None:
        super().__init__(parent, title)
        self.noun, self.editing = "team judgement", current.assessed
        self._chosen_at_open = current.value
        self.choice = QButtonGroup(self)
        row = QHBoxLayout()
        self.radios: dict[str, QRadioButton] = {}
        for value in JUDGEMENTS:
            radio = QRadioButton(JUDGEMENT_LABELS[value], self)
            radio.setIcon(choice_icon(value))
            radio.setAccessibleName(JUDGEMENT_LABELS[value])
            radio.toggled.connect(self.validate)
            self.choice.addButton(radio)
            self.radios[value] = radio
            row.addWidget(radio)
        row.addStretch(1)
        self.rationale = text_box(
            self,
            "Rationale",
            "Why the team agreed this (needed for Not met and N/A)",
            current.rationale,
        )
        self.rationale.setMinimumSize(480, 120)
        self.rationale.textChanged.connect(self.validate)
        # Chosen once the rationale exists: choosing validates, which reads it.
        self.radios[current.value].setChecked(True)
        self.body.addLayout(row)
        self.body.addWidget(self.rationale)
        self.validate()

    def chosen(self) -> str:
        return next((v for v, r in self.radios.items() if r.isChecked()), NOT_ASSESSED)

    def has_changes(self) -> bool:
        return self.chosen() != self._chosen_at_open or super().has_changes()

    def problem(self) -> str:
        value = self.chosen()
        if value in NEEDS_REASON and not self.rationale.toPlainText().strip():
            return f"Write the rationale: it is needed for {JUDGEMENT_LABELS[value]}."
        return ""

    def value(self) -> tuple[str, str]:
        return self.chosen(), self.rationale.toPlainText().strip()

    @classmethod
    def ask(
        cls, parent: QWidget | None, title: str, current: TeamJudgement
    ) -> tuple[str, str] | None:
        dialog = cls(parent, title, current)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
