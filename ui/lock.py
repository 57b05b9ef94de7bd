"""Locking the app (issue 19): what shows while locked, and the two things that lock it besides
Visit > Lock (Ctrl+L).

- ``LockScreen``: the window while the app is locked: no visit content (the visit's window is
  closed, its session and keys gone), one Unlock button. ``AppController`` (ui/app.py) does the
  locking and unlocking.
- ``IdleWatch``: an event filter on each top-level window (its QWindow); no key pressed and no
  mouse used anywhere in the app for the setting ``idle_lock_minutes``, and it asks for a lock.
- ``LockListener``: ``reviewer-app visit lock`` from a terminal reaches the window through a
  local socket of this user's (``reviewer_app.app.cli.lock_listener_folder``), no network.
- ``install_passphrase_dialog``: with no password store, unlocking (and every first open of a
  session) asks for the passphrase in ``ui.dialogs.passphrase``, always on the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QRect,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from reviewer_app.app import keys
from reviewer_app.app.cli import LOCK_REQUEST, LOCKED, lock_listener_folder, private_folder
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from ui.text_style import heading, muted, tone

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent, QShowEvent, QWindow
    from PySide6.QtNetwork import QLocalSocket

    from reviewer_app.app.keys import PassphraseRequest

log = logging.getLogger(__name__)

IDLE_SETTING = "idle_lock_minutes"
WORKER_WAIT_S = 300.0  # a thread other than the GUI's waits this long for a passphrase
APP = "Reviewer App"
# What a person does: keys, the mouse, the wheel, a touch pad. Not paints, timers, focus.
INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
    }
)


class LockScreen(QWidget):
    """The window while locked: what happened, and Unlock."""

    unlock_requested = Signal()

    def __init__(self, what: str, geometry: QRect | None = None) -> None:
        """``what`` was locked, in a few words that give nothing of the visit away."""
        super().__init__()
        self.setWindowTitle(f"Locked — {APP}")
        self.setAccessibleName("Locked")
        box = QWidget(self)  # one readable column in the middle of the window
        box.setMaximumWidth(520)
        self.title = QLabel("Reviewer App is locked", box)
        self.title.setAccessibleName("Locked")
        heading(self.title, 1.4)
        self.explain = QLabel(
            f"{what} was saved and closed, and its key left this computer's memory. "
            "Unlock opens it again where you were; without a password store (keyring) it asks "
            "for the passphrase.",
            box,
        )
        self.explain.setAccessibleName("What locking did")
        self.problem = QLabel(box)
        self.problem.setAccessibleName("Why it is still locked")
        self.problem.hide()
        for label in (self.title, self.explain, self.problem):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
        muted(self.explain)
        self.unlock_button = QPushButton("&Unlock", box)
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock_requested)
        column = QVBoxLayout(box)
        column.addWidget(self.title)
        column.addWidget(self.explain)
        column.addWidget(self.problem)
        column.addSpacing(8)
        column.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)
        if geometry is not None and geometry.isValid():
            self.setGeometry(geometry)
        else:
            self.resize(900, 600)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.unlock_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.unlock_requested.emit()  # (a button outside a dialog takes only Space)
            return
        super().keyPressEvent(event)

    def still_locked(self, sentence: str) -> None:
        """Unlocking did not work (a passphrase cancelled or wrong): say why, stay locked."""
        self.problem.setText(sentence)
        self.problem.setStyleSheet(f"color:{tone(self, '#b3261e', '#ff8a80')}; font-weight:bold;")
        self.problem.show()
        self.unlock_button.setFocus(Qt.FocusReason.OtherFocusReason)


class IdleWatch(QObject):
    """``idle`` is emitted after the set time with no input to the app (0: never)."""

    idle = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self._watching = False

    def minutes(self) -> float:
        return float(Settings.shared(self.paths).get(IDLE_SETTING))

    def start(self) -> None:
        """Count from now (the setting read again: it may have changed)."""
        minutes = self.minutes()
        self._watching = minutes > 0
        if self._watching:
            self.timer.setInterval(max(1, round(minutes * 60_000)))
            self.timer.start()
        else:
            self.timer.stop()

    def stop(self) -> None:
        self._watching = False
        self.timer.stop()

    def watch(self, window: QWindow | None) -> None:
        """Count input to this top-level window from now on (again: nothing changes).

        Installed on the window's QWindow, where the desktop's key presses, clicks and wheel
        turns arrive before Qt hands them to a widget, and not on the app: a filter on the app
        is called for each of its events, some 900 a turn of the event loop, and took 6-12 ms
        of the UI thread a turn (bench/ui_stall.py)."""
        if window is not None:
            window.installEventFilter(self)  # (once: Qt keeps one entry for a filter)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self._watching and event.type() in INPUT:
            self.timer.start()  # (restarting a running timer costs next to nothing)
        return False


class LockListener(QObject):
    """Listens for ``reviewer-app visit lock``; ``lock_requested`` is emitted for each, and the
    caller locks before the command is answered (``answer``)."""

    lock_requested = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        # QtNetwork loads here, once the window is up: not on the way to the first paint.
        from PySide6.QtNetwork import QLocalServer  # noqa: PLC0415

        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connected)
        self.address: Path | None = None
        try:
            folder = private_folder(lock_listener_folder(paths))
        except OSError as exc:
            log.warning("visit lock will not reach this window: %s", exc)
            return
        address = folder / f"{os.getpid()}.sock"
        address.unlink(missing_ok=True)  # a process before this one with the same id
        if self.server.listen(str(address)):
            self.address = address
        else:
            log.warning("visit lock will not reach this window: %s", self.server.errorString())

    def _connected(self) -> None:
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _read(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll().data()).startswith(LOCK_REQUEST.strip()):
            self.lock_requested.emit()
            conn.write(LOCKED)
            conn.flush()
        conn.disconnectFromServer()

    def close(self) -> None:
        self.server.close()  # (removes the socket file)
        if self.address is not None:
            self.address.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # (another window of these folders still open)
                self.address.parent.rmdir()
            self.address = None


class _Wanted:
    """A passphrase another thread waits for: answered on the GUI thread, or given up."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: str | None = None
        self.given_up = False


