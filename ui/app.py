"""Starting the desktop app: the QApplication, then the visit to open, then its window.

``choose_start`` decides what to open (a pure function, tested alone); ``AppController`` owns the
one top-level window at a time: the start screen, the reviewer's window for the open visit, or,
locked (issue 19), the lock screen.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from reviewer_app import __version__
from reviewer_app.app import keys
from reviewer_app.app.errors import is_user_error
from reviewer_app.app.paths import RESOURCES, AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.demo.kits import prepare_demo
from reviewer_app.visit.outside import remove_outside_copies
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import forget_staging, workspace_exists
from ui.errors import report_error
from ui.lock import IdleWatch, LockListener, LockScreen, install_passphrase_dialog
from ui.visit_opener import VisitOpener
from ui.windows import (
    AFTER_FIRST_PAINT_MS,
    flush_settings,
    save_settings_soon,
    start_saving,
    stop_saving,
)

__all__ = [
    "AppController",
    "Start",
    "application",
    "can_end_quickly",
    "choose_start",
    "prepare_demo",
    "run_app",
]

if TYPE_CHECKING:
    from ui.main_window import ReviewerWindow
    from ui.start_screen import StartScreen

log = logging.getLogger(__name__)

APP_ICON = RESOURCES / "icons" / "reviewer-app.svg"
# Going straight into a visit, the start screen shows only if opening takes longer than this.
START_SCREEN_AFTER_MS = 400
DIALOG_POLL_MS = 10  # locking waits for a closed dialog's entry to reach the session...
LOCK_WAIT_MS = 2000  # ...this long at most
LISTEN_AFTER_MS = 1000  # `visit lock` reaches the window once it is up (QtNetwork loads then)
NEXT_TURN_MS = 1  # the visit's window is built, placed and shown at four turns of the loop
ONE_TURN_UP_TO = 150  # standards: a smaller visit's window is built, placed and shown at once


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication: system font and palette as they are, crisp on high-DPI screens."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    # Qt's raster engine hands each large fill to a thread pool and waits for it. For a
    # window's worth of widgets the hand-off costs more than the fill: on a 2-core laptop a
    # repaint of the reviewer's window took 7-8 ms with the pool and 1.6 ms without
    # (bench/startup.py). Qt's own switch turns the pool off; a value already set is kept.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Reviewer App")
    app.setApplicationDisplayName("Reviewer App")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Reviewer App")
    app.setDesktopFileName("reviewer-app")
    if APP_ICON.is_file():
        app.setWindowIcon(QIcon(str(APP_ICON)))
    return app


@dataclass(frozen=True, slots=True)
class Start:
    """What to do at start-up: ``kind`` is "demo", "kit", "visit" or "start_screen"."""

    kind: str
    kit: Path | None = None
    visit_id: str = ""


def choose_start(
    paths: AppPaths,
    settings: Settings,
    *,
    demo: bool,
    kit: Path | None = None,
    visit_id: str | None = None,
) -> Start:
    """The command line wins (a kit, then a visit, then --demo); else the visit open last time
    (so after a crash or a power cut the app comes back to it); else the start screen."""
    if kit is not None:
        return Start("kit", kit=kit)
    if visit_id:
        return Start("visit", visit_id=visit_id)
    if demo:
        return Start("demo")
    last = settings.get("last_visit_id")
    if last and workspace_exists(paths, last):
        return Start("visit", visit_id=last)
    return Start("start_screen")


def _main_window(session: VisitSession, paths: AppPaths) -> ReviewerWindow:
    """The reviewer's window for a loaded session (imported here: it is the heavy part).

    Built without going back to the reviewer's place: ``AppController`` does that at the next
    turn of the event loop, just before showing it, so that no one turn keeps the UI busy long.
    """
    from ui.main_window import ReviewerWindow  # noqa: PLC0415

    return ReviewerWindow(session, paths, restore_position=False)


def can_end_quickly() -> bool:
    """After the window: may the process end without shutting Qt down (``cli.run``)? Not
    while the app owns the clipboard: as Qt shuts down it hands what was copied to the
    desktop's clipboard manager, so that a copied requirement outlives the app."""
    if QGuiApplication.instance() is None:
        return True
    clipboard = QGuiApplication.clipboard()
    return not (clipboard.ownsClipboard() or clipboard.ownsSelection())


