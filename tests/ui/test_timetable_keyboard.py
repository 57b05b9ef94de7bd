"""Go > Timetable (Ctrl+T) from the keyboard (issue 16, point 3): the sessions list takes the
focus on the session happening now (else the next one; before the visit its first, after it its
last), and the arrow keys then move from session to session."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers import WAIT
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from ui.main_window import ReviewerWindow
from ui.timetable import TimetablePanel

CTRL = Qt.KeyboardModifier.ControlModifier


def press_ctrl_t(
    qtbot: QtBot, session: VisitSession, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> ReviewerWindow:
    """The reviewer's window at ``now``, the reviewer in the standards list, Ctrl+T pressed."""
    monkeypatch.setattr(TimetablePanel, "clock", lambda: now)
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    window.navigator.tree.setFocus()
    qtbot.waitUntil(window.navigator.tree.hasFocus, timeout=WAIT)
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_T, CTRL)
    return window


def shown(window: ReviewerWindow) -> str:
    chosen = window.timetable.selected_session()
    return chosen.id if chosen is not None else ""


def test_ctrl_t_puts_the_keyboard_on_the_session_happening_now_and_arrows_move(
    qtbot: QtBot, session: VisitSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = press_ctrl_t(qtbot, session, monkeypatch, datetime(2026, 12, 3, 10, 30))
    sessions = window.timetable.sessions_view
    assert window.side.currentIndex() == 0  # the Timetable tab
    assert QApplication.focusWidget() is sessions
    assert shown(window) == "s03"  # my sub-team's meeting, though B's tour runs too
    qtbot.keyClick(sessions, Qt.Key.Key_Down)
    assert shown(window) == "s04"
    qtbot.keyClick(sessions, Qt.Key.Key_Down)
    assert shown(window) == "s05"
    assert "Meeting with patients and carers" in window.timetable.session_heading.text()
    qtbot.keyClick(sessions, Qt.Key.Key_Up)
    assert shown(window) == "s04"
    assert QApplication.focusWidget() is sessions  # still there: no dead end
    window.close()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(datetime(2026, 12, 3, 11, 5), "s05", id="between-sessions-the-next"),
        pytest.param(datetime(2026, 12, 3, 7, 0), "s01", id="early-on-the-day-the-first"),
        pytest.param(datetime(2026, 11, 20, 10, 30), "s01", id="before-the-visit-the-first"),
        pytest.param(datetime(2026, 12, 3, 18, 0), "s11", id="after-the-last-the-last"),
        pytest.param(datetime(2026, 12, 9, 10, 30), "s11", id="after-the-visit-the-last"),
    ],
)
def test_with_no_session_now_ctrl_t_goes_to_the_next_or_the_first_or_the_last(
    qtbot: QtBot,
    session: VisitSession,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
    expected: str,
) -> None:
    window = press_ctrl_t(qtbot, session, monkeypatch, now)
    sessions = window.timetable.sessions_view
    assert QApplication.focusWidget() is sessions
    assert shown(window) == expected
    qtbot.keyClick(sessions, Qt.Key.Key_Up if expected == "s11" else Qt.Key.Key_Down)
    assert shown(window) not in ("", expected)  # the arrows move on from there
    window.close()
