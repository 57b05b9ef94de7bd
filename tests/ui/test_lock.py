"""Locking the window (issue 19): Visit > Lock (Ctrl+L), the idle time, and `reviewer-app visit
lock` from a terminal close the visit, drop every key from memory and show the lock screen with
nothing of the visit on it; Unlock opens it again at the same standard, nothing typed lost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from helpers import WAIT, Screenshot, settle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from test_accessibility import unnamed

from reviewer_app.app.cli import lock_listener_folder, main
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.visit.model import NOT_MET
from reviewer_app.visit.outside import outside_copy, outside_folder
from storage import visit_keys
from ui.app import AppController
from ui.lock import LockScreen
from ui.main_window import ReviewerWindow

REASON = "Rota pinned up on ward 7B but not signed off"


@pytest.fixture
def controller(qtbot: QtBot, paths: AppPaths) -> Iterator[AppController]:
    c = AppController(paths, demo=True)
    qtbot.addWidget(c.start_screen)
    yield c
    c.shutdown()


def opened(qtbot: QtBot, c: AppController) -> ReviewerWindow:
    with qtbot.waitSignal(c.window_shown, timeout=WAIT) as shown:
        c.start()
    window = shown.args[0]
    assert isinstance(window, ReviewerWindow)
    qtbot.waitExposed(window)
    return window


def judged_with_reason(qtbot: QtBot, window: ReviewerWindow) -> None:
    """HN-102 judged Not met with ``REASON``, saved; the reviewer then on HN-103."""
    window.go_to("HN-102")
    window.judge(NOT_MET)
    window.page.focus_reason()
    qtbot.keyClicks(window.page.judgement.reason, REASON)
    window.go_to("HN-103")
    settle(qtbot, window)
    assert window.session.data.judgement("HN-102", "shc").reason == REASON


def texts_shown() -> str:
    """Every text a person could see in the app's windows now."""
    seen: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        seen.append(top.windowTitle())
        for w in [top, *top.findChildren(QWidget)]:
            if not w.isVisible():
                continue
            if isinstance(w, QLabel | QAbstractButton | QLineEdit):
                seen.append(w.text())
            elif isinstance(w, QPlainTextEdit | QTextEdit):
                seen.append(w.toPlainText())
            elif isinstance(w, QAbstractItemView) and w.model() is not None:
                model = w.model()
                seen.extend(
                    str(model.index(r, 0, w.rootIndex()).data()) for r in range(model.rowCount())
                )
    return "\n".join(seen)


def locked(qtbot: QtBot, c: AppController, do: object) -> LockScreen:
    with qtbot.waitSignal(c.locked, timeout=WAIT) as blocker:
        do()  # type: ignore[operator]
    screen = blocker.args[0]
    assert isinstance(screen, LockScreen)
    qtbot.waitExposed(screen)
    return screen


def unlocked(qtbot: QtBot, c: AppController, screen: LockScreen) -> ReviewerWindow:
    with qtbot.waitSignal(c.window_shown, timeout=WAIT) as shown:
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    window = shown.args[0]
    assert isinstance(window, ReviewerWindow)
    return window


def test_ctrl_l_locks_with_nothing_of_the_visit_shown_and_unlock_returns_to_the_standard(
    qtbot: QtBot, controller: AppController, screenshot: Screenshot
) -> None:
    window = opened(qtbot, controller)
    judged_with_reason(qtbot, window)
    window.page.judgement.reason.setFocus()  # (showing HN-103: no reason in it)
    session = window.session
    title = session.data.visit.title
    assert not visit_keys.is_locked()

    screen = locked(
        qtbot,
        controller,
        lambda: qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier),
    )
    assert visit_keys.is_locked()
    assert session.closed  # its storage worker and workspace closed
    assert controller.window is screen and controller.session is None
    assert not any(
        isinstance(w, ReviewerWindow) and w.isVisible() for w in QApplication.topLevelWidgets()
    )
    shown = texts_shown()
    assert REASON not in shown and "HN-10" not in shown and title not in shown
    assert "Reviewer App is locked" in shown
    qtbot.waitUntil(screen.unlock_button.hasFocus, timeout=WAIT)  # Enter or Space unlocks
    assert unnamed(screen) == []
    screenshot(screen, "lock_screen.png")

    with qtbot.waitSignal(controller.window_shown, timeout=WAIT) as shown:
        qtbot.keyClick(screen.unlock_button, Qt.Key.Key_Return)
    again = shown.args[0]
    assert isinstance(again, ReviewerWindow)
    assert again.page.ref == "HN-103"  # the same standard
    assert again.session.data.judgement("HN-102", "shc").reason == REASON
    assert not visit_keys.is_locked()
    assert controller.lock_screen is None and not screen.isVisible()
    # Lock is in the Visit menu too, with its key.
    action = again.findChild(type(again.undo_action), "action_lock")
    assert action is not None and action.shortcut().toString() == "Ctrl+L"


