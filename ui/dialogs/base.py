"""What the recording dialogs share: OK only when complete, a hint line saying what is
missing, the timetable session happening now chosen for the reviewer, and one keyboard
behaviour (issue 16):

- the dialog opens with the keyboard in its first input, so what is typed first lands there
  (a dialog with nothing to fill in, a confirmation, opens on Cancel);
- Ctrl+Enter saves from anywhere; plain Enter saves from a one-line field, a list or a choice,
  and starts a new line in a multi-line text box (a line under the buttons says so);
- no push button is a default or auto-default one: Enter or Space while typing never presses
  OK or Cancel by accident (Enter on a button the reviewer moved to with Tab presses it);
- Esc, Cancel or the window's close button on something typed asks first ("Discard this
  observation?", Keep editing the default); an untouched dialog just closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTextEdit,
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
KEYS_WITH_TEXT_BOX = "Ctrl+Enter to save (Enter starts a new line in a text box) · Esc to cancel"
KEYS_WITHOUT_TEXT_BOX = "Enter or Ctrl+Enter to save · Esc to cancel"
# What the keyboard may start in: never a push button, which Space or Enter would press.
INPUTS = (
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QRadioButton,
    QCheckBox,
)


def ask_discard(parent: QWidget, question: str) -> bool:
    """True when the reviewer chose to discard what they typed; Keep editing is the default,
    and Esc, Enter or Space on the question keep it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Discard?")
    box.setAccessibleName("Discard?")
    box.setText(question)
    box.setInformativeText("What you have typed here will be lost.")
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    discard.setAccessibleName("Discard")
    keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
    keep.setAccessibleName("Keep editing")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is discard


class FormDialog(QDialog):
    """A dialog with OK/Cancel, a hint line, and OK enabled only when ``problem()`` is empty."""

    now: Callable[[], datetime] = datetime.now  # which timetable session is "now" (tests fix it)
    noun = "entry"  # "Discard this <noun>?"
    editing = False  # an existing record: "Discard your changes to this <noun>?"

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
        self.keys = QLabel(self)
        self.keys.setAccessibleName("Keys")
        self.keys.setStyleSheet(HINT_STYLE)
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
        outer.addWidget(self.keys)
        outer.addWidget(self.buttons)
        self._typed_at_open: tuple[str, ...] | None = None
        self._closed_by_program = False

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

    # -- the keyboard -----------------------------------------------------------------------------

    def first_input(self) -> QWidget | None:
        """Where the keyboard starts: the first input in the tab order (a group of choices at its
        chosen one)."""
        widget: QWidget | None = self
        for _ in range(500):  # the focus chain is a ring; a dialog has far fewer widgets
            widget = widget.nextInFocusChain() if widget is not None else None
            if widget is None or widget is self:
                break
            usable = widget.isEnabled() and widget.isVisibleTo(self)
            takes_tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
            if usable and takes_tab and isinstance(widget, INPUTS):
                group = widget.group() if isinstance(widget, QRadioButton) else None
                chosen = group.checkedButton() if group is not None else None
                return chosen or widget
        return None

    def own_enter(self) -> tuple[QWidget, ...]:
        """Fields whose Enter does their own job (adding a standard), never saving."""
        return ()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        # Qt makes the first OK button the default (and every dialog push button an
        # auto-default one) as the dialog is shown: undone here, after it.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        if self._typed_at_open is None:
            self._typed_at_open = self.typed()
            plain, rich = self.findChildren(QPlainTextEdit), self.findChildren(QTextEdit)
            multi = any(box.isVisibleTo(self) for box in [*plain, *rich])
            end = QTextCursor.MoveOperation.End
            for box in plain:  # what is typed next adds to a text, not before it
                box.moveCursor(end)
            for rich_box in rich:
                rich_box.moveCursor(end)
            self.keys.setText(KEYS_WITH_TEXT_BOX if multi else KEYS_WITHOUT_TEXT_BOX)
            # Nothing to fill in (a confirmation): Cancel, so a stray key confirms nothing.
            first = self.first_input() or self.buttons.button(
                QDialogButtonBox.StandardButton.Cancel
            )
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        key = event.key()
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()  # a button the reviewer chose with Tab
            elif focus not in self.own_enter():
                self._accept_if_valid()
            return
        if plain and key == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)

    # -- not losing what was typed ----------------------------------------------------------------

    def typed(self) -> tuple[str, ...]:
        """The text of every text field, in order (what closing would lose)."""
        texts: list[str] = []
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QPlainTextEdit | QTextEdit):
                texts.append(widget.toPlainText())
            elif isinstance(widget, QLineEdit) and not isinstance(widget.parent(), QComboBox):
                texts.append(widget.text())
        return tuple(texts)

    def has_changes(self) -> bool:
        """Something was typed since the dialog opened (closing would lose it)."""
        if self._typed_at_open is None:  # never shown: nothing the reviewer typed
            return False
        return self.typed() != self._typed_at_open

    def discard_question(self) -> str:
        if self.editing:
            return f"Discard your changes to this {self.noun}?"
        return f"Discard this {self.noun}?"

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        # The window's close button asks (QDialog's closeEvent rejects); the program's own
        # close() does not: nobody would be there to answer.
        self._closed_by_program = not event.spontaneous()
        try:
            super().closeEvent(event)
        finally:
            self._closed_by_program = False

    def reject(self) -> None:
        """Esc, Cancel or the window's close button: ask first when something was typed."""
        if self.isVisible() and self.has_changes() and not self._closed_by_program:
            typing_in = self.focusWidget()
            if not ask_discard(self, self.discard_question()):
                self.activateWindow()
                if typing_in is not None:  # back where the reviewer was typing
                    typing_in.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        super().reject()

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
