"""After a re-issued kit opens over a reviewer's work: a small dialog, shown once, saying what
the new kit changed (standards added, removed or reworded; sessions moved). Their own work is
untouched, and the dialog says so first, because that is what a reviewer worries about."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from reviewer_app.visit.kit_changes import KitChanges, take_pending
from reviewer_app.visit.session import VisitSession
from ui.operations import TaskOp
from ui.text_style import heading


def changes_html(changes: KitChanges) -> str:
    parts = []
    for title, lines in changes.groups():
        parts.append(f"<h3>{html.escape(title)} ({len(lines)})</h3><ul>")
        parts += [f"<li>{html.escape(line)}</li>" for line in lines]
        parts.append("</ul>")
    return "\n".join(parts)


class KitChangesDialog(QDialog):
    def __init__(self, parent: QWidget | None, changes: KitChanges) -> None:
        super().__init__(parent)
        self.setWindowTitle("This visit's kit was updated")
        self.setAccessibleName("What the updated kit changed")
        layout = QVBoxLayout(self)
        title = QLabel("Programme staff sent an updated kit for this visit.", self)
        heading(title, 1.1)
        title.setWordWrap(True)
        layout.addWidget(title)
        kept = QLabel("Everything you recorded is kept. This is what changed:", self)
        kept.setWordWrap(True)
        layout.addWidget(kept)
        self.view = QTextBrowser(self)
        self.view.setAccessibleName("Changes")
        self.view.setHtml(changes_html(changes))
        self.view.setMinimumSize(QSize(560, 280))
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def show_kit_changes_once(window: QWidget, session: VisitSession) -> None:
    """Ask the visit's worker for changes not yet shown; show them (once) if there are any."""

    def show(changes: KitChanges | None) -> None:
        if changes is not None and changes.any:
            dialog = KitChangesDialog(window, changes)
            window.setProperty("kit_changes_dialog", dialog)
            dialog.open()

    TaskOp(
        window,
        lambda _progress: session.worker.submit(take_pending),
        what="read what the re-issued kit changed",
    ).success(show).untold().run()
