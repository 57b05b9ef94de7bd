"""Two laptops of one visit for the team window tests: the lead (m-lead) and a reviewer
(m-cns), each with its own AppPaths (so its own device id and workspace), both opened from the
demo kit, each with a real ``ReviewerWindow``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session
from ui.main_window import ReviewerWindow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT = 15_000


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


@pytest.fixture(name="laptops")
def laptops_fixture(
    tmp_path: Path, demo_kit_file: Path, qtbot: QtBot
) -> Iterator[Callable[[str], Laptop]]:
    """``laptops("m-lead")``: a laptop with the visit open in a shown window."""
    made: list[Laptop] = []

    def make(member_id: str) -> Laptop:
        laptop = make_laptop(tmp_path / member_id, demo_kit_file, member_id)
        session: VisitSession = open_session(laptop.paths, laptop.visit_id).result(timeout=30)
        window = ReviewerWindow(session, laptop.paths)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        laptop.window = window
        made.append(laptop)
        return laptop

    yield make
    for laptop in made:
        if laptop.window is not None:
            laptop.window.close()


def settle(qtbot: QtBot, window: ReviewerWindow) -> None:
    qtbot.waitUntil(lambda: window.bridge.pending == 0, timeout=WAIT)


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


def screenshot(widget: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / name
    for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
        QApplication.processEvents()
    widget.grab().save(str(out))  # type: ignore[attr-defined]
    return out
