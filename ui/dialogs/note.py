"""A note on a standard (new or edited): multi-line text; empty gives nothing."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QWidget,
)

from ui.dialogs.base import (
    FormDialog,
    text_box,
)


class NoteDialog(FormDialog):
    def __init__(self, parent: QWidget | None, title: str, text: str = "") -> None:
        super().__init__(parent, title)
        self.noun, self.editing = "note", bool(text)
        self.text = text_box(self, "Note", "Your note (no patient names or NHS numbers)", text)
        self.text.setMinimumSize(QSize(480, 180))
        self.body.addWidget(self.text)
        self.text.textChanged.connect(self.validate)
        self.validate()

    def problem(self) -> str:
        return "" if self.text.toPlainText().strip() else "Write the note."

    def value(self) -> str | None:
        return self.text.toPlainText().strip() or None

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str = "") -> str | None:
        dialog = cls(parent, title, text)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
