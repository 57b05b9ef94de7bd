"""Starting the app: what opens (demo, kit, visit, last visit, start screen), and coming back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT, message_boxes
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.demo.kits import build_demo_kit, demo_visit, prepare_demo
from ui import app as app_module
from ui.app import APP_ICON, AppController, Start, choose_start
from ui.main_window import ReviewerWindow
from ui.who_am_i import WhoAmIDialog


@pytest.fixture
def controller(qtbot: QtBot, paths: AppPaths) -> Any:
    made: list[AppController] = []

    def make(*, demo: bool = False) -> AppController:
        c = AppController(paths, demo=demo)
        qtbot.addWidget(c.start_screen)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()


def _started(qtbot: QtBot, c: AppController, **start: Any) -> QWidget:
    with qtbot.waitSignal(c.window_shown, timeout=WAIT) as blocker:
        c.start(**start)
    window = blocker.args[0]
    assert isinstance(window, ReviewerWindow)
    return window


# -- the decision, alone ------------------------------------------------------------------------


def test_choose_start(paths: AppPaths, tmp_path: Path) -> None:
    settings = Settings.load(paths)
    kit = tmp_path / "v.rvkit"
    assert choose_start(paths, settings, demo=True, kit=kit, visit_id="x") == Start("kit", kit=kit)
    assert choose_start(paths, settings, demo=True, visit_id="x") == Start("visit", visit_id="x")
    assert choose_start(paths, settings, demo=True) == Start("demo")
    assert choose_start(paths, settings, demo=False) == Start("start_screen")
    settings.set("last_visit_id", "gone")  # its workspace was removed: not reopened
    assert choose_start(paths, settings, demo=False) == Start("start_screen")
    visit_id = prepare_demo(paths)
    settings.set("last_visit_id", visit_id)
    assert choose_start(paths, settings, demo=False) == Start("visit", visit_id=visit_id)
    assert choose_start(paths, settings, demo=True) == Start("demo")  # the command line wins


def test_application_follows_the_system_and_has_an_icon() -> None:
    app = app_module.application()
    assert isinstance(app, QApplication)
    assert APP_ICON.is_file()


# -- the controller, without exec() -------------------------------------------------------------


def test_demo_opens_as_the_lead_and_is_remembered(
    qtbot: QtBot, controller: Any, paths: AppPaths
) -> None:
    c = controller(demo=True)
    window = _started(qtbot, c)
    visit = demo_visit()
    assert c.session is not None and c.session.member_id == visit.lead.member_id  # type: ignore[union-attr]
    assert window.isVisible() and not c.start_screen.isVisible()
    c.flush()
    assert Settings.load(paths).get("last_visit_id") == visit.visit_id


def test_the_last_visit_reopens_straight_away(
    qtbot: QtBot, controller: Any, paths: AppPaths
) -> None:
    visit_id = prepare_demo(paths)
    settings = Settings.load(paths)
    settings.set("last_visit_id", visit_id)
    settings.save()
    c = controller()
    window = _started(qtbot, c)
    assert window.session.data.visit.visit_id == visit_id  # type: ignore[attr-defined]


def test_no_arguments_and_no_last_visit_shows_the_start_screen(
    qtbot: QtBot, controller: Any
) -> None:
    c = controller()
    assert c.start() == Start("start_screen")
    assert c.start_screen.isVisible() and c.window is None


def test_a_kit_on_the_command_line_asks_who_i_am_and_is_remembered(
    qtbot: QtBot,
    controller: Any,
    paths: AppPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit = tmp_path / "demo.rvkit"
    build_demo_kit(kit)
    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(lambda _cls, *_a: "m-comm"))
    c = controller(demo=True)
    _started(qtbot, c, kit=kit)
    assert c.session.member_id == "m-comm"
    c.flush()
    assert Settings.load(paths).get("recent_kits") == [str(kit.resolve())]


def test_a_visit_on_the_command_line_opens(qtbot: QtBot, controller: Any, paths: AppPaths) -> None:
    visit_id = prepare_demo(paths)
    c = controller()
    window = _started(qtbot, c, visit_id=visit_id)
    assert window.session.data.visit.visit_id == visit_id  # type: ignore[attr-defined]


def test_close_visit_comes_back_to_the_start_screen(
    qtbot: QtBot, controller: Any, paths: AppPaths
) -> None:
    c = controller(demo=True)
    window = _started(qtbot, c)
    action = window.findChild(QAction, "action_close_visit")
    assert action is not None
    action.trigger()
    qtbot.waitUntil(lambda: c.start_screen.isVisible() and c.window is None, timeout=WAIT)
    assert not window.isVisible()
    qtbot.waitUntil(lambda: c.start_screen.model.rowCount() == 1, timeout=WAIT)
    c.flush()
    assert Settings.load(paths).get("last_visit_id") == ""  # closed on purpose: not reopened
    # ...and the visit opens again from the list.
    with qtbot.waitSignal(c.window_shown, timeout=WAIT):
        c.start_screen.open_visit(demo_visit().visit_id)
    assert c.window is not None
    # (put away once the window has painted over it)
    qtbot.waitUntil(lambda: not c.start_screen.isVisible(), timeout=WAIT)


def test_a_window_that_fails_to_build_is_reported_and_the_start_screen_stays(
    qtbot: QtBot, controller: Any, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Any, paths: AppPaths) -> QWidget:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(app_module, "_main_window", broken)
    c = controller(demo=True)
    c.start()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT)
    box = message_boxes()[0]
    assert "Something went wrong" in box.text() and "RuntimeError" not in box.text()
    assert c.start_screen.isVisible() and c.window is None and c.session is None
    box.close()


def test_run_app_returns_what_the_event_loop_returns(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QApplication, "exec", lambda _self: 0)
    assert app_module.run_app(paths, demo=False) == 0


# The program as `python -m reviewer_app --demo` runs it, with one addition: once the visit's
# window shows, a judgement is recorded and the window closed, as a reviewer would.
_RUN_AND_CLOSE = """
import runpy, sys
from PySide6.QtCore import QTimer
import ui.app as ui_app

