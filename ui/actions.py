"""The one helper that makes every QAction: text, slot, shortcuts, a tooltip that names them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


def make_action(
    parent: QObject,
    text: str,
    slot: Callable[..., Any] | None,
    shortcut: str | Sequence[str] | None = None,
    *,
    tip: str = "",
    checkable: bool = False,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    """A QAction with ``text`` (``&`` marks a mnemonic) that calls ``slot`` when triggered.

    ``shortcut`` is one key sequence or several (the first is the one menus show). The tooltip
    and status tip say what the action does and its keys, so mouse users learn the keyboard.
    The object name (derived from the text) lets tests and accessibility tools find it.
    """
    action = QAction(text, parent)
    plain = text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…")
    action.setObjectName("action_" + "_".join(plain.lower().split()))
    keys = [shortcut] if isinstance(shortcut, str) else list(shortcut or ())
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(context)
    described = tip or plain
    if keys:
        shown = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
        described = f"{described} ({shown})"
    action.setToolTip(described)
    action.setStatusTip(described)
    action.setWhatsThis(described)
    action.setCheckable(checkable)
    if slot is not None:
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
    return action
