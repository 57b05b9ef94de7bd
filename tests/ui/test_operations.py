"""One operation path (``ui.operations``): refusals, failures and the Undo menu's words."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.model import MET
from reviewer_app.visit.session import Change, PendingChange, VisitSession
from ui.bridge import SessionBridge
from ui.main_window import ReviewerWindow
from ui.operations import ChangeOp, TaskOp

WAIT_MS = 10_000


def a_screen(qtbot: QtBot, session: VisitSession) -> tuple[QWidget, SessionBridge]:
    screen = QWidget()
    qtbot.addWidget(screen)
    bridge = SessionBridge(session, screen)
    return screen, bridge


def boxes(widget: QWidget) -> list[str]:
    return [b.text() for b in widget.findChildren(QMessageBox)]


def test_a_refused_lead_only_change_shows_its_sentence_and_changes_nothing(
    qtbot: QtBot, session: VisitSession
) -> None:
    screen, bridge = a_screen(qtbot, session)  # m-cns is not the lead
    refused: list[BaseException] = []
    started = (
        ChangeOp(screen, bridge, lambda s: s.add_finding("", "good", "Thorough handover"))
        .failure(refused.append)
        .run()
    )
    assert not started and len(refused) == 1
    assert boxes(screen) == [
        "Only the lead reviewer, Dr Zoë Hartley, writes findings; ask them to make this change."
    ]
    assert session.data.findings == {} and not session.can_undo()
    assert bridge.pending == 0


def test_a_change_is_told_to_every_screen_then_to_its_caller(
    qtbot: QtBot, session: VisitSession
) -> None:
    screen, bridge = a_screen(qtbot, session)
    seen: list[str] = []
    bridge.changed.connect(lambda change: seen.append(f"screens: {change.description}"))
    ChangeOp(screen, bridge, lambda s: s.set_judgement("HN-101", "shc", MET)).success(
        lambda change: seen.append(f"caller: {change.description}")
    ).run()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT_MS)
    assert seen == ["screens: judge HN-101", "caller: judge HN-101"]
    assert session.data.judgement("HN-101", "shc").value == MET


def test_a_failure_is_logged_once_and_shown_once_in_the_sessions_words(
    qtbot: QtBot, session: VisitSession, caplog: pytest.LogCaptureFixture
) -> None:
    screen, bridge = a_screen(qtbot, session)
    said: list[str] = []
    bridge.failed.connect(said.append)
    failing: Future[Change] = Future()
    ChangeOp(screen, bridge, lambda _s: PendingChange("add a note on HN-101", failing)).run()
    with caplog.at_level(logging.ERROR):
        failing.set_exception(RuntimeError("bug"))
        qtbot.waitUntil(lambda: bool(boxes(screen)), timeout=WAIT_MS)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and "add a note on HN-101" in logged[0].getMessage()
    [text] = boxes(screen)
    assert text.startswith("Something went wrong while trying to add a note on HN-101.")
    assert said == [
        "Not saved: add a note on HN-101. Something went wrong while trying to "
        "add a note on HN-101. Your earlier work is safe."
    ]


def test_undo_and_redo_name_the_change(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession]
) -> None:
    session = open_demo_session()
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    assert window.undo_action.text() == "&Undo" and not window.undo_action.isEnabled()
    window.go_to("HN-204")
    window.judge(MET)
    qtbot.waitUntil(window.undo_action.isEnabled, timeout=WAIT_MS)
    assert window.undo_action.text() == "&Undo judge HN-204"
    window.undo_action.trigger()
    qtbot.waitUntil(window.redo_action.isEnabled, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.bridge.pending == 0, timeout=WAIT_MS)
    assert window.redo_action.text() == "&Redo judge HN-204"
    assert window.undo_action.text() == "&Undo" and not window.undo_action.isEnabled()
    window.close()


def test_a_long_task_shows_its_progress_and_stops_when_cancelled(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    stopped = threading.Event()
    results: list[str] = []

    def start(progress: Callable[..., None]) -> Future[str]:
        future: Future[str] = Future()

        def work() -> None:
            try:
                for step in range(1_000_000):
                    progress(step % 10, 10, f"Step {step}")
                    stopped.wait(0.005)
                future.set_result("finished")
            except BaseException as exc:  # noqa: BLE001 - delivered through the future
                stopped.set()
                future.set_exception(exc)

        threading.Thread(target=work, daemon=True).start()
        return future

    task = TaskOp(parent, start, what="count").with_progress("Counting", "Counting…")
    task.success(results.append).cancellable().run()
    dialog = task.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.labelText().startswith("Step"), timeout=WAIT_MS)
    [cancel] = dialog.findChildren(QPushButton)
    assert cancel.text() == "Cancel"
    cancel.click()
    qtbot.waitUntil(lambda: not task.running, timeout=WAIT_MS)
    assert stopped.is_set() and results == [] and boxes(parent) == []


def test_a_long_task_that_fails_is_told_once(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()

    def start(_progress: Callable[..., None]) -> Future[str]:
        future: Future[str] = Future()
        future.set_exception(FileNotFoundError(str(tmp_path / "gone")))
        return future

    failures: list[BaseException] = []
    TaskOp(parent, start, what="write the sheet").failure(failures.append).run()
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT_MS)
    assert len(boxes(parent)) == 1 and boxes(parent)[0].startswith("Could not write the sheet")


def test_a_team_judgement_by_a_reviewer_is_refused_in_the_sessions_words(
    qtbot: QtBot, session: VisitSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.team.team_judgement import record_team_judgement  # noqa: PLC0415
    from ui.team.team_judgement_dialog import TeamJudgementDialog  # noqa: PLC0415

    screen, bridge = a_screen(qtbot, session)  # m-cns, not the lead
    monkeypatch.setattr(TeamJudgementDialog, "ask", classmethod(lambda *_a: (MET, "")))
    record_team_judgement(screen, bridge, "HN-101", "shc")
    [text] = boxes(screen)
    assert text.startswith("Only the lead reviewer, Dr Zoë Hartley, records the team judgement")
    assert not session.data.team_judgement("HN-101", "shc").assessed
    assert bridge.pending == 0 and not session.can_undo()