def test_a_reason_being_typed_when_the_window_locks_is_saved(
    qtbot: QtBot, controller: AppController
) -> None:
    window = opened(qtbot, controller)
    window.go_to("HN-102")
    window.judge(NOT_MET)
    window.page.focus_reason()
    qtbot.waitUntil(window.page.judgement.reason.hasFocus, timeout=WAIT)
    qtbot.keyClicks(window.page.judgement.reason, "Half typed when")
    # Locked from the terminal while the reviewer was still typing (no focus-out, no pause).
    screen = locked(qtbot, controller, controller.lock)
    again = unlocked(qtbot, controller, screen)
    assert again.page.ref == "HN-102"
    assert again.session.data.judgement("HN-102", "shc").reason == "Half typed when"
    assert again.page.judgement.reason.toPlainText() == "Half typed when"


def test_the_window_locks_itself_after_the_idle_time(
    qtbot: QtBot, paths: AppPaths, controller: AppController
) -> None:
    window = opened(qtbot, controller)
    settings = Settings.shared(paths)
    assert settings.get("idle_lock_minutes") == 15
    settings.set("idle_lock_minutes", 0.01)  # 0.6 s
    controller.idle_watch.start()
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Down)  # input: counted from here
    screen = locked(qtbot, controller, lambda: None)
    assert visit_keys.is_locked()
    assert not controller.idle_watch.timer.isActive()  # locked: nothing more to count
    settings.set("idle_lock_minutes", 0.0)  # never, from now on
    unlocked(qtbot, controller, screen)
    assert not controller.idle_watch.timer.isActive()


def test_input_to_the_window_or_a_dialog_restarts_the_idle_time(
    qtbot: QtBot, paths: AppPaths, controller: AppController
) -> None:
    """Key presses and clicks as the desktop delivers them (to the window, then to a widget)
    count, in the visit's window and in a dialog shown over it."""
    window = opened(qtbot, controller)
    Settings.shared(paths).set("idle_lock_minutes", 1.0)
    controller.idle_watch.start()
    timer = controller.idle_watch.timer

    def restarted_by(send: Callable[[], None]) -> bool:
        timer.stop()  # (the count is started again by input: it is seen)
        send()
        return timer.isActive()

    handle = window.windowHandle()
    assert handle is not None
    assert restarted_by(lambda: QTest.keyClick(handle, Qt.Key.Key_Down))
    dialog = QDialog(window)
    dialog.setWindowTitle("A note")
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=WAIT)
    dialog_handle = dialog.windowHandle()
    assert restarted_by(lambda: QTest.mouseClick(dialog_handle, Qt.MouseButton.LeftButton))
    dialog.close()


def test_lock_when_idle_is_chosen_in_the_visit_menu(
    qtbot: QtBot, paths: AppPaths, controller: AppController
) -> None:
    window = opened(qtbot, controller)
    assert window.idle_actions[15.0].isChecked()
    window.idle_actions[5.0].trigger()
    assert Settings.shared(paths).get("idle_lock_minutes") == 5
    assert controller.idle_watch.timer.interval() == 5 * 60_000
    window.idle_actions[0.0].trigger()
    assert Settings.shared(paths).get("idle_lock_minutes") == 0
    assert not controller.idle_watch.timer.isActive()


