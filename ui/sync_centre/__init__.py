"""The sync centre (issue 6): sign in to the central service, sync, kits, outbox, comments.

Hosts install it with one line each: the start screen gets a "Sync…" button
(:func:`install_on_start_screen`), the reviewer's window an item in its Visit menu
(:func:`install`). The window itself (``ui.sync_centre.window``) is imported and built the first
time it is asked for: start-up loads none of it.

A downloaded kit is opened by whoever hosts the centre: ``SyncCentre.open_kit_requested``
carries its path. The start screen connects it to its own ``open_kit``; the app controller
connects the reviewer window's (``window.on_kit_from_service``) to its opener. Unconnected,
the user is told how to open the kit instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import SIGNAL, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QBoxLayout, QMenu, QPushButton, QWidget

from ui import shortcuts
from ui.actions import make_action
from ui.windows import bring_forward


class SyncCentre(QObject):
    """Shows the host's one sync centre window, built on first use."""

    open_kit_requested = Signal(object)  # Path of a downloaded kit

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.host = host
        self.window: Any = None
        self.button: QPushButton | None = None  # on the start screen
        self.action: QAction | None = None  # in the reviewer window's Visit menu

    def show(self) -> Any:
        if self.window is None:
            from ui.sync_centre.window import SyncCentreWindow  # noqa: PLC0415 (first use)

            self.window = SyncCentreWindow(self.host.paths, self.host)  # type: ignore[attr-defined]
            self.window.open_kit_requested.connect(self._open_kit)
        bring_forward(self.window)
        return self.window

    def _open_kit(self, path: Path) -> None:
        if self.receivers(SIGNAL("open_kit_requested(PyObject)")) == 0:
            from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415 (a Qt type is built when first named)

            box = QMessageBox(QMessageBox.Icon.Information, "Open the kit", "", parent=self.window)
            box.setText(
                f"The kit is saved as\n{path}\n\nTo work on it, close this visit "
                "(Visit > Close visit) and open the kit from the start screen."
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return
        self.window.close()  # out of the way of the visit that opens
        self.open_kit_requested.emit(path)


def install_on_start_screen(screen: Any, buttons: QBoxLayout) -> SyncCentre:
    """A "Sync…" button at the end of the start screen's row of buttons."""
    centre = SyncCentre(screen)
    button = QPushButton("&Sync…", screen)
    button.setAccessibleName("Sync with the central service")
    button.setToolTip("Sign in to the central service, get your kits, send finalised findings")
    button.setMinimumHeight(screen.fontMetrics().lineSpacing() * 2 + 4)
    button.clicked.connect(centre.show)
    buttons.insertWidget(max(buttons.count() - 1, 0), button)  # before "Programme staff"
    centre.button = button
    centre.open_kit_requested.connect(screen.open_kit)
    return centre


def install(window: Any) -> SyncCentre:
    """ "Sync with the central service…" in the reviewer window's Visit menu (before Close)."""
    centre = SyncCentre(window)
    action = make_action(
        window,
        "S&ync with the central service…",
        centre.show,
        shortcuts.SYNC_CENTRE,
        tip="Get your kits, send finalised findings, read the service's comments",
    )
    menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Visit"), None)
    if isinstance(menu, QMenu):
        separators = [a for a in menu.actions() if a.isSeparator()]
        menu.insertAction(separators[-1], action) if separators else menu.addAction(action)
    else:
        window.addAction(action)
    centre.action = action
    return centre
