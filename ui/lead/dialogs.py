"""The lead's small dialogs, each with an ``ask()`` classmethod that tests patch.

- ``NewFindingDialog``: a category and the words of a new finding.
- ``PromoteDialog``: reviewers' observations not yet made findings, with who wrote them.
- ``EscalationDialog``: to whom, when (date and time) and how an immediate risk was escalated.
- ``ConfirmationDialog``: the date the written confirmation of a risk was sent.
- ``ReportTextDialog``: one of the report's passages (introduction ...).
- ``ReportFiles``: where to save a feedback sheet or report.
- ``OwnWordingDialog``: the lead's own words in answer to a provider's comment.
- ``DeclineDialog``: why the lead declines a provider's comment (required).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from reviewer_app.visit.model import CATEGORIES, Observation
from reviewer_app.visit.read_model import VisitData
from ui import file_dialogs
from ui.dialogs.base import FormDialog, combo, text_box
from ui.text_style import muted

ESCALATION_MEANS = (
    "In person, at the end-of-visit feedback",
    "By telephone",
    "By email",
    "By letter",
)


class NewFindingDialog(FormDialog):
    """A new finding for one component: its category and words (links come after)."""

    def __init__(self, parent: QWidget | None, where: str, category: str) -> None:
        super().__init__(parent, f"New finding — {where}")
        self.category = combo(self, "Category")
        for key, label in CATEGORIES.items():
            self.category.addItem(label, key)
        self.category.setCurrentIndex(max(0, self.category.findData(category)))
        self.text = text_box(self, "Finding", "What the team found (no names or NHS numbers)")
        self.text.setMinimumHeight(140)
        self.form.addRow("&Category:", self.category)
        self.form.addRow("&Finding:", self.text)
        self.text.textChanged.connect(self.validate)
        self.resize(620, 0)
        self.validate()
        self.text.setFocus()

    def problem(self) -> str:
        return "" if self.text.toPlainText().strip() else "Write the finding."

    def value(self) -> tuple[str, str]:
        return str(self.category.currentData()), self.text.toPlainText().strip()

    @classmethod
    def ask(cls, parent: QWidget | None, where: str, category: str) -> tuple[str, str] | None:
        """(category, text), or None if cancelled."""
        dialog = cls(parent, where, category)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


def unpromoted(data: VisitData) -> list[Observation]:
    """Reviewers' observations no finding was made from yet, immediate risks first."""
    used = {f.observation_id for f in data.findings.values() if f.observation_id}
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    found = [o for o in data.observations.values() if o.id not in used and o.text.strip()]
    return sorted(found, key=lambda o: (rank.get(o.category, 99), o.author, o.text))


def author_name(data: VisitData, member_id: str) -> str:
    member = data.visit.member(member_id)
    return member.name if member is not None else (member_id or "Unknown reviewer")


class PromoteDialog(FormDialog):
    """Choose one of the reviewers' observations to make into a finding of this component."""

    def __init__(self, parent: QWidget | None, data: VisitData, where: str) -> None:
        super().__init__(parent, f"Make an observation a finding — {where}")
        intro = QLabel(
            "The reviewers' observations that are not findings yet. The new finding keeps the "
            "observation's words, category, standards and photos; edit the wording after.",
            self,
        )
        intro.setWordWrap(True)
        muted(intro)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Observations not yet findings")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        for o in unpromoted(data):
            refs = f"  [{', '.join(o.refs)}]" if o.refs else ""
            head = f"{CATEGORIES.get(o.category, o.category)} — {author_name(data, o.author)}"
            item = QListWidgetItem(f"{head}{refs}\n{o.text}", self.list)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.body.addWidget(intro)
        self.body.addWidget(self.list, 1)
        self.list.currentRowChanged.connect(lambda _row: self.validate())
        self.list.itemActivated.connect(lambda _item: self._accept_if_valid())
        self.resize(720, 480)
        self.validate()

    def problem(self) -> str:
        if self.list.count() == 0:
            return "Every observation is already a finding."
        return "" if self.list.currentItem() is not None else "Choose an observation."

    def value(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @classmethod
    def ask(cls, parent: QWidget | None, data: VisitData, where: str) -> str | None:
        """The chosen observation's id, or None."""
        dialog = cls(parent, data, where)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True)
class Escalation:
    to: str
    at: str  # ISO date and time, minutes
    how: str


class EscalationDialog(FormDialog):
    """To whom, when and how an immediate risk was escalated."""

    def __init__(self, parent: QWidget | None, label: str, current: Escalation | None) -> None:
        super().__init__(parent, "Record the escalation")
        what = QLabel(label, self)
        what.setWordWrap(True)
        what.setTextFormat(Qt.TextFormat.PlainText)
        self.to = QLineEdit(self)
        self.to.setAccessibleName("Escalated to")
        self.to.setPlaceholderText("Name and role, e.g. Chief Executive, Midshire NHS Trust")
        self.at = QDateTimeEdit(self)
        self.at.setAccessibleName("When")
        self.at.setCalendarPopup(True)
        self.at.setDisplayFormat("dd MMM yyyy  HH:mm")
        self.at.setDateTime(QDateTime.currentDateTime())
        self.how = QComboBox(self)
        self.how.setAccessibleName("How")
        self.how.setEditable(True)
        self.how.addItems(ESCALATION_MEANS)
        if current is not None:
            self.to.setText(current.to)
            when = _parse_when(current.at)
            if when is not None:
                self.at.setDateTime(when)
            if current.how:
                self.how.setCurrentText(current.how)
        self.body.addWidget(what)
        self.form.addRow("Escalated &to:", self.to)
        self.form.addRow("&When:", self.at)
        self.form.addRow("&How:", self.how)
        self.to.textChanged.connect(self.validate)
        self.resize(560, 0)
        self.validate()

    def problem(self) -> str:
        return "" if self.to.text().strip() else "Say to whom it was escalated."

    def value(self) -> Escalation:
        when = self.at.dateTime().toString("yyyy-MM-ddTHH:mm")
        return Escalation(self.to.text().strip(), when, self.how.currentText().strip())

    @classmethod
    def ask(
        cls, parent: QWidget | None, label: str, current: Escalation | None = None
    ) -> Escalation | None:
        dialog = cls(parent, label, current)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


