"""What the recording dialogs share: OK only when complete, a hint line saying what is
missing, Ctrl+Enter to save, and the timetable session happening now chosen for the reviewer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.timetable import (
    current_session,
    session_label,
    sessions_in_order,
    visit_days,
)

# Shortcut inside the dialogs (multi-line text boxes keep Enter for new lines).
ACCEPT_KEYS = ("Ctrl+Return", "Ctrl+Enter")
HINT_STYLE = "color: palette(placeholder-text);"


class FormDialog(QDialog):
    """A dialog with OK/Cancel, a hint line, and OK enabled only when ``problem()`` is empty."""

    now: Callable[[], datetime] = datetime.now  # which timetable session is "now" (tests fix it)

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.hint = QLabel(self)
        self.hint.setAccessibleName("What is missing")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(HINT_STYLE)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok | cancel, self)
        self.ok_button = self.buttons.button(ok)
        self.ok_button.setAccessibleName("OK")
        self.buttons.button(cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        for keys in ACCEPT_KEYS:
            QShortcut(QKeySequence(keys), self, self._accept_if_valid)
        self.body = QVBoxLayout()
        outer = QVBoxLayout(self)
        outer.addLayout(self.body)
        outer.addLayout(self.form)
        outer.addWidget(self.hint)
        outer.addWidget(self.buttons)

    def problem(self) -> str:
        """What is missing, in a few words for the hint line ("" when the input is complete)."""
        return ""

    def validate(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(not problem)
        self.hint.setText(problem or self.ready_text())

    def ready_text(self) -> str:
        return "Ready to save (Ctrl+Enter)."

    def _accept_if_valid(self) -> None:
        if not self.problem():
            self.accept()

    def session_combo(self, data: VisitData, name: str) -> QComboBox:
        """The timetable's sessions, "None" first; the session happening now chosen."""
        box = combo(self, name)
        box.addItem("None", "")
        with_date = len(visit_days(data.visit)) > 1
        for s in sessions_in_order(data.visit):
            box.addItem(session_label(s, with_date), s.id)
        now = current_session(data, type(self).now())
        if now is not None:
            box.setCurrentIndex(box.findData(now.id))
        return box


def combo(parent: QWidget, name: str) -> QComboBox:
    """A combo box whose long entries (session and document titles) do not widen the dialog."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(36)
    return combo


def warning_colour(widget: QWidget) -> str:
    """A red that reads on the palette's background, light or dark."""
    return "#ff8a80" if widget.palette().window().color().lightness() < 128 else "#b00020"


def bold(label: QLabel) -> QLabel:
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def text_box(parent: QWidget, name: str, placeholder: str, text: str = "") -> QPlainTextEdit:
    box = QPlainTextEdit(text, parent)
    box.setAccessibleName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    return box
