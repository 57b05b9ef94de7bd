"""A damaged workspace: say what happened, and offer the way back (the rolling backups).

The damaged file is never changed here. Restoring a backup (``visits.restore_workspace``, run by
the caller off the UI thread) keeps the damaged file beside the restored one for support.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.workspaces import WorkspaceDamaged, backup_reason, backup_time
from ui import text_style

WHY = {  # a backup's reason (storage.Workspace.backup), as the list of backups says it
    "open": "when the visit was opened",
    "edits": "while editing",
    "import": "before a bundle import",
    "finalise": "before finalising",
}


def backup_label(backup: Path, newest: bool, now: datetime | None = None) -> str:
    """ "Tuesday 4 March 2025, 14:32:05, before finalising (newest)" in local time, from the
    backup's name."""
    made = backup_time(backup)
    if made is None:
        return backup.name
    local = made.astimezone()
    now = now or datetime.now().astimezone()
    if local.date() == now.date():
        day = "Today"
    else:
        day = f"{local:%A} {local.day} {local:%B %Y}"
    text = f"{day}, {local:%H:%M:%S}"
    why = WHY.get(backup_reason(backup))
    if why:
        text = f"{text}, {why}"
    return f"{text} (newest)" if newest else text


class WorkspaceProblemDialog(QDialog):
    """What is wrong with the workspace, its backups newest first, and "Restore this backup"."""

    def __init__(self, parent: QWidget | None, problem: WorkspaceDamaged, visit_title: str) -> None:
        super().__init__(parent)
        self.problem = problem
        self.setWindowTitle("This visit cannot be opened")
        self.setAccessibleName("Damaged visit workspace")
        self.setMinimumWidth(520)
        self._build(problem, visit_title)
        self.backups.setFocus()

    def _header(self, problem: WorkspaceDamaged, visit_title: str) -> QWidget:
        """The warning icon beside what happened and what can be done."""
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        icon.setAccessibleName("Warning")
        heading = QLabel(f"The work saved for {visit_title or 'this visit'} is damaged", self)
        heading.setAccessibleName("What happened")
        heading.setWordWrap(True)
        text_style.heading(heading, 1.25)
        explain = QLabel(self)
        explain.setWordWrap(True)
        explain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        explain.setAccessibleName("Details")
        explain.setText(self._explanation(problem))
        row = QWidget(self)
        text = QVBoxLayout()
        text.addWidget(heading)
        text.addWidget(explain)
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row_layout.addLayout(text, 1)
        return row

    @staticmethod
    def _explanation(problem: WorkspaceDamaged) -> str:
        file_name = problem.path.name if isinstance(problem.path, Path) else str(problem.path)
        what = (
            f"The file that holds this visit's work ({file_name}) failed its check when it was "
            f"opened, and the app has not changed it. (The check said: {problem.detail}.)"
        )
        if problem.backups:
            return (
                f"{what}\n\nThe app keeps copies of your work as you go. Choose one to go back "
                "to: work recorded after it was made will need to be entered again or brought "
                "back from your team's bundles. The damaged file is kept beside it for support."
            )
        return (
            f"{what}\n\nThere is no backup of it yet. Keep the file for support "
            f"({problem.path}); your team's bundles can bring your recorded work back."
        )

    def _build(self, problem: WorkspaceDamaged, visit_title: str) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._header(problem, visit_title))
        self.backups = QListWidget(self)
        self.backups.setAccessibleName("Backups, newest first")
        self.backups.setAlternatingRowColors(True)
        for n, backup in enumerate(problem.backups):
            item = QListWidgetItem(backup_label(backup, newest=n == 0), self.backups)
            item.setData(Qt.ItemDataRole.UserRole, str(backup))
            item.setToolTip(str(backup))
        self.buttons = QDialogButtonBox(self)
        self.restore = self.buttons.addButton(
            "Restore this backup", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.restore.setAccessibleName("Restore this backup")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.backups.itemActivated.connect(lambda _item: self.accept())
        if problem.backups:
            self.backups.setCurrentRow(0)
            self.restore.setDefault(True)
        else:
            self.backups.hide()
            self.restore.hide()
            cancel.setText("Close")
            cancel.setAccessibleName("Close")
        if problem.backups:
            label = QLabel("&Backups, newest first:", self)
            label.setBuddy(self.backups)
            layout.addWidget(label)
        layout.addWidget(self.backups, 1)
        layout.addWidget(self.buttons)

    def chosen(self) -> Path | None:
        item = self.backups.currentItem()
        return None if item is None else Path(str(item.data(Qt.ItemDataRole.UserRole)))

    @classmethod
    def ask(
        cls, parent: QWidget | None, problem: WorkspaceDamaged, visit_title: str = ""
    ) -> Path | None:
        """The backup the reviewer chose to restore, or None (cancelled, or there is none)."""
        dialog = cls(parent, problem, visit_title)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()