def test_visit_lock_from_a_terminal_reaches_the_open_window(
    qtbot: QtBot, paths: AppPaths, controller: AppController, capsys: pytest.CaptureFixture[str]
) -> None:
    opened(qtbot, controller)
    listener = controller.listen()
    assert listener.address is not None and listener.address.exists()
    # The command runs as its own process; the window answers once it has locked.
    env = {**os.environ, "REVIEWER_APP_HOME": str(paths.data.parent)}
    command = subprocess.Popen(
        [sys.executable, "-m", "reviewer_app", "visit", "lock"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: command.poll() is not None, timeout=WAIT)
    out, err = command.communicate()
    assert (command.returncode, out, err) == (0, "The Reviewer App window is locked.\n", "")
    assert isinstance(controller.window, LockScreen)
    assert visit_keys.is_locked()
    # Once the window has closed, the command says there is nothing to lock.
    controller.shutdown()
    assert not list(lock_listener_folder(paths).glob("*.sock"))
    assert main(["visit", "lock"]) == 0
    assert capsys.readouterr().out == "No Reviewer App window is open; nothing to lock.\n"


def test_visit_lock_removes_what_a_crashed_window_left(
    paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket  # noqa: PLC0415

    folder = lock_listener_folder(paths)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "999999.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(stale))  # bound, never listening: as after a crash
    assert main(["visit", "lock"]) == 0
    assert capsys.readouterr().out == "No Reviewer App window is open; nothing to lock.\n"
    assert not stale.exists()
    stale.parent.rmdir()


def test_programme_staffs_window_and_the_start_screen_lock_and_unlock_too(
    qtbot: QtBot, controller: AppController
) -> None:
    from ui.staff.window import StaffWindow  # noqa: PLC0415

    controller.show_staff()
    assert isinstance(controller.window, StaffWindow)
    screen = locked(qtbot, controller, controller.lock)
    assert visit_keys.is_locked()
    assert not any(
        isinstance(w, StaffWindow) and w.isVisible() for w in QApplication.topLevelWidgets()
    )
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert isinstance(controller.window, StaffWindow) and controller.window.isVisible()
    assert controller.lock_screen is None and not screen.isVisible()

    controller.show_start_screen()
    screen = locked(qtbot, controller, controller.lock)
    assert not controller.start_screen.isVisible()
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert controller.start_screen.isVisible() and controller.lock_screen is None


def test_a_note_being_written_when_the_window_locks_is_saved(
    qtbot: QtBot, controller: AppController
) -> None:
    from ui.dialogs import NoteDialog  # noqa: PLC0415

    note = "Sluice room door propped open at 10:40"
    window = opened(qtbot, controller)
    window.go_to("HN-102")
    writing: list[NoteDialog] = []

    def write_then_lock() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, NoteDialog) or not dialog.text.hasFocus():
            QTimer.singleShot(10, write_then_lock)  # (not shown yet)
            return
        writing.append(dialog)
        qtbot.keyClicks(dialog.text, note)
        controller.lock()  # as the idle time would, with the dialog open

    QTimer.singleShot(0, write_then_lock)
    with qtbot.waitSignal(controller.locked, timeout=WAIT) as blocker:
        window.page.add_note()  # the dialog's own loop runs until the lock closes it
    assert writing and not writing[0].isVisible()
    assert visit_keys.is_locked()
    again = unlocked(qtbot, controller, blocker.args[0])
    assert [n.text for n in again.session.data.notes_for("HN-102")] == [note]


def test_ctrl_l_in_the_evidence_viewer_locks_the_app_and_hides_its_documents(
    qtbot: QtBot, controller: AppController
) -> None:
    """The viewer is a window of its own: Ctrl+L there locks too (it used to filter the
    documents, which moved to Ctrl+Shift+L), and the viewer goes with the visit."""
    window = opened(qtbot, controller)
    window.open_viewer()
    viewer = window.viewer
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    qtbot.keyClick(
        viewer,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(viewer.filter.hasFocus, timeout=WAIT)  # the list's filter: a key of its own
    assert not visit_keys.is_locked()

    screen = locked(
        qtbot,
        controller,
        lambda: qtbot.keyClick(viewer, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier),
    )
    assert visit_keys.is_locked()
    assert controller.window is screen
    assert not viewer.isVisible()
    assert window.session.data.visit.title not in texts_shown()


def test_copies_handed_to_other_programs_go_when_the_app_locks_and_when_it_starts(
    qtbot: QtBot, controller: AppController, paths: AppPaths
) -> None:
    """A report or document opened in the system's viewer is the one plaintext copy the app
    writes (docs/encryption.md): locking removes it, and a start removes what a crash left."""
    window = opened(qtbot, controller)
    copy = outside_copy(paths, "draft-report.pdf", b"%PDF-1.4 the visit's draft")
    locked(qtbot, controller, window.lock_requested.emit)
    assert not copy.exists() and not outside_folder(paths).exists()

    left = outside_copy(paths, "final-report.pdf", b"%PDF-1.4 left by a crash")
    again = AppController(paths, demo=True)
    qtbot.addWidget(again.start_screen)
    try:
        again.start()
        assert not left.exists()
    finally:
        again.shutdown()