def _parse_when(text: str) -> QDateTime | None:
    try:
        when = datetime.fromisoformat(text) if len(text) > 10 else None
        if when is None:
            day = date.fromisoformat(text)
            return QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0))
    except ValueError:
        return None
    return QDateTime(QDate(when.year, when.month, when.day), QTime(when.hour, when.minute))


class ConfirmationDialog(FormDialog):
    """The date the written confirmation of an immediate risk went to the provider."""

    def __init__(self, parent: QWidget | None, label: str, due: date) -> None:
        super().__init__(parent, "Written confirmation sent")
        what = QLabel(f"{label}\nThe confirmation was due by {due:%A %d %B %Y}.", self)
        what.setWordWrap(True)
        what.setTextFormat(Qt.TextFormat.PlainText)
        self.sent = QDateEdit(self)
        self.sent.setAccessibleName("Date sent")
        self.sent.setCalendarPopup(True)
        self.sent.setDisplayFormat("dd MMM yyyy")
        self.sent.setDate(QDate.currentDate())
        self.body.addWidget(what)
        self.form.addRow("&Sent on:", self.sent)
        self.resize(480, 0)
        self.validate()

    def value(self) -> str:
        return str(self.sent.date().toString("yyyy-MM-dd"))

    @classmethod
    def ask(cls, parent: QWidget | None, label: str, due: date) -> str | None:
        """The ISO date sent, or None."""
        dialog = cls(parent, label, due)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class ReportTextDialog(FormDialog):
    """One passage of the report. Empty means "use the template" (introduction and
    acknowledgements) or "not yet written" (the views of service users and carers)."""

    def __init__(self, parent: QWidget | None, title: str, text: str, note: str) -> None:
        super().__init__(parent, title)
        explain = QLabel(note, self)
        explain.setWordWrap(True)
        muted(explain)
        self.text = text_box(self, title, "Blank paragraphs separate paragraphs.", text)
        self.text.setMinimumHeight(280)
        self.body.addWidget(explain)
        self.body.addWidget(self.text, 1)
        self.resize(720, 520)
        self.validate()

    def value(self) -> str:
        return self.text.toPlainText().strip()

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, note: str) -> str | None:
        dialog = cls(parent, title, text, note)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class ReportFiles:
    """Where to save (tests patch ``ask_save``); starts in the folder last used for a report."""

    @classmethod
    def ask_save(
        cls, parent: QWidget | None, title: str, suggested: str, filters: str
    ) -> Path | None:
        answer = file_dialogs.ask_save_file(parent, file_dialogs.REPORT, title, suggested, filters)
        if answer is None:
            return None
        path, chosen = answer
        if not path.suffix:
            path = path.with_suffix(".docx" if "docx" in chosen else ".pdf")
        return path


class _AnswerDialog(FormDialog):
    """What the provider said, above a text box for the lead's words (both answer dialogs)."""

    noun = "answer"
    what = ""  # the text box's name

    def __init__(
        self, parent: QWidget | None, title: str, context: str, text: str, placeholder: str
    ) -> None:
        super().__init__(parent, title)
        about = QLabel(context, self)
        about.setAccessibleName("The provider's comment")
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = text_box(self, self.what, placeholder, text)
        self.text.setMinimumHeight(140)
        self.body.addWidget(about)
        self.body.addWidget(self.text, 1)
        self.text.textChanged.connect(self.validate)
        self.resize(680, 0)
        self.validate()

    def value(self) -> str:
        return self.text.toPlainText().strip()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        # Tall enough for the provider's words at this width and font (a wrapped label's own
        # hint guesses a width, and larger text was cut under the text box).
        layout = self.layout()
        need = layout.totalHeightForWidth(self.width()) if layout is not None else 0
        if need > self.height():
            self.resize(self.width(), need)


class OwnWordingDialog(_AnswerDialog):
    """Accept a provider's comment with the lead's own words (the item's new text)."""

    what = "New wording"

    def __init__(self, parent: QWidget | None, context: str, text: str) -> None:
        super().__init__(
            parent,
            "Accept with my wording",
            context,
            text,
            "The finding's or the team judgement's new words",
        )

    def problem(self) -> str:
        return "" if self.value() else "Write the new wording."

    @classmethod
    def ask(cls, parent: QWidget | None, context: str, text: str) -> str | None:
        """The new wording, or None if cancelled."""
        dialog = cls(parent, context, text)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class DeclineDialog(_AnswerDialog):
    """Decline a provider's comment: the reason, which the provider reads (required)."""

    what = "Reason for declining"

    def __init__(self, parent: QWidget | None, context: str, text: str = "") -> None:
        super().__init__(
            parent,
            "Decline the comment",
            context,
            text,
            "Why the report stays as it is (the provider reads this)",
        )

    def problem(self) -> str:
        return "" if self.value() else "Say why the comment is declined."

    @classmethod
    def ask(cls, parent: QWidget | None, context: str, text: str = "") -> str | None:
        """The reason, or None if cancelled."""
        dialog = cls(parent, context, text)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
