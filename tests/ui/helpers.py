"""Helpers shared by the window tests (tests/ui): one definition each, imported from here.

- ``WAIT``: how long (ms) a test waits for the app before it fails; long, because the
  machines that run the suite are shared and slow, and a passing test never waits it out.
- ``settle``: wait until every edit sent to the storage worker has been acknowledged.
- ``show_window``: show a reviewer's window as a person meets it (exposed, active, its Tab
  order set).
- ``message_boxes``: the message boxes the user can see now.
- ``save_screenshot``: save a picture of a widget (or a grabbed image) to tests/artifacts; only
  tests marked ``screenshots`` call it (``make screenshots``), through the ``screenshot``
  fixture of tests/ui/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT = 20_000

Screenshot = Callable[[QWidget | QImage, str], None]
"""The ``screenshot`` fixture (tests/ui/conftest.py): ``screenshot(widget, "name.png")``."""


class _Pending(Protocol):
    pending: int


class HasBridge(Protocol):
    """A window or a page: anything that sends its edits through a bridge."""

    @property
    def bridge(self) -> _Pending: ...


def settle(qtbot: QtBot, owner: HasBridge) -> None:
    """Wait until the storage worker has acknowledged every edit ``owner`` sent, then let the
    window redraw what came back."""
    qtbot.waitUntil(lambda: owner.bridge.pending == 0, timeout=WAIT)
    QApplication.processEvents()


def show_window(qtbot: QtBot, window: QWidget, width: int = 1400, height: int = 900) -> None:
    """Show ``window`` (closed with the test) and wait until a person could use it: on the
    screen, active, and its Tab order set (just after the first paint: ui/focus_order.py)."""
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    order = getattr(window, "focus_order", None)
    if order is not None:
        qtbot.waitUntil(lambda: not order.pending, timeout=WAIT)


def message_boxes() -> list[QMessageBox]:
    """The message boxes on the screen now."""
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def save_screenshot(shown: QWidget | QImage, name: str) -> Path:
    """Save ``shown`` as tests/artifacts/``name`` (PNG) once its layouts have settled."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / name
    if isinstance(shown, QWidget):
        layout = shown.layout()
        if layout is not None:
            layout.activate()
        for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
            QApplication.processEvents()
        shown = shown.grab().toImage()
    assert shown.save(str(out)), f"could not save {out}"
    return out
