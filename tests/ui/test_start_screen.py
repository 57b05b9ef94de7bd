"""The start screen: recent visits, opening kits (dialog or drop), bad kits, damaged workspaces."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT, Screenshot, message_boxes
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from reviewer_app.app.device import device_id
from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import build_demo_kit, demo_visit
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import (
    WorkspaceDamaged,
    open_session,
    workspace_backups,
    workspace_path,
)
from storage import Workspace
from tests.keys import app_key
from ui.app import APP_ICON
from ui.start_screen import StartScreen, kit_files
from ui.who_am_i import WhoAmIDialog
from ui.workspace_problem import WorkspaceProblemDialog


@pytest.fixture
def demo_kit(tmp_path: Path) -> Path:
    kit = tmp_path / "kits" / "demo visit.rvkit"
    kit.parent.mkdir()
    build_demo_kit(kit)
    return kit


@pytest.fixture
def screen(qtbot: QtBot, paths: AppPaths) -> StartScreen:
    widget = StartScreen(paths, demo=True)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _opened(qtbot: QtBot, screen: StartScreen, start: Any) -> VisitSession:
    with qtbot.waitSignal(screen.visit_opened, timeout=WAIT) as blocker:
        start()
    session = blocker.args[0]
    assert isinstance(session, VisitSession)
    return session


def test_a_visit_opened_before_is_listed_and_opens(
    screenshot: Screenshot,
    qtbot: QtBot,
    paths: AppPaths,
    demo_kit: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(lambda _cls, *_a: "m-cns"))
    first = StartScreen(paths, demo=True)
    qtbot.addWidget(first)
    _opened(qtbot, first, lambda: first.open_kit(demo_kit)).close()
    QApplication.setWindowIcon(QIcon(str(APP_ICON)))  # as run_app does: the logo shows
    screen = StartScreen(paths, demo=True)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=WAIT)
    from pytestqt.modeltest import ModelTester

    ModelTester(None).check(screen.model)
    text = screen.model.index(0, 0).data()
    visit = demo_visit()
    cns = visit.member("m-cns")
    assert cns is not None
    assert visit.title in text and f"you are {cns.name}" in text and "DEMO" in text
    assert screen.recent.isVisible() and not screen.no_visits.isVisible()
    screen.resize(900, 620)
    screenshot(screen, "start_screen.png")
    screen.recent.setFocus()
    session = _opened(qtbot, screen, lambda: qtbot.keyClick(screen.recent, Qt.Key.Key_Return))
    assert session.data.visit.visit_id == visit.visit_id
    assert session.member_id == "m-cns"
    session.close()


def test_an_empty_laptop_says_what_to_do(
    screenshot: Screenshot, qtbot: QtBot, screen: StartScreen
) -> None:
    qtbot.waitUntil(lambda: not screen.opener.working and screen.no_visits.isVisible())
    assert "visit kit" in screen.no_visits.text()
    screenshot(screen, "start_screen_empty.png")


def test_opening_a_kit_asks_who_i_am_and_opens_as_that_member(
    qtbot: QtBot, screen: StartScreen, demo_kit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, list[str]]] = []

    def ask(cls: Any, parent: Any, title: str, team: Any) -> str:
        asked.append((title, [m.member_id for m in team]))
        return "m-paed"

    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(ask))
    monkeypatch.setattr(
        "ui.file_dialogs.QFileDialog.getOpenFileName",
        lambda *_a, **_k: (str(demo_kit), "Visit kits (*.rvkit)"),
    )
    progress: list[tuple[str, bool]] = []
    main = threading.main_thread()
    screen.opener._progress.connect(
        lambda _done, _total, stage: progress.append((stage, threading.current_thread() is main))
    )
    click = lambda: qtbot.mouseClick(screen.open_button, Qt.MouseButton.LeftButton)  # noqa: E731
    session = _opened(qtbot, screen, click)
    assert asked == [(demo_visit().title, [m.member_id for m in demo_visit().team])]
    assert progress and all(on_ui_thread for _, on_ui_thread in progress)
    assert session.member_id == "m-paed"
    assert screen.kit_folder == demo_kit.parent
    session.close()
    # The same kit again: the visit remembers who I am, so nobody asks.
    session = _opened(qtbot, screen, lambda: screen.open_kit(demo_kit))
    assert len(asked) == 1 and session.member_id == "m-paed"
    session.close()


def test_cancelling_who_am_i_opens_nothing(
    qtbot: QtBot,
    screen: StartScreen,
    demo_kit: Path,
    paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(lambda _cls, *_a: None))
    opened: list[Any] = []
    screen.visit_opened.connect(opened.append)
    screen.open_kit(demo_kit)
    qtbot.waitUntil(lambda: not screen.opener.working, timeout=WAIT)
    assert opened == [] and not paths.visits.exists()
    assert screen.open_button.isEnabled()


DRAG_EVENT_WARNING = "ignore:Function.*QDragEnterEvent:DeprecationWarning"


@pytest.mark.filterwarnings(DRAG_EVENT_WARNING)
def test_dropping_a_kit_opens_it(
    screenshot: Screenshot,
    qtbot: QtBot,
    screen: StartScreen,
    demo_kit: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(lambda _cls, *_a: "m-pat"))
    qtbot.waitUntil(lambda: not screen.opener.working)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(demo_kit))])
    assert kit_files(mime) == [demo_kit]
    enter = QDragEnterEvent(
        screen.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    screen.dragEnterEvent(enter)
    assert enter.isAccepted() and "Drop" in screen.drop_hint.text()
    screenshot(screen, "start_screen_drop.png")
    drop = QDropEvent(
        QPointF(screen.rect().center()),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    session = _opened(qtbot, screen, lambda: screen.dropEvent(drop))
    assert session.member_id == "m-pat"
    session.close()


@pytest.mark.filterwarnings(DRAG_EVENT_WARNING)
def test_dropping_something_else_is_refused(screen: StartScreen, tmp_path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.pdf"))])
    enter = QDragEnterEvent(
        screen.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    screen.dragEnterEvent(enter)
    assert not enter.isAccepted()
    assert not screen.drop_kit(mime)


def test_a_bad_kit_shows_its_refusal_and_creates_nothing(
    qtbot: QtBot,
    screen: StartScreen,
    tmp_path: Path,
    app_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "visit.rvkit"
    bad.write_bytes(os.urandom(4096))
    asked: list[Any] = []
    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(lambda _cls, *_a: asked.append(_a)))
    monkeypatch.setattr(
        "ui.file_dialogs.QFileDialog.getOpenFileName", lambda *_a, **_k: (str(bad), "")
    )
    qtbot.mouseClick(screen.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT)
    box = message_boxes()[0]
    assert "Could not open this visit kit" in box.text()
    assert "Traceback" not in box.text() and "Error" not in box.text().split(":")[0]
    assert not asked
    assert not (app_home / "data" / "visits").exists()
    box.close()
    qtbot.waitUntil(screen.open_button.isEnabled)


def _damage_after_a_backup(paths: AppPaths, qtbot: QtBot, screen: StartScreen) -> tuple[str, str]:
    """A demo visit with a note, backed up, then its workspace overwritten with garbage."""
    visit_id = _opened(qtbot, screen, screen.open_demo).data.visit.visit_id
    session = open_session(paths, visit_id).result(timeout=10)
    change = session.add_note("HN-101", "Checked the rota on the ward").result(timeout=10)
    session.absorb(change)
    session.close()
    file = workspace_path(paths, visit_id)
    # Opening it takes a backup: the note changed it.
    with Workspace.open(file, key=app_key(file), device_id=device_id(paths)):
        pass
    assert workspace_backups(paths, visit_id)
    for extra in ("-wal", "-shm"):
        Path(f"{file}{extra}").unlink(missing_ok=True)
    file.write_bytes(os.urandom(64 * 1024))
    return visit_id, change.entity_id


def test_a_damaged_workspace_offers_its_backups_and_restoring_reopens_it(
    screenshot: Screenshot,
    qtbot: QtBot,
    screen: StartScreen,
    paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visit_id, note_id = _damage_after_a_backup(paths, qtbot, screen)
    screen.refresh()
    qtbot.waitUntil(
        lambda: screen.model.rowCount() == 1 and screen.model.visits[0].damaged, timeout=WAIT
    )
    assert "damaged" in screen.model.index(0, 0).data()
    shown: list[WorkspaceDamaged] = []

    def ask(cls: Any, parent: Any, problem: WorkspaceDamaged, title: str = "") -> Path:
        shown.append(problem)
        dialog = WorkspaceProblemDialog(parent, problem, title)
        assert dialog.backups.count() == len(problem.backups) >= 1
        assert "(newest)" in dialog.backups.item(0).text()
        assert dialog.chosen() == problem.backups[0]
        dialog.resize(620, 420)
        screenshot(dialog, "workspace_problem.png")
        dialog.deleteLater()
        return problem.backups[0]

    monkeypatch.setattr(WorkspaceProblemDialog, "ask", classmethod(ask))
    screen.recent.setCurrentIndex(screen.model.index(0, 0))
    session = _opened(qtbot, screen, lambda: qtbot.keyClick(screen.recent, Qt.Key.Key_Return))
    assert len(shown) == 1
    assert note_id in session.data.notes
    kept = list(workspace_path(paths, visit_id).parent.glob("workspace.sqlite.damaged-*"))
    assert len(kept) == 1
    session.close()


def test_cancelling_the_problem_dialog_leaves_the_damaged_file_alone(
    qtbot: QtBot, screen: StartScreen, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit_id, _ = _damage_after_a_backup(paths, qtbot, screen)
    damaged = workspace_path(paths, visit_id).read_bytes()
    monkeypatch.setattr(WorkspaceProblemDialog, "ask", classmethod(lambda _cls, *_a: None))
    opened: list[Any] = []
    screen.visit_opened.connect(opened.append)
    screen.open_visit(visit_id)
    qtbot.waitUntil(lambda: not screen.opener.working, timeout=WAIT)
    assert opened == []
    assert workspace_path(paths, visit_id).read_bytes() == damaged


def test_the_problem_dialog_without_backups_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    problem = WorkspaceDamaged(tmp_path / "workspace.sqlite", "file is not a database", [])
    dialog = WorkspaceProblemDialog(None, problem, "A visit")
    qtbot.addWidget(dialog)
    assert dialog.restore.isHidden() and dialog.chosen() is None
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    assert "Close" in [b.text() for b in buttons.buttons()]


def test_who_am_i_by_keyboard(screenshot: Screenshot, qtbot: QtBot) -> None:
    visit = demo_visit()
    dialog = WhoAmIDialog(None, visit.title, visit.team)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert not dialog.ok.isEnabled()  # nobody is chosen for the reviewer
    labels = [dialog.members.item(r).text() for r in range(dialog.members.count())]
    lead = visit.lead
    assert lead is not None
    assert any(label.startswith(f"{lead.name} (lead)") for label in labels)
    dialog.members.setFocus()
    qtbot.keyClick(dialog.members, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.members, Qt.Key.Key_Down)
    assert dialog.ok.isEnabled()
    screenshot(dialog, "who_am_i.png")
    qtbot.keyClick(dialog.members, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    row = dialog.members.currentRow()
    assert row >= 1 and dialog.chosen() == visit.team[row].member_id
    for r in range(dialog.members.count()):
        assert dialog.members.item(r).data(Qt.ItemDataRole.AccessibleTextRole)
