"""Backups: taken with SQLite's backup API under a temporary name, after a quarter hour of
editing, before imports and finalising; five rolling ones kept plus the newest taken before
finalising; what a killed backup leaves is cleaned, and never looks like a backup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import Workspace, encrypted_sqlite, list_backups
from storage.workspace import (
    BACKUP_EVERY_SECONDS,
    FINALISE,
    _backup_lock,
    backup_made,
)
from tests.keys import TEST_KEY, TEST_KEY_HEX
from tests.storage.conftest import OpenWorkspace

REPO = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _note(ws: Workspace, text: str) -> None:
    ws.record("m", "note", "n", {"text": text})


def _value_in(backup: Path) -> str:
    conn = encrypted_sqlite.connect(backup, TEST_KEY)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        row = conn.execute("SELECT value FROM field_state WHERE entity = 'note'").fetchone()
        return str(row[0])
    finally:
        conn.close()


def test_a_backup_is_due_a_quarter_hour_after_the_first_edit_since_the_last(
    open_ws: OpenWorkspace,
) -> None:
    ws = open_ws("a")
    ws.clock = clock = FakeClock()
    _note(ws, "first")
    assert ws.backup_if_due() is None  # the first edit starts the quarter hour
    clock.now += BACKUP_EVERY_SECONDS - 1
    _note(ws, "second")
    assert ws.backup_if_due() is None
    assert ws.backups() == []
    clock.now += 1
    _note(ws, "third")
    made = ws.backup_if_due()
    assert made is not None and ws.backups() == [made]
    assert backup_made(made)[1] == "edits" and _value_in(made) == '"third"'
    clock.now += 10 * BACKUP_EVERY_SECONDS  # no edits for a long time: nothing is due
    _note(ws, "after a break")
    assert ws.backup_if_due() is None  # a new quarter hour starts at this edit
    clock.now += BACKUP_EVERY_SECONDS
    _note(ws, "later")
    assert ws.backup_if_due() is not None
    assert len(ws.backups()) == 2


def test_any_backup_restarts_the_quarter_hour(open_ws: OpenWorkspace) -> None:
    ws = open_ws("a")
    ws.clock = clock = FakeClock()
    _note(ws, "one")
    ws.backup_if_due()
    clock.now += BACKUP_EVERY_SECONDS - 60
    ws.backup("import")  # e.g. before a bundle import
    clock.now += 120
    _note(ws, "two")
    assert ws.backup_if_due() is None


def test_five_rolling_backups_and_the_newest_before_finalising_kept_apart(
    open_ws: OpenWorkspace,
) -> None:
    ws = open_ws("a")
    _note(ws, "before finalising v1")
    first_final = ws.backup(FINALISE)
    for i in range(8):
        _note(ws, f"edit {i}")
        ws.backup("edits" if i % 2 else "import")
    backups = ws.backups()
    assert first_final in backups and len(backups) == 6
    rolling = [b for b in backups if b != first_final]
    assert [_value_in(b) for b in rolling] == [f'"edit {i}"' for i in (7, 6, 5, 4, 3)]
    _note(ws, "before finalising v2")
    second_final = ws.backup(FINALISE)
    backups = ws.backups()
    assert second_final in backups and first_final not in backups
    assert len(backups) == 6
    assert _value_in(second_final) == '"before finalising v2"'
    assert [backup_made(b)[1] for b in backups].count(FINALISE) == 1


def test_the_reason_and_time_are_read_from_the_name_old_names_too(tmp_path: Path) -> None:
    when, reason = backup_made(tmp_path / "workspace-20250304T143205123456-finalise.sqlite")
    assert reason == FINALISE and when is not None and when.hour == 14
    when, reason = backup_made(tmp_path / "workspace-20250304T143205123456.sqlite")
    assert reason == "" and when is not None and when.minute == 32


def test_leftovers_of_a_killed_backup_are_cleaned_when_backups_are_listed(
    open_ws: OpenWorkspace,
) -> None:
    ws = open_ws("a")
    ws.backup()
    folder = ws.folder / "backups"
    leftovers = [
        folder / ".workspace-20250101T000000000000.sqlite.tmp",
        folder / ".workspace-20250101T000000000000.sqlite.tmp-journal",
    ]
    for f in leftovers:
        f.write_bytes(b"partial")
    with _backup_lock(folder, wait=True):  # a backup under way elsewhere: its files stay
        assert len(list_backups(ws.path)) == 1
        assert all(f.exists() for f in leftovers)
    assert len(list_backups(ws.path)) == 1
    assert not any(f.exists() for f in leftovers)


def test_leftovers_are_cleaned_when_a_backup_is_taken(open_ws: OpenWorkspace) -> None:
    ws = open_ws("a")
    folder = ws.folder / "backups"
    folder.mkdir()
    stale = folder / ".workspace-20250101T000000000000.sqlite.tmp-journal"
    stale.write_bytes(b"partial")
    ws.backup()
    assert not stale.exists()


_BACKING_UP = """
import sys
sys.path.insert(0, {repo!r})
from storage import Workspace
ws = Workspace.open({path!r}, key=bytes.fromhex({key_hex!r}), device_id="d", backup=False)
print("ready", flush=True)
while True:
    ws.backup("edits")
"""


def test_a_backup_killed_midway_leaves_nothing_that_looks_like_a_backup(tmp_path: Path) -> None:
    """SIGKILL a process taking backup after backup of a big workspace, while its temporary
    file is being written: every file named like a backup is whole, and listing cleans up."""
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
        for i in range(60):
            ws.record("m", "note", f"n{i}", {"text": f"{i} " + "words " * 20_000})
    folder = path.parent / "backups"
    script = _BACKING_UP.format(repo=str(REPO), path=str(path), key_hex=TEST_KEY_HEX)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not list(folder.glob(".workspace-*.tmp*")) and time.monotonic() < deadline:
            time.sleep(0.001)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert list(folder.glob(".workspace-*.tmp*")), "killed while writing a backup"
    for backup in folder.glob("workspace-*.sqlite"):
        conn = encrypted_sqlite.connect(backup, TEST_KEY)
        try:
            assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM ops").fetchone()[0] == 60
        finally:
            conn.close()
    kept = list_backups(path)
    assert len(kept) <= 5
    assert not list(folder.glob(".workspace-*.tmp*"))
