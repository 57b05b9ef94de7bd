""" "Who am I on this visit?": choosing one's own name from the kit's team.

Asked once per visit, when its kit is first opened on this laptop; the choice is kept in the
visit's workspace. Keyboard: the list has the focus, arrows choose, Enter confirms, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import text_style
from ui.two_line_delegate import TwoLineDelegate


class TeamMember(Protocol):
    """What the dialog needs of a kit's team member (``Member`` in the kit model)."""

    @property
    def member_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation(self) -> str: ...
    @property
    def lead(self) -> bool: ...


def member_label(name: str, role: str, organisation: str, lead: bool) -> str:
    """How a team member reads in the list: "Dr A Khan (lead)" over "Consultant, Trust"."""
    first = f"{name} (lead)" if lead else name
    second = ", ".join(p for p in (role, organisation) if p)
    return f"{first}\n{second}" if second else first


class WhoAmIDialog(QDialog):
    """Lists the team (name, role, organisation, lead); gives the chosen member's id."""

    def __init__(
        self, parent: QWidget | None, visit_title: str, team: Sequence[TeamMember]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who are you on this visit?")
        self.setAccessibleName("Who are you on this visit")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        heading = QLabel("Who are you on this visit?", self)
        heading.setAccessibleName("Who are you on this visit")
        text_style.heading(heading, 1.25)
        intro = QLabel(
            f"Choose your name on the team for <b>{_escape(visit_title)}</b>. Your judgements, "
            "notes and photos will be recorded under it. You choose this once for this visit.",
            self,
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About choosing your name")
        self.members = QListWidget(self)
        self.members.setAccessibleName("Review team")
        self.members.setAccessibleDescription("Choose your own name, then press Enter")
        self.members.setAlternatingRowColors(True)
        self.members.setSpacing(1)
        self.members.setItemDelegate(TwoLineDelegate(self.members))
        self.members.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for m in team:
            label = member_label(m.name, m.role, m.organisation, m.lead)
            item = QListWidgetItem(label, self.members)
            item.setData(Qt.ItemDataRole.UserRole, m.member_id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, label.replace("\n", ", "))
            item.setToolTip(label.replace("\n", ", "))
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton("This is me", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setAccessibleName("This is me")
        self.ok.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        # The focus puts a current row on the list; only a selected row counts as a choice.
        self.members.itemSelectionChanged.connect(
            lambda: self.ok.setEnabled(self.chosen() is not None)
        )
        self.members.itemActivated.connect(lambda _item: self.accept())
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.members, 1)
        layout.addWidget(self.buttons)
        self.members.setFocus()
        self.resize(580, min(600, 220 + 56 * self.members.count()))

    def chosen(self) -> str | None:
        items = self.members.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def accept(self) -> None:
        if self.chosen() is not None:
            super().accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None, visit_title: str, team: Sequence[TeamMember]
    ) -> str | None:
        """The member id the reviewer chose, or None if they cancelled."""
        dialog = cls(parent, visit_title, team)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