def settle_layout() -> None:
    """Lay out a window just shown before it first paints, not after.

    Showing a window posts layout requests (word-wrapped labels need a second pass once their
    widths are known); left to the event loop they may run after the first paint, which then
    has to be done again where things moved. Sending them now, a pass or two until nothing
    moves, gives the first paint the final layout.
    """
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def _preload_main_window() -> None:
    """Import the reviewer's window ahead of need, while a visit is still being opened on a
    worker: then the UI thread does not stall on the import the moment the session arrives."""
    import ui.main_window  # noqa: F401, PLC0415


class AppController(QObject):
    """One top-level window at a time: the start screen, or the open visit's window."""

    window_shown = Signal(object)  # the ReviewerWindow, once a visit is open
    locked = Signal(object)  # the LockScreen, once the app is locked

    def __init__(self, paths: AppPaths, *, demo: bool = False) -> None:
        super().__init__()
        self.paths = paths
        self.demo = demo
        self.settings = Settings.shared(paths)
        start_saving()
        # The start screen is built (and its module imported) only when it is needed: going
        # straight into a visit, it usually never is. Its dialogs come from this opener.
        self.opener = VisitOpener(paths, demo=demo, host=lambda: self.start_screen)
        self.opener.opened.connect(self._visit_opened)
        self.opener.kit_opened.connect(self._kit_opened)
        self._start_screen: StartScreen | None = None
        self._shut_down = False
        self.window: QWidget | None = None
        self.session: VisitSession | None = None
        # At the first turn of the event loop, after the start screen is shown.
        QTimer.singleShot(0, _preload_main_window)
        # Locking (issue 19): the passphrase asked for in a dialog, on the GUI thread; Lock,
        # the idle time, and `reviewer-app visit lock` from a terminal.
        install_passphrase_dialog(lambda: self.window or self._start_screen)
        self.lock_screen: LockScreen | None = None
        self._resume: tuple[str, str, str] = ("start", "", "")  # what Unlock opens again
        self._unlocking = False
        self._locking = False  # waiting for a dialog's entry to be saved
        self.idle_watch = IdleWatch(paths, self)
        self.idle_watch.idle.connect(self.lock)
        self._watching_input = False  # (from the first window on: ``_watch_input``)
        self.idle_watch.start()
        self.listener: LockListener | None = None
        QTimer.singleShot(LISTEN_AFTER_MS, self, self.listen)

    @property
    def start_screen(self) -> StartScreen:
        """The start screen, built the first time it is wanted (it shares the app's opener)."""
        if self._start_screen is None:
            from ui.start_screen import StartScreen  # noqa: PLC0415 (see above)

            screen = StartScreen(self.paths, demo=self.demo, opener=self.opener)
            screen.staff_requested.connect(self.show_staff)
            recent = self.settings.get("recent_kits")
            if recent:
                screen.kit_folder = Path(recent[0]).parent
            self._start_screen = screen
        return self._start_screen

    def start(self, *, kit: Path | None = None, visit_id: str | None = None) -> Start:
        """Begin what ``choose_start`` decided: the start screen shows at once, unless the app
        goes straight into a visit: then only if opening it takes a while or does not work."""
        forget_staging(self.paths)
        plan = choose_start(self.paths, self.settings, demo=self.demo, kit=kit, visit_id=visit_id)
        if plan.kind in ("visit", "demo"):
            self.opener.busy.connect(self._opening)
            QTimer.singleShot(START_SCREEN_AFTER_MS, self, self._still_opening)
        else:
            self._show_start_screen()
        if plan.kind == "kit" and plan.kit is not None:
            self.opener.open_kit(plan.kit)
        elif plan.kind == "visit":
            self.opener.open_visit(plan.visit_id)
        elif plan.kind == "demo":
            self.opener.open_demo()
        return plan

    def show_staff(self) -> None:
        """Programme staff's window (``ui/staff``) in place of the start screen."""
        from ui.staff.window import StaffWindow  # noqa: PLC0415 (only staff need it)

        window = StaffWindow(self.paths)
        window.back_requested.connect(self.show_start_screen)
        old, self.window = self.window, window
        window.show()  # first: closing the last visible window would end the app
        if old is not None:
            old.close()
        self._close_session()
        settle_layout()
        if self._start_screen is not None:
            self._start_screen.hide()
        self._unlocked()
        _started()
        self._watch_input(window)
        self.window_shown.emit(window)

    def show_start_screen(self) -> None:
        """Close the open visit (the window saves as it goes) and go back to the start screen.

        A visit closed on purpose is not reopened at the next start.
        """
        # The start screen shows first: closing the last visible window would end the app.
        self._show_start_screen()
        self.start_screen.raise_()
        self.start_screen.activateWindow()
        window, self.window = self.window, None
        if window is not None:
            window.close()
            window.deleteLater()
        self._close_session()
        self._save_setting("last_visit_id", "")

    def _opening(self, doing: str) -> None:
        """Going straight into a visit: the start screen shows if the opener stops (a problem
        to report, a backup to choose) before there is a window."""
        if not doing and self.window is None and not self._shut_down:
            self._show_start_screen()

    def _still_opening(self) -> None:
        if self.window is None and not self._shut_down:
            self._show_start_screen()  # says what is under way

    def _show_start_screen(self) -> None:
        self.start_screen.show()
        _started()
        self._watch_input(self.start_screen)

    def _watch_input(self, window: QWidget) -> None:
        """Input to this window restarts the idle time, and so does input to any other that
        gets the focus from now on (a dialog, the evidence viewer): ``IdleWatch.watch``."""
        self.idle_watch.watch(window.windowHandle())
        app = QGuiApplication.instance()
        if not self._watching_input and isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self.idle_watch.watch)
            self._watching_input = True

    def _visit_opened(self, session: VisitSession) -> None:
        """Build the visit's window now, its standard's page and menus at the next turn of
        the event loop, go back to the reviewer's place in it at the one after, and show it at
        the next (its first paint follows at once): each a short stall, instead of one long
        one. A small visit's window takes a few milliseconds for all of it, done at once
        (``ONE_TURN_UP_TO``)."""
        if self._shut_down:  # opened after the app closed (a slow disk): nothing to show it in
            session.close()
            return
        if self.lock_screen is not None and not self._unlocking:
            # Locked while it was being opened: it stays closed, its key put away with the rest.
            visit = session.data.visit
            self._resume = ("visit", visit.visit_id, visit.title)
            session.close()
            keys.lock()
            return
        try:
            window = _main_window(session, self.paths)
        except Exception as exc:  # a fault of ours: said once, politely; the start screen stays
            self._window_failed(session, exc)
            return
        old, self.window = self.window, window
        if old is not None and old is not self.lock_screen:  # (that one closes once this shows)
            old.close()
        self._close_session()
        self.session = session
        window.close_visit_requested.connect(self.show_start_screen)
        window.lock_requested.connect(self.lock)
        window.idle_changed.connect(self.idle_watch.start)
        window.on_kit_from_service(self.opener.open_kit)  # a kit the service sent
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._then(window, session, lambda: self._build_window(window, session))

    def _then(self, window: QWidget, session: VisitSession, step: Callable[[], None]) -> None:
        """The next step: now for a small visit (a few milliseconds each), else at the next
        turn of the event loop."""
        if len(session.data.standards) <= ONE_TURN_UP_TO:
            step()
        else:
            self._next_turn(window, step)

    def _next_turn(self, window: QWidget, step: Callable[[], None]) -> None:
        # A timer, not a posted call: singleShot(0) would run in the same pass through the posted
        # events, before any timer that is due, so the event loop would not turn in between.
        QTimer.singleShot(NEXT_TURN_MS, window, step)

    def _build_window(self, window: ReviewerWindow, session: VisitSession) -> None:
        """The standard's page and the menus: a turn of their own (a big visit's page took
        20-30 ms, which made the next step's turn the UI's longest while a kit opened)."""
        self._window_step(
            window, session, window.finish_building, lambda: self._place_window(window, session)
        )

    def _place_window(self, window: ReviewerWindow, session: VisitSession) -> None:
        self._window_step(
            window, session, window.restore_position, lambda: self._show_window(window, session)
        )

    def _window_step(
        self,
        window: ReviewerWindow,
        session: VisitSession,
        step: Callable[[], object],
        then: Callable[[], None],
    ) -> None:
        """``step`` of making ``window`` (still the one to show), then ``then`` at a later turn;
        a step that fails drops the window, as when it fails to build."""
        if window is not self.window:
            return  # replaced or closed meanwhile
        try:
            step()
        except Exception as exc:
            self._drop_window(window, session, exc)
            return
        self._then(window, session, then)

    def _drop_window(self, window: ReviewerWindow, session: VisitSession, exc: Exception) -> None:
        self.window, self.session = None, None
        window.close()
        window.deleteLater()
        self._window_failed(session, exc)

    def _show_window(self, window: ReviewerWindow, session: VisitSession) -> None:
        if window is not self.window:
            return
        window.show()
        settle_layout()
        self._unlocked()
        _started()
        self._watch_input(window)
        self._save_setting("last_visit_id", session.data.visit.visit_id)
        self.window_shown.emit(window)
        if self._start_screen is not None and self._start_screen.isVisible():
            # Put away once the window has painted over it (hiding it took some 6 ms).
            QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, lambda: self._put_away_start(window))
        QTimer.singleShot(AFTER_FIRST_PAINT_MS, window, lambda: self._after_first_paint(window))

    def _put_away_start(self, window: QWidget) -> None:
        screen = self._start_screen
        if screen is not None and window is self.window:  # (not shown again meanwhile)
            # Closed, not hidden: with the window closed meanwhile, this is the app's last
            # window closed, and the app ends.
            screen.close()

    def _after_first_paint(self, window: ReviewerWindow) -> None:
        """What the reviewer need not wait for: what a re-issued kit changed (shown once)."""
        if window is not self.window or self.session is None:
            return  # closed or replaced meanwhile
        from ui.kit_changes import show_kit_changes_once  # noqa: PLC0415 (not needed before)

        show_kit_changes_once(window, self.session)

    def _window_failed(self, session: VisitSession, exc: Exception) -> None:
        session.close()
        if self.start_screen.isVisible():
            self.start_screen.refresh()  # the visit may be new on this laptop
        else:
            self._show_start_screen()  # (showing it reads the list again)
        self._unlocked()
        report_error(self.start_screen, exc, "show the visit")

    def _kit_opened(self, kit: Any) -> None:
        self.settings.remember_kit(Path(kit).resolve())
        self._save()

    # -- locking (issue 19) -------------------------------------------------------------------

    def listen(self) -> LockListener:
        """Listen for `reviewer-app visit lock` (once)."""
        if self.listener is None:
            self.listener = LockListener(self.paths, self)
            self.listener.lock_requested.connect(self.lock)
        return self.listener

    def lock(self) -> None:
        """Visit > Lock, Ctrl+L, the idle time or `visit lock`: what is being typed is saved,
        the visit closed (its storage worker and files), every key dropped from memory, and
        the lock screen shown in the window's place, with nothing of the visit on it.

        A dialog open (a note being written) is closed first: a recording dialog with a
        complete entry is accepted, so its entry is saved; the lock follows once its caller
        has handed the entry to the session (after the dialog's own event loop has ended)."""
        if self._shut_down or self.lock_screen is not None or self._locking:
            return
        if _finish_dialogs():
            self._locking = True
            # Called inside a dialog's own event loop (a modal dialog's exec), the entry reaches
            # the session once that loop has ended and its caller has gone on: wait for that.
            level = QThread.currentThread().loopLevel()
            self._lock_after_dialogs(level, LOCK_WAIT_MS // DIALOG_POLL_MS)
            return
        self._lock_now()

    def _lock_after_dialogs(self, level: int, tries: int) -> None:
        def again() -> None:
            ended = QThread.currentThread().loopLevel() < level or level <= 1
            if (not ended or QApplication.activeModalWidget() is not None) and tries > 0:
                _finish_dialogs()  # (one the caller opened after: a question)
                self._lock_after_dialogs(level, tries - 1)
                return
            self._locking = False
            self._lock_now()

        QTimer.singleShot(DIALOG_POLL_MS, self, again)

    def _lock_now(self) -> None:
        if self._shut_down or self.lock_screen is not None:
            return
        window, session = self.window, self.session
        if session is not None:
            visit = session.data.visit
            self._resume = ("visit", visit.visit_id, visit.title)
            what = "The visit"  # (its title is visit content: not shown while locked)
        elif window is not None:
            self._resume = ("staff", "", "")
            what = "Programme staff's window"
        else:
            self._resume = ("start", "", "")
            what = "Everything open"
        shown = window if window is not None else self._start_screen
        screen = LockScreen(what, shown.geometry() if shown is not None else None)
        screen.unlock_requested.connect(self.unlock)
        self.lock_screen, self.window = screen, screen
        screen.show()  # first: closing the last visible window would end the app
        if window is not None:
            window.close()  # (the reviewer's window saves the reason being typed as it closes)
        self._close_session()
        if window is not None:
            # What the worker answered (the reason saved) reaches the window before it goes:
            # its page still refreshes itself once more on a zero-time timer.
            QCoreApplication.sendPostedEvents()
            QTimer.singleShot(0, window.deleteLater)
        for other in QApplication.topLevelWidgets():  # the visit's other windows and dialogs
            if other is not screen and other.isVisible():
                other.close()
        keys.lock()
        remove_outside_copies(self.paths)  # what the system's viewers were handed
        self.idle_watch.stop()
        screen.activateWindow()
        self.locked.emit(screen)

    def unlock(self) -> None:
        """Open again what was open, where the reviewer was: the key comes from the password
        store, or the passphrase is asked for; refused, the lock screen says why."""
        screen = self.lock_screen
        if screen is None or self._unlocking:
            return
        kind, visit_id, title = self._resume
        if kind == "staff":
            self.show_staff()
            return
        if kind == "start":
            self.show_start_screen()
            self._unlocked()
            return
        try:  # here, on the GUI thread, where the passphrase can be asked for
            keys.visit_key(self.paths, visit_id)
        except Exception as exc:  # a wrong or cancelled passphrase: said on the lock screen
            if not is_user_error(exc):
                report_error(screen, exc, "unlock")
            screen.still_locked(str(exc) if is_user_error(exc) else "Try Unlock again.")
            return
        self._unlocking = True
        self.opener.busy.connect(self._unlock_busy)
        if not self.opener.open_visit(visit_id, title):
            self._unlock_busy("")

    def _unlock_busy(self, doing: str) -> None:
        """Opening again ended: with the window shown (``_unlocked``), or refused (said in a
        message by the opener): then the lock screen stays."""
        if doing or not self._unlocking:
            return
        self.opener.busy.disconnect(self._unlock_busy)
        self._unlocking = False
        if self.lock_screen is not None and self.window is self.lock_screen:
            self.lock_screen.still_locked("The visit could not be opened again; try Unlock again.")

    def _unlocked(self) -> None:
        """A window is shown in the lock screen's place (or none was locked)."""
        screen, self.lock_screen = self.lock_screen, None
        if self._unlocking:
            self._unlocking = False
            self.opener.busy.disconnect(self._unlock_busy)
        if screen is not None:
            screen.close()
            screen.deleteLater()
            self.idle_watch.start()

    def _close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.close()

    def _save_setting(self, name: str, value: Any) -> None:
        self.settings.set(name, value)
        self._save()

    def _save(self) -> None:
        """Write the settings off the UI thread (the app's one settings writer)."""
        save_settings_soon(self.settings)

    def flush(self) -> None:
        """Wait until the settings asked for so far are on disk (one writer: they run in order)."""
        flush_settings()

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        self.idle_watch.stop()
        app = QGuiApplication.instance()
        if self._watching_input and isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self.idle_watch.watch)
            self._watching_input = False
        if self.listener is not None:
            self.listener.close()
        if self.lock_screen is not None:
            self.lock_screen.close()
        keys.set_passphrase_asker(None)  # nobody to show the dialog any more
        if self.window is not None:
            self.window.close()
            self.window = None
        self._close_session()
        if self._start_screen is not None:
            self._start_screen.close()
        self.opener.close()
        remove_outside_copies(self.paths)  # what the system's viewers were handed
        stop_saving()


