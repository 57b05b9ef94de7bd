"""Opening a visit's window in short turns of the event loop: built, placed, then shown; the
start screen only when going straight into a visit takes a while or fails; the timetable filled
just after the window's first paint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT, message_boxes
from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import build_demo_kit, prepare_demo
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session
from ui import app as app_module
from ui.app import AppController
from ui.main_window import ReviewerWindow
from ui.timetable import TimetablePanel


@pytest.fixture
def controller(qtbot: QtBot, paths: AppPaths) -> Iterator[AppController]:
    c = AppController(paths, demo=True)
    qtbot.addWidget(c.start_screen)
    yield c
    c.shutdown()


class _Shows(QObject):
    """Counts the Show events of a widget."""

    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.count += 1
        return False


def test_straight_into_the_demo_the_start_screen_never_shows(
    qtbot: QtBot, controller: AppController, paths: AppPaths
) -> None:
    prepare_demo(paths)
    shows = _Shows(controller.start_screen)
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT) as blocker:
        controller.start()
    window = blocker.args[0]
    assert isinstance(window, ReviewerWindow)
    assert window.isVisible() and window.page.ref == "HN-101"
    assert shows.count == 0 and not controller.start_screen.isVisible()


def test_a_slow_open_shows_the_start_screen_meanwhile(
    qtbot: QtBot, controller: AppController, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "START_SCREEN_AFTER_MS", 0)
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT):
        controller.start()
        qtbot.waitUntil(controller.start_screen.isVisible, timeout=WAIT)
    # (put away once the window has painted over it)
    qtbot.waitUntil(lambda: not controller.start_screen.isVisible(), timeout=WAIT)


def test_a_visit_that_cannot_open_shows_the_start_screen_and_says_why(
    qtbot: QtBot, controller: AppController
) -> None:
    controller.start(visit_id="no-such-visit")
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT)
    assert controller.start_screen.isVisible() and controller.window is None
    for box in message_boxes():
        box.close()


def test_a_window_that_fails_to_find_its_place_is_reported(
    qtbot: QtBot, controller: AppController, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_self: ReviewerWindow) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(ReviewerWindow, "restore_position", broken)
    prepare_demo(paths)
    controller.start()
    qtbot.waitUntil(controller.start_screen.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT)
    assert controller.window is None and controller.session is None
    for box in message_boxes():
        box.close()


@pytest.fixture
def session(tmp_path: Path, paths: AppPaths) -> Iterator[VisitSession]:
    kit = tmp_path / "demo.rvkit"
    build_demo_kit(kit)
    visit_id = open_kit(kit, "m-cns", paths=paths, demo=True).visit_id
    s = open_session(paths, visit_id).result(timeout=30)
    yield s
    s.close()


def test_a_window_built_without_its_place_goes_there_when_asked(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    window = ReviewerWindow(session, paths, restore_position=False)
    qtbot.addWidget(window)
    assert window.page.ref is None
    window.restore_position()
    assert window.page.ref == "HN-101"
    assert window.progress_label.text() == window.navigator.progress_label.text()


def test_the_side_panel_is_filled_just_after_the_window_is_first_shown(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    """The timetable and my observations are not part of the first paint; they come right
    after it, the same as they would have been made with the window."""
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    assert [window.side.tabText(i) for i in range(window.side.count())] == [
        "Timetable",
        "Observations",
    ]
    window.show()
    assert window._timetable is None  # the first paint is not kept waiting for it
    qtbot.waitUntil(lambda: window._timetable is not None, timeout=WAIT)
    panel = window.timetable
    # (Shown in its tab; the side panel itself starts folded on the small offscreen screen.)
    assert panel.isVisibleTo(window.side) and panel.sessions_model.rowCount() > 0
    assert window.observations.count() == 1  # "No observations yet. Add one with ..."
    eager = TimetablePanel(session.data)
    qtbot.addWidget(eager)
    assert panel.sessions_model.rowCount() == eager.sessions_model.rowCount()
    assert panel.day_label.text() == eager.day_label.text()


def test_asking_for_the_side_panel_before_the_first_paint_makes_it(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.show_tab(1)  # (Ctrl+Shift+... from the keyboard at once)
    assert window.side.currentIndex() == 1 and window.observations.isVisibleTo(window)
    assert window.timetable.sessions_model.rowCount() > 0


@pytest.mark.parametrize(("one_turn_up_to", "turns"), [(10_000, 0), (0, 3)])
def test_a_big_visit_is_placed_and_shown_at_later_turns_a_small_one_at_once(
    qtbot: QtBot,
    controller: AppController,
    paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
    *,
    one_turn_up_to: int,
    turns: int,
) -> None:
    """Each step of a big visit's window (the rest built, placed, shown) is its own short
    stall; a small visit's take a few milliseconds together, so they are not spread out."""
    prepare_demo(paths)
    monkeypatch.setattr(app_module, "ONE_TURN_UP_TO", one_turn_up_to)
    waited: list[object] = []
    next_turn = AppController._next_turn

    def counting(self: AppController, window: Any, step: Any) -> None:
        waited.append(step)
        next_turn(self, window, step)

    monkeypatch.setattr(AppController, "_next_turn", counting)
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT) as blocker:
        controller.start()
    window = blocker.args[0]
    assert window.isVisible() and window.page.ref == "HN-101"
    assert len(waited) == turns
