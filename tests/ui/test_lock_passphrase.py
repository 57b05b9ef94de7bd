"""The passphrase dialog (issue 19), on a laptop with no password store (keyring): chosen once,
typed twice; asked for again after the window locks; a wrong one said so, a cancelled one
leaving the visit locked with a sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import keyring
import keyring.backends.fail
import pytest
from helpers import WAIT, Screenshot
from PySide6.QtCore import Qt, QThread, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_accessibility import unnamed

from reviewer_app.app.keys import PASSPHRASE_ENV, visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import demo_visit
from storage import visit_keys
from ui.app import AppController
from ui.dialogs.passphrase import DIFFER, WRONG, PassphraseDialog
from ui.lock import LockScreen
from ui.main_window import ReviewerWindow

CHOSEN = "correct horse battery"
Step = Callable[[PassphraseDialog], None]


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a laptop with no password store, and nobody giving a passphrase in the
    environment: the dialog is the only way (the keyring is put back by tests/conftest.py)."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr(visit_keys, "SCRYPT_N", 2**10)  # (the file records it)


@pytest.fixture
def controller(qtbot: QtBot, paths: AppPaths, no_keyring: None) -> Iterator[AppController]:
    c = AppController(paths, demo=True)
    qtbot.addWidget(c.start_screen)
    yield c
    c.shutdown()


class Answers:
    """Answers each passphrase dialog as it shows, with the next step; records what it said."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.seen: list[PassphraseDialog] = []
        self.problems: list[str] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self._look)
        self.timer.start(20)

    def _look(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PassphraseDialog) or dialog in self.seen:
            return
        if not dialog.isVisible() or not dialog.passphrase.hasFocus():
            return  # (not yet where a person would start typing)
        self.seen.append(dialog)
        self.problems.append(", ".join(unnamed(dialog)))
        self.steps.pop(0)(dialog)

    def done(self) -> bool:
        return not self.steps


def type_in(qtbot: QtBot, dialog: PassphraseDialog, first: str, again: str | None = None) -> None:
    qtbot.keyClicks(dialog.passphrase, first)
    if again is not None:
        assert dialog.again is not None
        dialog.again.setFocus()
        qtbot.keyClicks(dialog.again, again)


def enter(qtbot: QtBot, dialog: PassphraseDialog) -> None:
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)


def test_a_new_passphrase_typed_twice_a_mismatch_refused_then_a_wrong_one_after_locking(
    qtbot: QtBot, controller: AppController, paths: AppPaths
) -> None:
    said: dict[str, str] = {}

    def choose(dialog: PassphraseDialog) -> None:
        assert dialog.request.new and not dialog.wrong.isVisible()
        assert dialog.windowTitle() == "Choose a passphrase"
        said["about"] = dialog.about.text()
        said["way back"] = dialog.way_back.text()
        type_in(qtbot, dialog, CHOSEN, CHOSEN[:-1] + "X")
        said["mismatch"] = dialog.hint.text()
        enabled = dialog.ok_button.isEnabled()
        enter(qtbot, dialog)  # refused: the two differ
        said["still open"] = str(dialog.isVisible() and not enabled)
        dialog.again.clear()  # type: ignore[union-attr]
        qtbot.keyClicks(dialog.again, CHOSEN)
        enter(qtbot, dialog)

    answers = Answers([choose])
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT) as shown:
        controller.start()
    assert answers.done() and answers.problems == [""]  # every control has a name
    assert "every visit on this laptop that has no password store" in said["about"]
    assert "opened again from its kit and the team's bundles" in said["way back"]
    assert said["mismatch"] == DIFFER and said["still open"] == "True"
    window = shown.args[0]
    assert isinstance(window, ReviewerWindow)
    visit_id = demo_visit().visit_id
    assert visit_keys.key_file(paths.visit_folder(visit_id)).exists()  # wrapped, beside it
    window.go_to("HN-104")

    with qtbot.waitSignal(controller.locked, timeout=WAIT) as locked:
        controller.lock()
    screen = locked.args[0]
    assert isinstance(screen, LockScreen)
    assert visit_keys.is_locked()

    def wrong(dialog: PassphraseDialog) -> None:
        said["asked"] = dialog.windowTitle()
        assert dialog.again is None and not dialog.wrong.isVisible()
        type_in(qtbot, dialog, "correct horse battery staple")
        enter(qtbot, dialog)

    def right(dialog: PassphraseDialog) -> None:
        said["retry"] = dialog.wrong.text() if dialog.wrong.isVisible() else ""
        type_in(qtbot, dialog, CHOSEN)
        enter(qtbot, dialog)

    answers = Answers([wrong, right])
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT) as shown:
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert answers.done() and answers.problems == ["", ""]
    assert said["asked"] == "Passphrase" and said["retry"] == WRONG
    again = shown.args[0]
    assert isinstance(again, ReviewerWindow) and again.page.ref == "HN-104"