def run_app(
    paths: AppPaths,
    *,
    demo: bool,
    kit: Path | None = None,
    visit_id: str | None = None,
    staff: bool = False,
) -> int:
    """Open the window (the start screen, or straight into a visit) and run until it closes."""
    # Start-up makes many objects and frees few: the cyclic garbage collector would run again
    # and again for nothing. It comes back on once the first window shows (``_started``).
    gc.disable()
    try:
        app = application()
        controller = AppController(paths, demo=demo)
    except BaseException:
        _started()
        raise
    try:
        if staff:  # `reviewer-app staff`: straight to programme staff's window
            forget_staging(paths)
            controller.show_staff()
        else:
            controller.start(kit=kit, visit_id=visit_id)
        return app.exec()
    finally:
        _started()
        controller.shutdown()


def _finish_dialogs() -> bool:
    """Close every modal dialog showing: one that holds a complete entry (a recording dialog:
    ``has_changes()`` and no ``problem()``) is accepted, the others rejected without a
    question. True when there was one."""
    found = False
    for widget in QApplication.topLevelWidgets():
        if not (isinstance(widget, QDialog) and widget.isVisible() and widget.isModal()):
            continue
        found = True
        has_changes = getattr(widget, "has_changes", None)
        problem = getattr(widget, "problem", None)
        if callable(has_changes) and callable(problem) and has_changes() and not problem():
            widget.accept()
        else:
            widget.done(QDialog.DialogCode.Rejected)
    return found


def _started() -> None:
    """The first window is up: collect garbage again, leaving what start-up made alone."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
