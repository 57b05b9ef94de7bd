"""Devices in the team overview: whose device is whose, as words people read aloud to compare.

- :class:`DevicesModel`: every device key this laptop has seen, with its member, its
  fingerprint words, its state in plain words, when and in which bundle it was first seen, and
  how much of its work is held back;
- :class:`DeviceFlags`: one prominent card for each other device that says it is a member whose
  device this laptop already knows, with the sentence and the words; for the lead only, Accept
  and Refuse buttons (each asks first, :class:`DeviceDecisionDialog`);
- :class:`DeviceDecisionDialog`: accepting asks the lead to compare the words read aloud by the
  member, and to tick that they match.

The overview (``ui.team.overview``) reads the devices and records decisions on the session's
worker (``reviewer_app.team.work.devices_of``, ``decide_in_session``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.team.devices import DeviceRow
from ui.dialogs.base import FormDialog
from ui.rows_model import RowsModel
from ui.team.receipts import when
from ui.text_style import Card, clear_layout, heading, is_dark, muted, restyle_on_change, tone

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Member", "Fingerprint (read aloud)", "State", "Held back", "First seen")
WARNING = ("#8a4b00", "#ffb74d")  # light, dark: the conflicts badge's amber


def _plural(n: int, one: str) -> str:
    return f"{n} {one}{'' if n == 1 else 's'}"


def first_seen(row: DeviceRow) -> str:
    """When and where this laptop first saw the key, as a person reads it."""
    if row.this_laptop:
        return f"{when(row.first_seen)}, made on this laptop"
    return f"{when(row.first_seen)}, in {row.seen_in}"


class DevicesModel(RowsModel):
    """Every device key seen here, members in the team's order."""

    HEADERS = COLUMNS
    rows: list[DeviceRow]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(row, column)
        return self._style(row, column, role)

    def _style(self, row: DeviceRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.FontRole and (column == 1 or row.waiting):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.waiting:
            parent = self.parent()
            dark = is_dark(parent) if isinstance(parent, QWidget) else False
            return QBrush(QColor(WARNING[1] if dark else WARNING[0]))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    @staticmethod
    def _text(row: DeviceRow, column: int) -> str:
        if column == 0:
            return row.name + (" (lead)" if row.lead else "")
        if column == 1:
            return row.words
        if column == 2:
            return ("⚠ " if row.waiting else "") + row.state_words.capitalize()
        if column == 3:
            return str(row.held) if row.held else "none"
        return first_seen(row)

    @staticmethod
    def _tip(row: DeviceRow, column: int) -> str:
        if column == 0:
            return f"{row.name}, {row.role}"
        if column == 1:
            return (
                f"Fingerprint of {row.name}'s device {row.device_id}: read these words aloud "
                "to compare them with what that laptop shows for itself"
            )
        if column == 2:
            return row.sentence or f"{row.name}'s device: {row.state_words}"
        if column == 3:
            return f"{_plural(row.held, 'operation')} signed by this device held back here"
        return first_seen(row)


class DeviceFlags(QWidget):
    """A card for each device that waits for the lead; the lead's Accept and Refuse buttons."""

    decide = Signal(object, bool)  # the DeviceRow, accept

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Devices waiting for the lead")
        self.cards_layout = QVBoxLayout(self)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards: list[Card] = []
        self.buttons: list[QPushButton] = []
        self.shown: tuple[bool, str, list[DeviceRow]] | None = None
        self.setVisible(False)

    def show_rows(self, rows: Sequence[DeviceRow], *, lead: bool, lead_name: str) -> None:
        """One card per waiting device; ``lead``: this laptop's member decides."""
        shown = (lead, lead_name, [r for r in rows if r.waiting])
        if shown == self.shown:
            return  # the same cards: keep them (and the keyboard focus on a button)
        self.shown = shown
        clear_layout(self.cards_layout)
        self.cards, self.buttons = [], []
        for row in rows:
            if row.waiting:
                self.cards.append(self._card(row, lead, lead_name))
        self.setVisible(bool(self.cards))

    def set_busy(self, busy: bool) -> None:
        for button in self.buttons:
            button.setEnabled(not busy)

    def _card(self, row: DeviceRow, lead: bool, lead_name: str) -> Card:
        card = Card(f"⚠ A device to confirm for {row.name}", tone(self, *WARNING), self)
        card.heading.setTextFormat(Qt.TextFormat.PlainText)  # names are text, never markup
        restyle_on_change(card.heading, lambda w: w.setStyleSheet(f"color:{tone(w, *WARNING)};"))
        words = QLabel(row.words, card)
        words.setAccessibleName(f"Fingerprint of the other device for {row.name}")
        words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading(words, 1.4)
        sentence = QLabel(row.sentence.rstrip(".") + ".", card)
        sentence.setAccessibleName(f"About the other device for {row.name}")
        sentence.setWordWrap(True)
        sentence.setTextFormat(Qt.TextFormat.PlainText)
        sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        held = QLabel(
            f"{_plural(row.held, 'operation')} from it held back; first seen {first_seen(row)}.",
            card,
        )
        held.setWordWrap(True)
        held.setTextFormat(Qt.TextFormat.PlainText)
        muted(held)
        card.layout_.addWidget(words)
        card.layout_.addWidget(sentence)
        card.layout_.addWidget(held)
        if lead:
            line = QHBoxLayout()
            accept = QPushButton("&Accept this device…", card)
            accept.setAccessibleName(f"Accept the other device for {row.name}")
            accept.setToolTip("Only if they changed laptop and the words read aloud match")
            refuse = QPushButton("&Refuse this device…", card)
            refuse.setAccessibleName(f"Refuse the other device for {row.name}")
            refuse.setToolTip("Its held work is dropped, here and on the team's laptops")
            accept.clicked.connect(lambda _c=False, r=row: self.decide.emit(r, True))
            refuse.clicked.connect(lambda _c=False, r=row: self.decide.emit(r, False))
            line.addWidget(accept)
            line.addWidget(refuse)
            line.addStretch(1)
            card.layout_.addLayout(line)
            self.buttons += [accept, refuse]
        else:
            only = QLabel(
                f"Only the lead reviewer, {lead_name}, can accept or refuse it; its work "
                "counts here once their bundle says so.",
                card,
            )
            only.setWordWrap(True)
            only.setTextFormat(Qt.TextFormat.PlainText)
            muted(only)
            card.layout_.addWidget(only)
        self.cards_layout.addWidget(card)
        card.show()  # at once: a child added to a shown widget would be shown only later
        return card


class DeviceDecisionDialog(FormDialog):
    """Asks the lead before accepting (compare the words read aloud) or refusing a device."""

    def __init__(self, parent: QWidget | None, row: DeviceRow, accept: bool) -> None:
        verb = "Accept" if accept else "Refuse"
        super().__init__(parent, f"{verb} the other device for {row.name}")
        self.accepting = accept
        held = _plural(row.held, "held operation")
        if accept:
            before = (
                f"Ask {row.name} to open Team > Team overview on the laptop they use now, and "
                "to read aloud the six words shown there for “this laptop”. Compare them, word "
                "for word, with this device's fingerprint:"
            )
            after = (
                f"Accept it only if every word matches and {row.name} changed laptop: from "
                f"then on its work counts as theirs, and its {held} join the visit."
            )
        else:
            before = "Refuse the device whose fingerprint is:"
            after = (
                f"Refuse it if {row.name} did not change laptop, or the words their laptop "
                f"shows differ. Its {held} are dropped here, and the team's laptops refuse "
                "its work once they import your bundle."
            )
        intro = QLabel(before, self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.words = QLabel(row.words, self)
        self.words.setAccessibleName("Fingerprint to compare")
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading(self.words, 1.4)
        outro = QLabel(after, self)
        outro.setWordWrap(True)
        outro.setTextFormat(Qt.TextFormat.PlainText)
        self.body.addWidget(intro)
        self.body.addWidget(self.words)
        self.body.addWidget(outro)
        self.match = QCheckBox(f"{row.name} read these six words aloud, and they match", self)
        self.match.setAccessibleName("The words read aloud match")
        self.match.toggled.connect(self.validate)
        self.match.setVisible(accept)
        if accept:
            self.body.addWidget(self.match)
        self.ok_button.setText(f"{verb} the device")
        self.ok_button.setAccessibleName(f"{verb} the device")
        self.setMinimumWidth(600)
        self.validate()
        # Word-wrapped labels: the height follows from the width, once the layout knows it.
        layout = self.layout()
        if layout is not None:
            self.resize(600, layout.heightForWidth(600))

    def problem(self) -> str:
        if self.accepting and not self.match.isChecked():
            return "Tick the box once the words read aloud match."
        return ""

    def ready_text(self) -> str:
        return "Ready (Ctrl+Enter)."

    @classmethod
    def ask(cls, parent: QWidget | None, row: DeviceRow, accept: bool) -> bool:
        """True when the lead confirmed."""
        return bool(cls(parent, row, accept).exec() == FormDialog.DialogCode.Accepted)