class _GuiAsker(QObject):
    """Asks for the passphrase on the GUI thread, whichever thread wants a key. The app gets
    keys on the GUI thread before it hands work to a worker, but for a visit new here (its key
    is made as its kit is read); another thread waits ``WORKER_WAIT_S`` at most (the GUI
    thread might be waiting for it) and then stays locked (``PassphraseNeeded``'s sentence),
    never hangs for ever."""

    wanted = Signal(object, object)

    def __init__(self, host: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self.host = host
        self.wanted.connect(self._ask, Qt.ConnectionType.QueuedConnection)

    def __call__(self, request: PassphraseRequest) -> str | None:
        given = os.environ.get(keys.PASSPHRASE_ENV)
        if given and not request.retry:  # a script's (and the tests'): a wrong one is asked for
            return given
        if QThread.currentThread() is self.thread():
            return self.ask(request)
        wanted = _Wanted()
        self.wanted.emit(request, wanted)
        if not wanted.done.wait(WORKER_WAIT_S):
            wanted.given_up = True
            log.warning("a passphrase wanted on %s was not answered", QThread.currentThread())
        return wanted.answer

    @Slot(object, object)
    def _ask(self, request: PassphraseRequest, wanted: _Wanted) -> None:
        if not wanted.given_up:
            wanted.answer = self.ask(request)
        wanted.done.set()

    def ask(self, request: PassphraseRequest) -> str | None:
        from ui.dialogs.passphrase import PassphraseDialog  # noqa: PLC0415 (seldom needed)

        return PassphraseDialog.ask(self.host(), request)


_asker: list[_GuiAsker] = []


def install_passphrase_dialog(host: Callable[[], QWidget | None]) -> None:
    """From now on this process asks for a passphrase with the dialog, over ``host()`` (the
    window showing then). Called on the GUI thread, at the window's start-up."""
    app = QCoreApplication.instance()
    assert app is not None and QThread.currentThread() is app.thread(), "on the GUI thread"
    _asker[:] = [_GuiAsker(host)]
    keys.set_passphrase_asker(_asker[0])
