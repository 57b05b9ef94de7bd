"""Two laptops of one visit for the team window tests: the lead (m-lead) and a reviewer
(m-cns), each with its own AppPaths (so its own device id and workspace), both opened from the
demo kit, each with a real ``ReviewerWindow`` (the ``laptops`` fixture of tests/ui/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import WAIT, settle
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import open_kit
from ui.main_window import ReviewerWindow


@dataclass
class Laptop:
    paths: AppPaths
    visit_id: str
    window: ReviewerWindow | None = None

    @property
    def win(self) -> ReviewerWindow:
        assert self.window is not None
        return self.window


def make_laptop(home: Path, kit: Path, member_id: str) -> Laptop:
    paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
    visit_id = open_kit(kit, member_id, paths=paths, demo=True).visit_id
    return Laptop(paths, visit_id)


def judge(qtbot: QtBot, window: ReviewerWindow, ref: str, value: str, reason: str = "") -> None:
    """Judge ``ref`` for the shown component the way the reviewer does: choose, then type."""
    window.go_to(ref)
    page = window.page
    page.judge(value)
    if reason:
        page.judgement.reason.setFocus()
        qtbot.keyClicks(page.judgement.reason, reason)
        page.flush()
    settle(qtbot, window)


def drop_files(window: ReviewerWindow, files: list[Path]) -> bool:
    """Drag ``files`` onto the window and drop them; True when the window took the drag."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    centre = window.rect().center()
    copy, none = Qt.DropAction.CopyAction, Qt.MouseButton.NoButton
    enter = QDragEnterEvent(QPoint(centre), copy, mime, none, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), copy, mime, none, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def export_bundle(
    qtbot: QtBot, laptop: Laptop, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Team > Export my work as a bundle…, saving into ``folder`` under the suggested name."""
    from ui.team.import_export import BundleFiles  # noqa: PLC0415

    asked: list[Path] = []

    def ask_save(_parent: object, suggested: Path) -> Path:
        asked.append(suggested)
        return folder / suggested.name

    monkeypatch.setattr(BundleFiles, "ask_save", classmethod(lambda _cls, p, s: ask_save(p, s)))
    team = laptop.win.team
    team.last_export = None
    laptop.win.findChild(
        type(laptop.win.undo_action), "action_export_my_work_as_a_bundle"
    ).trigger()
    qtbot.waitUntil(lambda: team.last_export is not None, timeout=WAIT)
    assert team.last_export is not None
    assert asked and asked[0].suffix == ".rvbundle"
    return team.last_export
