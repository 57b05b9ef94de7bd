"""Backups of an open visit: one after each quarter hour of editing (checked on the storage
worker after an edit, by the workspace's clock, which the test moves), and the open-time
backup only of a visit that was read."""

from __future__ import annotations

from pathlib import Path

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import backup_reason, workspace_backups
from storage import Workspace
from storage.workspace import BACKUP_EVERY_SECONDS
from tests.keys import app_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def _backups(session: VisitSession) -> list[Path]:
    session.worker.submit(lambda _ws: None).result(timeout=30)  # the check after the edit ran
    return workspace_backups(AppPaths.from_environment(), session.data.visit.visit_id)


def _use(session: VisitSession, clock: FakeClock) -> None:
    def install(ws: Workspace) -> None:
        ws.clock = clock

    session.worker.submit(install).result(timeout=30)


def test_a_quarter_hour_of_editing_takes_a_backup(session: VisitSession) -> None:
    clock = FakeClock()
    _use(session, clock)
    before = _backups(session)
    assert [backup_reason(b) for b in before] == ["open"]
    session.add_note("HN-101", "first edit since the open").result(timeout=30)
    clock.now += BACKUP_EVERY_SECONDS - 1
    session.set_judgement("HN-101", session.data.visit.components[0].name, "met").result(30)
    assert _backups(session) == before
    clock.now += 1
    change = session.add_note("HN-101", "a quarter of an hour later").result(timeout=30)
    after = _backups(session)
    assert len(after) == len(before) + 1 and backup_reason(after[0]) == "edits"
    key = app_key(after[0].parent.parent / "workspace.sqlite")  # a backup has its visit's key
    with Workspace.open(after[0], key=key, device_id="check", backup=False) as copy:
        assert copy.entity("note", change.entity_id) is not None  # the edit is in the backup


def test_an_undo_counts_as_editing(session: VisitSession) -> None:
    clock = FakeClock()
    _use(session, clock)
    before = _backups(session)
    change = session.add_note("HN-101", "to undo").result(timeout=30)
    session.absorb(change)
    clock.now += BACKUP_EVERY_SECONDS
    undo = session.undo()
    assert undo is not None
    undo.result(timeout=30)
    assert len(_backups(session)) == len(before) + 1
