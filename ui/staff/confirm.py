"""Asking before something is deleted: the question names exactly what goes, and the button
says what it does ("Delete the plan"), so a tired click on the wrong row is caught."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


class ConfirmDialog(QMessageBox):
    def __init__(self, parent: QWidget | None, question: str, detail: str, action: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(action)
        self.setAccessibleName(action)
        self.setIcon(QMessageBox.Icon.Question)
        self.setText(question)
        self.setInformativeText(detail)
        self.yes = self.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        self.no = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.no)  # Enter keeps things as they are

    @classmethod
    def ask(cls, parent: QWidget | None, question: str, detail: str, action: str) -> bool:
        """True when the person chose ``action``."""
        dialog = cls(parent, question, detail, action)
        dialog.exec()
        return dialog.clickedButton() is dialog.yes
