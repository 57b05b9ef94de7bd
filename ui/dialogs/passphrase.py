"""The passphrase that protects visits on a laptop with no password store (keyring).

Asked by ``reviewer_app.app.keys`` (``set_passphrase_asker``) when a key is kept wrapped in a
file beside what it encrypts: once a session, and again after the window locks.

- ``new``: the first visit (or the staff workspace) on such a laptop: a passphrase is chosen,
  typed twice; the dialog says what it protects and what forgetting it costs.
- ``retry``: the last passphrase did not open the key: said above the field.

``PassphraseDialog.ask(parent, request)`` returns the passphrase, or None when cancelled (tests
patch ``ask``). ``ui.lock.install_passphrase_dialog`` makes it the app's way of asking.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QWidget

from reviewer_app.app.keys import PassphraseRequest
from ui.dialogs.base import FormDialog, warning_colour

MIN_LENGTH = 8
WRONG = "That passphrase was wrong. Type it again, exactly as it was chosen."
DIFFER = "The two passphrases differ: type the same one in both boxes."
KEYS = "Enter to go on · Esc to cancel"


class PassphraseDialog(FormDialog):
    def __init__(self, parent: QWidget | None, request: PassphraseRequest) -> None:
        title = "Choose a passphrase" if request.new else "Passphrase"
        super().__init__(parent, title)
        self.request = request
        # One passphrase a session opens every key wrapped with it: the text names no visit.
        if request.new:
            text = (
                "This laptop has no password store (keyring), so a passphrase protects what the "
                "app keeps here. It protects every visit on this laptop that has no password "
                "store: the app asks for it once each time it starts, and after it locks."
            )
        else:
            text = "Type the passphrase that protects the visits on this laptop."
        self.about = self._label(text, "What the passphrase is for")
        self.body.addWidget(self.about)
        if request.new:
            self.way_back = self._label(
                "If it is forgotten, a visit can only be opened again from its kit and the "
                "team's bundles: export a bundle whenever you can, as work not yet in one "
                "cannot be recovered without the passphrase.",
                "If the passphrase is forgotten",
            )
            self.body.addWidget(self.way_back)
        self.wrong = self._label(WRONG, "Wrong passphrase")
        self.wrong.setStyleSheet(f"color: {warning_colour(self)}; font-weight: bold;")
        self.wrong.setVisible(request.retry)
        self.body.addWidget(self.wrong)
        self.passphrase = self._field("Passphrase")
        self.form.addRow(self._buddy("&Passphrase:", self.passphrase), self.passphrase)
        self.again: QLineEdit | None = None
        if request.new:
            self.again = self._field("Passphrase again")
            self.form.addRow(self._buddy("&Again:", self.again), self.again)
        self.ok_button.setText("Unlock" if not request.new else "Use this passphrase")
        self.ok_button.setAccessibleName(self.ok_button.text())
        self.setMinimumWidth(460)
        self.validate()

    def _label(self, text: str, name: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAccessibleName(name)
        label.setAccessibleDescription(text)
        return label

    def _field(self, name: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        field.textChanged.connect(self.validate)
        return field

    def _buddy(self, text: str, field: QLineEdit) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(field)
        return label

    def problem(self) -> str:
        typed = self.passphrase.text()
        if not typed:
            return "Type the passphrase."
        if self.again is None:
            return ""
        if len(typed) < MIN_LENGTH:
            return f"Choose a passphrase of at least {MIN_LENGTH} characters."
        if not self.again.text():
            return "Type it again in the second box."
        if self.again.text() != typed:
            return DIFFER
        return ""

    def ready_text(self) -> str:
        return "Press Enter to go on."

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.keys.setText(KEYS)  # (nothing is saved here)

    def has_changes(self) -> bool:
        return False  # a passphrase is not work: Esc closes without asking "Discard?"

    def value(self) -> str:
        return self.passphrase.text()

    @classmethod
    def ask(cls, parent: QWidget | None, request: PassphraseRequest) -> str | None:
        dialog = cls(parent, request)
        try:
            return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            for field in (dialog.passphrase, dialog.again):
                if field is not None:
                    field.clear()  # not left in the widget's buffer longer than needed
            dialog.deleteLater()


__all__ = ["DIFFER", "WRONG", "PassphraseDialog"]
