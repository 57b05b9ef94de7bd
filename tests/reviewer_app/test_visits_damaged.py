"""A damaged visit workspace, as the app's entry points meet it: opening the visit, the visit
list (``list_visits``, the start screen's ``recent_visits``), "who am I on this visit".

Every one ends in the damaged-workspace message with its backups, never SQLite's error, and
none of them takes a backup of the damaged file (the five kept are never pushed out).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import (
    WorkspaceDamaged,
    list_visits,
    open_kit,
    open_session,
    recent_visits,
    remembered_member,
    workspace_backups,
    workspace_path,
)
from storage import encrypted_sqlite
from tests.keys import app_key

MARK = "Rota-gap-seen-on-ward-7"
PAGE = 4096  # SQLCipher's page (cipher_compatibility 4)


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture
def visit(paths: AppPaths, demo_kit_file: Path) -> str:
    """The demo visit with notes holding MARK, opened five times after edits: five backups."""
    visit_id = open_kit(demo_kit_file, "m-cns", paths=paths, demo=True).visit_id
    for round_ in range(5):
        session = open_session(paths, visit_id).result(timeout=30)
        for i in range(5):
            session.add_note("HN-101", f"{MARK} {round_}-{i}: the night rota had gaps").result(
                timeout=30
            )
        session.close()
    session = open_session(paths, visit_id).result(timeout=30)  # the fifth edit's backup
    session.close()
    assert len(workspace_backups(paths, visit_id)) == 5
    return visit_id


def _flip_mark(file: Path) -> None:
    """A changed byte in a page of the records that hold the notes, the kit's rows intact. The
    file is encrypted (nothing in it can be searched for): each page, from the last, is tried
    on a copy until one leaves the kit readable and the notes not."""
    key = app_key(file)
    original = file.read_bytes()
    trial = file.with_name("trial.sqlite")
    for page in range(len(original) // PAGE - 1, 0, -1):
        data = bytearray(original)
        data[page * PAGE + PAGE // 2] ^= 0xFF
        trial.write_bytes(bytes(data))
        try:
            if _kit_readable_notes_not(trial, key):
                file.write_bytes(bytes(data))
                return
        finally:
            for extra in ("", "-wal", "-shm"):
                Path(f"{trial}{extra}").unlink(missing_ok=True)
    raise AssertionError("no page holds the notes alone (closing folds the log back in)")


def _kit_readable_notes_not(file: Path, key: bytes) -> bool:
    conn = encrypted_sqlite.connect(file, key)
    try:
        conn.execute("SELECT manifest_json FROM kit_info").fetchall()
    except encrypted_sqlite.DatabaseError:
        conn.close()
        return False
    try:
        conn.execute("SELECT count(*) FROM ops WHERE value LIKE ?", (f"%{MARK}%",)).fetchone()
    except encrypted_sqlite.DatabaseError:
        return True
    finally:
        conn.close()
    return False


def _header(file: Path) -> None:
    with open(file, "r+b") as f:
        f.write(b"\x00" * 16)


def _truncate(file: Path) -> None:
    with open(file, "r+b") as f:
        f.truncate(file.stat().st_size * 2 // 3)


def _garbage(file: Path) -> None:
    file.write_bytes(os.urandom(64 * 1024))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "a record's text": _flip_mark,
    "the header": _header,
    "cut short": _truncate,
    "garbage": _garbage,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_every_entry_point_says_damaged_and_offers_the_backups(
    paths: AppPaths, visit: str, damage: str
) -> None:
    file = workspace_path(paths, visit)
    for extra in ("-wal", "-shm"):
        Path(f"{file}{extra}").unlink(missing_ok=True)
    DAMAGE[damage](file)
    backups = workspace_backups(paths, visit)

    for _attempt in range(3):
        with pytest.raises(WorkspaceDamaged) as caught:
            open_session(paths, visit).result(timeout=30)
        problem = caught.value
        assert problem.backups == backups
        assert str(problem).startswith(f"The visit workspace {file} is damaged (")
        assert f"Restore the newest backup, {backups[0]}" in str(problem)

    listed = list_visits(paths)
    assert [v.visit_id for v in listed] == [visit]
    assert listed[0].damaged and listed[0].backups == tuple(backups)
    assert "DAMAGED" in listed[0].title and str(backups[0]) in listed[0].title
    assert str(file) in listed[0].problem

    recent = recent_visits(paths)
    assert [(v.visit_id, v.damaged) for v in recent] == [(visit, True)]
    assert recent[0].backups == tuple(backups)

    assert remembered_member(paths, visit) in ("", "m-cns")  # what is readable, never an error
    assert workspace_backups(paths, visit) == backups  # failed opens took no backup


def test_a_damaged_records_visit_keeps_its_title_in_the_list(paths: AppPaths, visit: str) -> None:
    file = workspace_path(paths, visit)
    _flip_mark(file)
    (row,) = recent_visits(paths)
    assert row.damaged and row.title  # the kit's rows are intact: the reviewer knows which visit
    (summary,) = list_visits(paths)
    assert row.title in summary.title


def test_restoring_the_newest_backup_opens_the_visit_again(paths: AppPaths, visit: str) -> None:
    from reviewer_app.visit.workspaces import restore_workspace  # noqa: PLC0415

    file = workspace_path(paths, visit)
    _flip_mark(file)
    with pytest.raises(WorkspaceDamaged) as caught:
        open_session(paths, visit).result(timeout=30)
    restore_workspace(paths, visit, caught.value.backups[0])
    session = open_session(paths, visit).result(timeout=30)
    try:
        notes = [n for n in session.data.notes.values() if MARK in str(n)]
        assert len(notes) == 25
    finally:
        session.close()


def test_failed_opens_never_push_the_five_kept_backups_out(paths: AppPaths, visit: str) -> None:
    file = workspace_path(paths, visit)
    _flip_mark(file)  # passes quick_check: only reading the notes finds it
    before = workspace_backups(paths, visit)
    for _attempt in range(6):
        with pytest.raises(WorkspaceDamaged):
            open_session(paths, visit).result(timeout=30)
        list_visits(paths)
        recent_visits(paths)
    assert workspace_backups(paths, visit) == before
