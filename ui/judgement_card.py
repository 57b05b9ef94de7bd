"""My judgement of the shown standard for one component: four choices, a reason, a suggestion.

The reason is saved when the box loses the focus and after a pause in typing (never on every
keystroke); a judgement made while a reason is being typed carries it along. Not met and N/A ask
for a reason until one is given. The lettered parts' ticks suggest a judgement that the
reviewer applies with "Use"; a suggestion never changes the judgement by itself.

Its colours (the keys hint, the radio buttons' rings, the reason box's border) come from the
application's palette, checked for contrast (``ui.palette``), and are made again when the palette
changes while the app runs: a dark palette made the rings, the hint and the border vanish.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QResizeEvent, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from reviewer_app.visit.model import (
    JUDGEMENT_LABELS,
    JUDGEMENTS,
    MET,
    NEEDS_REASON,
    Judgement,
    leaf_parts,
    suggest_from_parts,
)
from reviewer_app.visit.read_model import VisitData
from ui import shortcuts
from ui.bridge import SessionBridge
from ui.judgement_icons import choice_icon
from ui.operations import ChangeOp
from ui.palette import CardColours, card_colours
from ui.text_style import Card, restyle_on_change, tone

REASON_PAUSE_MS = 1000
KEYS = (
    shortcuts.JUDGE_MET,
    shortcuts.JUDGE_NOT_MET,
    shortcuts.JUDGE_NOT_APPLICABLE,
    shortcuts.JUDGE_NOT_ASSESSED,
)


def five_lines(font: QFont) -> int:
    return QFontMetrics(font).lineSpacing() * 5 + 12


class JudgementCard(Card):
    def __init__(self, bridge: SessionBridge, parent: QWidget) -> None:
        super().__init__("My judgement", "#1f6fb2", parent)
        self.bridge = bridge
        self.session = bridge.session
        self.ref: str | None = None
        self.component = ""
        self._reason_for: tuple[str, str] | None = None
        self._reason_dirty = False
        self._build_choices()
        self._build_reason()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REASON_PAUSE_MS)
        self._timer.timeout.connect(self.flush)
        self._recolouring = False
        self.colours = self._recolour()

    @property
    def data(self) -> VisitData:
        return self.session.data

    def _build_choices(self) -> None:
        self.choice = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for value, key in zip(JUDGEMENTS, KEYS, strict=True):
            label = JUDGEMENT_LABELS[value]
            radio = QRadioButton(label, self)
            radio.setIcon(choice_icon(value))
            radio.setAccessibleName(label)
            radio.setToolTip(f"{label} (key {key[0]}, or {key[1]})")
            self.choice.addButton(radio)
            self.radios[value] = radio
            radio.clicked.connect(lambda _c=False, v=value: self.judge(v))
        radios = self.choice_row = ChoiceRow(list(self.radios.values()), self)
        hint = "  ·  ".join(
            f"{k[0]} {JUDGEMENT_LABELS[v]}" for v, k in zip(JUDGEMENTS, KEYS, strict=True)
        )
        self.keys_hint = QLabel(f"Keys: {hint}", self)
        self.keys_hint.setAccessibleName("Judgement keys")
        self.keys_hint.setWordWrap(True)
        suggestion = QHBoxLayout()
        self.suggestion = QLabel(self)
        self.suggestion.setAccessibleName("Suggestion from the ticked parts")
        self.use_button = QPushButton("Use", self)
        self.use_button.setAccessibleName("Use the suggested judgement")
        self.use_button.setToolTip(f"Use the suggested judgement ({shortcuts.USE_SUGGESTION[0]})")
        self.use_button.clicked.connect(self.use_suggestion)
        suggestion.addWidget(self.suggestion)
        suggestion.addWidget(self.use_button)
        suggestion.addStretch(1)
        self.layout_.addWidget(radios)
        self.layout_.addWidget(self.keys_hint)
        self.layout_.addLayout(suggestion)

    def _build_reason(self) -> None:
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName("Reason for my judgement")
        self.reason.setPlaceholderText(
            "Reason: what you saw, and for Not met what is missing (needed for Not met and N/A)"
        )
        self.reason.setTabChangesFocus(True)
        restyle_on_change(  # five lines of the font in use, now and after it changes
            self.reason, lambda r: r.setFixedHeight(five_lines(QApplication.font(r)))
        )
        self.reason.textChanged.connect(self._reason_edited)
        self.reason.installEventFilter(self)
        self.warning = QLabel(self)
        self.warning.setAccessibleName("Reason needed")
        restyle_on_change(
            self.warning,
            lambda w: w.setStyleSheet(f"color:{tone(w, '#b3261e', '#ff8a80')}; font-weight:bold;"),
        )
        self.layout_.addWidget(self.reason)
        self.layout_.addWidget(self.warning)

    # -- colours --------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        # (Not while being made, nor while colouring: setting the colours sends events too.)
        if event.type() in _RECOLOUR_ON and not getattr(self, "_recolouring", True):
            self._recolour()

    def _recolour(self) -> CardColours:
        """Colour the hint, the rings and the reason box from the application's palette."""
        c = card_colours(QApplication.palette(self))
        ring = max(12, QFontMetrics(QApplication.font(self)).height() * 3 // 4)
        # The style sheets only when their colours or size changed: set again (the card moved
        # to another parent, or shown), each re-polished the card for nothing.
        sheets = (c, ring) != getattr(self, "_sheets_for", None)
        self._sheets_for = (c, ring)
        self._recolouring = True
        try:
            self.colours = c
            hint = QPalette(self.keys_hint.palette())
            hint.setColor(QPalette.ColorRole.WindowText, c.hint)
            self.keys_hint.setPalette(hint)
            reason = QPalette(self.reason.palette())
            reason.setColor(QPalette.ColorRole.PlaceholderText, c.hint)
            self.reason.setPalette(reason)
            if sheets:
                self.choice_row.setStyleSheet(_radio_sheet(c, ring))
                self.reason.setStyleSheet(_reason_sheet(c))
        finally:
            self._recolouring = False
        return c

    # -- showing --------------------------------------------------------------------------------

    def show_for(self, ref: str, component: str, component_name: str) -> None:
        """Show my judgement of ``ref`` for ``component`` (saving a reason still being typed)."""
        self.flush()
        self.ref, self.component = ref, component
        self.setTitle(f"My judgement — {component_name}")
        self._set_reason_text(self.judgement().reason)
        self.refresh()

    def judgement(self) -> Judgement:
        assert self.ref is not None
        return self.data.judgement(self.ref, self.component)

    def changed(self) -> None:
        """The judgement changed in the session (an edit, an undo or a redo)."""
        if not self._reason_dirty:
            self._set_reason_text(self.judgement().reason)
        self.refresh()

    def refresh(self) -> None:
        j = self.judgement()
        self.radios[j.value].setChecked(True)
        self._refresh_warning(j.value)
        self._refresh_suggestion(j)

    def _refresh_warning(self, value: str) -> None:
        needs = value in NEEDS_REASON and not self.reason.toPlainText().strip()
        self.warning.setText(f"A reason is needed for {JUDGEMENT_LABELS[value]}" if needs else "")
        self.warning.setVisible(needs)

    def suggested(self) -> str | None:
        if self.ref is None:
            return None
        labels = [p.label for p in self.data.by_ref[self.ref].parts]
        return suggest_from_parts(labels, self.judgement().parts)

    def _refresh_suggestion(self, j: Judgement) -> None:
        suggestion = self.suggested()
        labels = leaf_parts([p.label for p in self.data.by_ref[j.ref].parts])
        show = suggestion is not None and suggestion != j.value
        if suggestion == MET:
            first, last = (label.split(".")[0] for label in (labels[0], labels[-1]))
            what = f"Parts {first}–{last} all ticked" if len(labels) > 1 else "Ticked"
        else:
            what = "Not ticked: " + ", ".join(label for label in labels if not j.parts.get(label))
        if show and suggestion is not None:
            self.suggestion.setText(f"{what}: suggests {JUDGEMENT_LABELS[suggestion]}")
        self.suggestion.setVisible(show)
        self.use_button.setVisible(show)

    # -- acting ---------------------------------------------------------------------------------

    def judge(self, value: str) -> None:
        """Record my judgement (with the reason being typed, if any)."""
        if self.ref is None or value not in JUDGEMENTS:
            return
        self._timer.stop()
        reason = self.reason.toPlainText() if self._reason_dirty else None
        self._reason_dirty = False
        if value == self.judgement().value and reason is None:
            return
        self.radios[value].setChecked(True)
        self._refresh_warning(value)
        ref, component = self.ref, self.component
        ChangeOp(self, self.bridge, lambda s: s.set_judgement(ref, component, value, reason)).run()

    def use_suggestion(self) -> None:
        suggestion = self.suggested()
        if suggestion is not None:
            self.judge(suggestion)

    def _reason_edited(self) -> None:
        if self._reason_for is None:
            return
        self._reason_dirty = True
        self._timer.start()
        self._refresh_warning(self.judgement().value)

    def flush(self) -> None:
        """Save the reason being typed, if it differs from the saved one."""
        self._timer.stop()
        if not self._reason_dirty or self._reason_for is None:
            return
        self._reason_dirty = False
        ref, component = self._reason_for
        text = self.reason.toPlainText()
        if text != self.data.judgement(ref, component).reason:
            ChangeOp(self, self.bridge, lambda s: s.set_reason(ref, component, text)).run()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.reason and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    def _set_reason_text(self, text: str) -> None:
        """Replace the reason shown, keeping the caret where it was as far as possible."""
        self._reason_for = None  # what follows is not an edit by the reviewer
        if self.reason.toPlainText() != text:
            caret = self.reason.textCursor().position()
            self.reason.setPlainText(text)
            cursor = self.reason.textCursor()
            cursor.setPosition(min(caret, len(text)), QTextCursor.MoveMode.MoveAnchor)
            self.reason.setTextCursor(cursor)
        self._reason_dirty = False
        self._reason_for = (self.ref, self.component) if self.ref is not None else None

    def focus_reason(self) -> None:
        self.reason.setFocus(Qt.FocusReason.ShortcutFocusReason)


_RECOLOUR_ON = (
    QEvent.Type.PaletteChange,
    QEvent.Type.ApplicationPaletteChange,
    QEvent.Type.ApplicationFontChange,  # (the rings are sized to the font)
)


def _radio_sheet(c: CardColours, ring: int) -> str:
    """Radio buttons whose ring and dot stand out from the card (a 2 px ring)."""
    radius = ring // 2 + 2
    return (
        f"QRadioButton::indicator {{ width: {ring}px; height: {ring}px;"
        f" border: 2px solid {c.ring.name()}; border-radius: {radius}px;"
        f" background: {c.background.name()}; }}"
        f" QRadioButton::indicator:checked {{ border-color: {c.checked.name()};"
        " background: qradialgradient(cx:0.5, cy:0.5, radius:0.5, fx:0.5, fy:0.5,"
        f" stop:0 {c.checked.name()}, stop:0.55 {c.checked.name()},"
        f" stop:0.6 {c.background.name()}, stop:1 {c.background.name()}); }}"
    )


def _reason_sheet(c: CardColours) -> str:
    """A reason box whose border shows on the card, thicker while it has the keyboard."""
    return (
        f"QPlainTextEdit {{ border: 1px solid {c.border.name()}; border-radius: 3px;"
        f" padding: 1px; background: {c.background.name()}; color: {c.text.name()}; }}"
        f" QPlainTextEdit:focus {{ border: 2px solid {c.focus.name()}; padding: 0px; }}"
    )


class ChoiceRow(QWidget):
    """The four judgements in one row, or two rows of two when the page is narrow.

    With a large system font one row can be wider than the page; wrapping keeps every choice
    visible without a horizontal scroll bar.
    """

    def __init__(self, buttons: list[QRadioButton], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons = buttons
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.columns = 0
        self._arrange(len(buttons))

    def _width(self, columns: int) -> int:
        rows = [self.buttons[i : i + columns] for i in range(0, len(self.buttons), columns)]
        spacing = self.grid.horizontalSpacing() * (columns - 1)
        widest = [max(r[c].sizeHint().width() for r in rows if c < len(r)) for c in range(columns)]
        return sum(widest) + spacing

    def _arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for button in self.buttons:
            self.grid.removeWidget(button)
        for i, button in enumerate(self.buttons):
            self.grid.addWidget(button, i // columns, i % columns, Qt.AlignmentFlag.AlignLeft)
        self.grid.setColumnStretch(columns, 1)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self._width(2)), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange(len(self.buttons) if event.size().width() >= self._width(4) else 2)