_init = ui_app.AppController.__init__

def shown(window):
    met = window.session.set_judgement("HN-101", window.navigator.component, "met")
    window.bridge.run(met, "judge")
    QTimer.singleShot(50, window.close)

def init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.window_shown.connect(shown)

ui_app.AppController.__init__ = init
sys.argv = ["reviewer-app", "--demo"]
runpy.run_module("reviewer_app", run_name="__main__", alter_sys=True)
"""


def test_the_program_ends_quickly_after_its_window_and_keeps_everything(
    app_home: Path, paths: AppPaths
) -> None:
    """``reviewer_app.app.cli.run`` skips tearing the interpreter down after a window: what was
    saved, the settings and the log are all on disk when the process has ended."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    env = {**os.environ, "REVIEWER_APP_HOME": str(app_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_CLOSE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    visit_id = demo_visit().visit_id
    assert Settings.load(paths).get("last_visit_id") == visit_id  # it reopens there next time
    from reviewer_app.visit.workspaces import open_session  # noqa: PLC0415

    session = open_session(paths, visit_id).result()
    try:
        component = session.data.visit.components[0].id
        assert session.data.judgement("HN-101", component).value == "met"
    finally:
        session.close()
    log = (paths.logs / "reviewer-app.log").read_text(encoding="utf-8")
    assert log.strip(), "the log was flushed before the process ended"


def test_the_program_ends_with_a_thread_pool_nobody_shut_down(app_home: Path) -> None:
    """A pool made at import (as ``reviewer_app.lead.view`` has) keeps an idle worker that no
    one shuts down: the program still ends once its window has closed (it used to wait for
    that worker for ever)."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    made_at_import = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "POOL = ThreadPoolExecutor(1, thread_name_prefix='made-at-import')\n"
        "POOL.submit(int).result()\n"
    )
    env = {**os.environ, "REVIEWER_APP_HOME": str(app_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", made_at_import + _RUN_AND_CLOSE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_program_ends_as_usual_while_it_owns_the_clipboard(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qt hands the clipboard to the desktop's clipboard manager as it shuts down: owning it,
    the app must not skip that. (The offscreen platform never owns one: a desktop's is faked.)"""

    class DesktopClipboard:
        def __init__(self, owns: bool) -> None:
            self.owns = owns

        def ownsClipboard(self) -> bool:  # noqa: N802 (Qt's name)
            return self.owns

        def ownsSelection(self) -> bool:  # noqa: N802 (Qt's name)
            return False

    assert app_module.can_end_quickly()
    monkeypatch.setattr(app_module.QGuiApplication, "clipboard", lambda: DesktopClipboard(True))
    assert not app_module.can_end_quickly()
    monkeypatch.setattr(app_module.QGuiApplication, "clipboard", lambda: DesktopClipboard(False))
    assert app_module.can_end_quickly()


def test_a_visit_that_finishes_opening_after_the_app_closed_is_let_go(
    qtbot: QtBot, controller: Any
) -> None:
    """Seen in CI: the app shut down (its start screen deleted) while a visit was still opening
    on the worker; the late "opened" then tried to hide the deleted start screen."""
    c = controller(demo=True)
    with qtbot.waitSignal(c.opener.opened, timeout=WAIT) as blocker:
        c.start()
        c.shutdown()
    session = blocker.args[0]
    qtbot.wait(50)  # any step the late open would have queued
    assert c.window is None and c.session is None
    assert session.closed
