"""Bringing a window to the front, and keeping one of each kind of tool window."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)

# What a window need not have before its first paint (status-bar badges, a re-issued kit's
# changes) is started this long after it is built: the reviewer sees the page first.
AFTER_FIRST_PAINT_MS = 150


def bring_forward(window: QWidget) -> None:
    """Show it, above the others, with the keyboard focus."""
    window.show()
    window.raise_()
    window.activateWindow()


def show_once(views: MutableMapping[str, Any], name: str, make: Callable[[], W]) -> W:
    """The window kept under ``name`` (made the first time), brought forward."""
    view = views.get(name)
    if view is None:
        view = make()
        views[name] = view
    bring_forward(view)
    return view
