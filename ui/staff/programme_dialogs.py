"""The Programme page's dialogs: recording an approval, the expected working days, the visits
of the programme overview, and signing in to the central service. Each has an ``ask()``
classmethod (tests replace it) that returns the answer or None when cancelled."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from reviewer_app.staff.programme import Candidate
from reviewer_app.staff.timeline import STEP_NAMES, STEPS
from ui.dialogs.base import FormDialog


@dataclass(frozen=True, slots=True)
class ApprovalAnswer:
    approved_by: str
    approved_at: str
    conditions: str


class ApproveDialog(FormDialog):
    """Who approved the report, when, and any conditions."""

    noun = "approval"

    def __init__(self, parent: QWidget | None, visit: str, version: str = "") -> None:
        super().__init__(parent, "Record approval")
        intro = QLabel(
            f"Record the approval of {visit}{f' ({version})' if version else ''}: the lead's "
            "app then makes the final report.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        self.who = QLineEdit(self)
        self.who.setAccessibleName("Approved by")
        self.who.setPlaceholderText("the quality assurance group, or the person")
        self.when = QDateEdit(QDate.currentDate(), self)
        self.when.setAccessibleName("Date of approval")
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("d MMM yyyy")
        self.conditions = QPlainTextEdit(self)
        self.conditions.setAccessibleName("Conditions")
        self.conditions.setTabChangesFocus(True)
        self.conditions.setPlaceholderText("none")
        self.conditions.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        self.form.addRow("Approved &by", self.who)
        self.form.addRow("&On", self.when)
        self.form.addRow("&Conditions", self.conditions)
        self.who.textChanged.connect(self.validate)
        self.ok_button.setText("Record approval")
        self.resize(self.fontMetrics().horizontalAdvance("M") * 40, self.sizeHint().height())
        self.validate()

    def problem(self) -> str:
        return "" if self.who.text().strip() else "Say who approved the report."

    def answer(self) -> ApprovalAnswer:
        return ApprovalAnswer(
            self.who.text().strip(),
            self.when.date().toString(Qt.DateFormat.ISODate),
            self.conditions.toPlainText().strip(),
        )

    @classmethod
    def ask(cls, parent: QWidget | None, visit: str, version: str = "") -> ApprovalAnswer | None:
        dialog = cls(parent, visit, version)
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None


class SettingsDialog(FormDialog):
    """The expected working days from the visit's end to each step."""

    noun = "change"

    def __init__(self, parent: QWidget | None, programme: str, days: dict[str, int]) -> None:
        super().__init__(parent, "Expected working days")
        intro = QLabel(
            f"For {programme}: working days (Monday to Friday) from the visit's end by which "
            "each step is expected. A step not reached by then is shown as overdue.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        self.boxes: dict[str, QSpinBox] = {}
        for step in STEPS[1:]:
            box = QSpinBox(self)
            box.setRange(0, 500)
            box.setSuffix(" working days")
            box.setValue(int(days.get(step, 0)))
            box.setAccessibleName(STEP_NAMES[step])
            self.form.addRow(STEP_NAMES[step], box)
            self.boxes[step] = box
        self.ok_button.setText("Save")
        self.validate()

    def answer(self) -> dict[str, int]:
        return {step: box.value() for step, box in self.boxes.items()}

    @classmethod
    def ask(
        cls, parent: QWidget | None, programme: str, days: dict[str, int]
    ) -> dict[str, int] | None:
        dialog = cls(parent, programme, days)
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True, slots=True)
class OverviewChoice:
    visits: list[str]
    formats: list[str]


class OverviewDialog(FormDialog):
    """Which visits (accepted, approved or published) and which formats."""

    noun = "choice"

    def __init__(self, parent: QWidget | None, programme: str, choices: list[Candidate]) -> None:
        super().__init__(parent, "Programme overview report")
        intro = QLabel(
            f"The overview of {programme}: compliance with each standard across the "
            "organisations, immediate risks and serious concerns, and good practice. Only "
            "visits whose report is accepted, approved or published can be included.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        self.visits = QListWidget(self)
        self.visits.setAccessibleName("Visits in the overview")
        for c in choices:
            item = QListWidgetItem(f"{c.title} ({c.state})", self.visits)
            item.setData(Qt.ItemDataRole.UserRole, c.visit_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
        self.body.addWidget(self.visits)
        self.pdf = QCheckBox("&PDF", self)
        self.docx = QCheckBox("&Word (DOCX)", self)
        for box in (self.pdf, self.docx):
            box.setChecked(True)
            box.toggled.connect(self.validate)
        self.form.addRow("Write", self.pdf)
        self.form.addRow("", self.docx)
        self.visits.itemChanged.connect(lambda _item: self.validate())
        self.ok_button.setText("Choose a folder…")
        self.resize(self.fontMetrics().horizontalAdvance("M") * 48, 420)
        self.validate()

    def chosen(self) -> list[str]:
        return [
            str(self.visits.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.visits.count())
            if self.visits.item(i).checkState() == Qt.CheckState.Checked
        ]

    def problem(self) -> str:
        if not self.visits.count():
            return "No visit of this programme is accepted, approved or published yet."
        if not self.chosen():
            return "Tick at least one visit."
        if not (self.pdf.isChecked() or self.docx.isChecked()):
            return "Tick PDF, Word or both."
        return ""

    def ready_text(self) -> str:
        return f"{len(self.chosen())} of {self.visits.count()} visits in the overview."

    def answer(self) -> OverviewChoice:
        formats = [f for f, box in (("pdf", self.pdf), ("docx", self.docx)) if box.isChecked()]
        return OverviewChoice(self.chosen(), formats)

    @classmethod
    def ask(
        cls, parent: QWidget | None, programme: str, choices: list[Candidate]
    ) -> OverviewChoice | None:
        dialog = cls(parent, programme, choices)
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None


class SignInDialog(FormDialog):
    """The service's address and a staff token (kept in the password store)."""

    noun = "sign-in"

    def __init__(self, parent: QWidget | None, url: str) -> None:
        super().__init__(parent, "Sign in to the central service")
        intro = QLabel(
            "Give the service's address and the staff token its administrator issued "
            "(reviewer-central issue-token NAME). The token is kept in this computer's "
            "password store.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        self.url = QLineEdit(url or "http://127.0.0.1:8765", self)
        self.url.setAccessibleName("Service address")
        self.token = QLineEdit(self)
        self.token.setAccessibleName("Token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow("&Address", self.url)
        self.form.addRow("&Token", self.token)
        self.url.textChanged.connect(self.validate)
        self.token.textChanged.connect(self.validate)
        self.ok_button.setText("Sign in")
        self.resize(self.fontMetrics().horizontalAdvance("M") * 40, self.sizeHint().height())
        self.validate()

    def problem(self) -> str:
        if not self.url.text().strip():
            return "Give the service's address."
        if not self.token.text().strip():
            return "Paste the token."
        return ""

    @classmethod
    def ask(cls, parent: QWidget | None, url: str) -> tuple[str, str] | None:
        dialog = cls(parent, url)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.url.text().strip(), dialog.token.text().strip()