def test_unlock_cancelled_stays_locked_and_says_why(
    qtbot: QtBot, controller: AppController
) -> None:
    def choose(dialog: PassphraseDialog) -> None:
        type_in(qtbot, dialog, CHOSEN, CHOSEN)
        enter(qtbot, dialog)

    answers = Answers([choose])
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT):
        controller.start()
    assert answers.done()
    with qtbot.waitSignal(controller.locked, timeout=WAIT) as locked:
        controller.lock()
    screen = locked.args[0]

    def cancel(dialog: PassphraseDialog) -> None:
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Escape)

    answers = Answers([cancel])
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert answers.done()
    assert controller.window is screen and screen.isVisible()
    assert screen.problem.isVisible()
    visit_id = demo_visit().visit_id
    assert screen.problem.text() == (
        f"Visit {visit_id} stays locked: it needs its passphrase to be opened."
    )
    assert visit_keys.is_locked()


def test_the_dialog_for_a_new_passphrase_as_a_person_sees_it(
    qtbot: QtBot, screenshot: Screenshot
) -> None:
    dialog = PassphraseDialog(None, visit_keys.PassphraseRequest("v-2026-001", new=True))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.passphrase.hasFocus, timeout=WAIT)
    assert unnamed(dialog) == []
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == "Type the passphrase."
    qtbot.keyClicks(dialog.passphrase, "short")
    assert dialog.hint.text() == "Choose a passphrase of at least 8 characters."
    screenshot(dialog, "passphrase_new.png")
    asked_again = visit_keys.PassphraseRequest("v-2026-001", new=False, retry=True)
    retry = PassphraseDialog(None, asked_again)
    qtbot.addWidget(retry)
    retry.show()
    qtbot.waitExposed(retry)
    assert retry.wrong.isVisible() and retry.wrong.text() == WRONG
    screenshot(retry, "passphrase_wrong.png")
    with qtbot.waitSignal(retry.rejected, timeout=WAIT):
        qtbot.keyClick(retry.passphrase, Qt.Key.Key_Escape)  # no "Discard?" question


def test_a_key_wanted_on_another_thread_is_asked_for_on_the_gui_thread(
    qtbot: QtBot, controller: AppController, paths: AppPaths
) -> None:
    def choose(dialog: PassphraseDialog) -> None:
        type_in(qtbot, dialog, CHOSEN, CHOSEN)
        enter(qtbot, dialog)

    answers = Answers([choose])
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT):
        controller.start()
    assert answers.done()
    with qtbot.waitSignal(controller.locked, timeout=WAIT):
        controller.lock()

    def right(dialog: PassphraseDialog) -> None:
        assert QThread.currentThread() is QApplication.instance().thread()  # type: ignore[union-attr]
        type_in(qtbot, dialog, CHOSEN)
        enter(qtbot, dialog)

    answers = Answers([right])
    with ThreadPoolExecutor(max_workers=1) as worker:
        wanted = worker.submit(visit_key, paths, demo_visit().visit_id)
        qtbot.waitUntil(wanted.done, timeout=WAIT)
    assert answers.done() and len(wanted.result()) == 32
