"""A workspace at rest: encrypted, and an older version's plain workspace encrypted on its
first open (the database, its backups, its blobs) with progress, crash-safe under kill -9.
A key that does not open it ends with a sentence, the file unchanged.

The plain workspaces are made as an older version left them: through today's code, then
decrypted with ``sqlcipher_export`` into plain SQLite files, and their blobs written plain.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import Workspace, WorkspaceDamaged, WorkspaceKeyWrong, encrypted_sqlite
from storage.attachments import BlobStore
from storage.workspace import BLOBS_SEALED
from tests.keys import TEST_KEY, TEST_KEY_HEX

REPO = Path(__file__).resolve().parents[2]
MARK = "Night-rota-unfilled-on-ward-9"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + f"{MARK} photo ".encode() * 500
OTHER_KEY = bytes(range(1, 33))


def _decrypt_in_place(file: Path) -> None:
    """What an older version wrote: the same database, in plain SQLite (and no meta row
    saying its blobs are sealed)."""
    plain = file.with_name(file.name + ".plain")
    conn = encrypted_sqlite.connect(file, TEST_KEY)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute(f"PRAGMA plain.user_version = {int(version)}")
        conn.execute("DELETE FROM plain.meta WHERE key = ?", (BLOBS_SEALED,))
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    os.replace(plain, file)
    for side in ("-wal", "-shm"):
        Path(f"{file}{side}").unlink(missing_ok=True)


def make_old_workspace(folder: Path, judgements: int = 40) -> tuple[Path, str]:
    """A plain workspace with judgements whose reasons hold MARK, a plain backup and a plain
    photo blob; returns the workspace's path and the photo's SHA-256."""
    path = folder / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="old", create=True) as ws:
        with ws.transaction():
            for i in range(judgements):
                reason = f"{MARK} {i} " + "the night rota had gaps " * 10
                ws.record("m", "judgement", f"j{i:04d}", {"reason": reason})
        sha = ws.blobs.put_bytes(PHOTO)
        ws.record("m", "photo", "p1", {"sha256": sha})
        backup = ws.backup("manual")
    for file in (path, backup):
        _decrypt_in_place(file)
    BlobStore(folder / "blobs", TEST_KEY).path(sha).write_bytes(PHOTO)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM ops").fetchone()[0] > judgements
    return path, sha


def _files_at_rest(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"]


def _assert_nothing_readable(folder: Path) -> None:
    """No file under ``folder`` holds the reasons' or photo's text, and sqlite3 opens no
    database there."""
    for file in _files_at_rest(folder):
        data = file.read_bytes()
        assert MARK.encode() not in data, file
        assert not data.startswith(b"\xff\xd8\xff"), file
    databases = [folder / "workspace.sqlite", *(folder / "backups").glob("workspace-*.sqlite")]
    assert len(databases) >= 2
    for file in databases:
        conn = sqlite3.connect(file)
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
        conn.close()


def _assert_everything_there(path: Path, sha: str, judgements: int = 40) -> None:
    with Workspace.open(path, key=TEST_KEY, device_id="new") as ws:
        reasons = ws.entities("judgement")
        assert len(reasons) == judgements
        assert str(reasons["j0007"]["reason"]).startswith(f"{MARK} 7 ")
        assert ws.blobs.read_bytes(sha) == PHOTO
        assert ws.integrity_problems() == []
        backups = ws.backups()
        assert backups
        for backup in backups:
            conn = encrypted_sqlite.connect(backup, TEST_KEY)
            assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            conn.close()


def test_a_new_workspace_and_its_backup_hold_nothing_readable(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
        ws.record("m", "judgement", "j1", {"reason": f"{MARK} as typed"})
        ws.blobs.put_bytes(PHOTO)
        ws.backup("manual")
    _assert_nothing_readable(path.parent)


def test_an_old_plain_workspace_is_encrypted_on_first_open_with_progress(
    tmp_path: Path,
) -> None:
    path, sha = make_old_workspace(tmp_path / "v")
    assert encrypted_sqlite.is_plain(path)
    seen: list[tuple[int, int, str]] = []
    with Workspace.open(path, key=TEST_KEY, device_id="new", progress=_record(seen)) as ws:
        assert ws.blobs.read_bytes(sha) == PHOTO
    said = [what for _done, _total, what in seen]
    assert said.index("Encrypting the workspace") < said.index("Encrypting the workspace's backups")
    assert said.index("Encrypting the workspace's backups") < said.index("Encrypting attachments")
    assert "Encrypting the workspace: checking the encrypted copy" in said
    assert seen[-1][0] == seen[-1][1]  # it ends done
    _assert_nothing_readable(path.parent)
    _assert_everything_there(path, sha)

    again: list[tuple[int, int, str]] = []
    Workspace.open(path, key=TEST_KEY, device_id="new", progress=_record(again)).close()
    assert again == []  # done once: nothing to encrypt the next time


def _record(into: list[tuple[int, int, str]]):  # type: ignore[no-untyped-def]
    def progress(done: int, total: int, what: str) -> None:
        into.append((done, total, what))

    return progress


_CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from storage import Workspace
seen = [0]
def progress(done, total, what):
    if what == {what!r}:
        seen[0] += 1
        if seen[0] == {nth}:
            print("paused", flush=True)
            time.sleep(120)
Workspace.open({path!r}, key=bytes.fromhex({key!r}), device_id="child", progress=progress)
print("finished", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL needs a POSIX system")
@pytest.mark.parametrize(
    ("what", "nth"),
    [
        ("Encrypting the workspace", 3),  # copying into the encrypted file
        ("Encrypting the workspace: checking the encrypted copy", 1),
        ("Encrypting the workspace's backups", 1),  # the database done, its backups not
        ("Encrypting attachments", 1),  # one blob sealed, the meta row not yet written
    ],
)
def test_a_kill_during_the_encryption_on_open_loses_nothing(
    tmp_path: Path, what: str, nth: int
) -> None:
    path, sha = make_old_workspace(tmp_path / "v", judgements=3000)
    script = _CHILD.format(repo=str(REPO), what=what, nth=nth, path=str(path), key=TEST_KEY_HEX)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "paused", "the child never reached the point"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    _assert_everything_there(path, sha, judgements=3000)  # the next open finishes the job
    left = [p.name for p in _files_at_rest(path.parent) if ".encrypting" in p.name]
    assert left == []
    _assert_nothing_readable(path.parent)


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in _files_at_rest(folder)
    }


def test_another_key_is_refused_with_a_sentence_and_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
        ws.record("m", "judgement", "j1", {"reason": "kept"})
        ws.backup("manual")
    before = _fingerprint(path.parent)
    with pytest.raises(WorkspaceKeyWrong) as caught:
        Workspace.open(path, key=OTHER_KEY, device_id="d")
    message = str(caught.value)
    assert "opens neither it nor its backups" in message
    assert "opened again from its kit and the team's bundles" in message
    assert _fingerprint(path.parent) == before
    with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
        assert ws.field("judgement", "j1", "reason") == "kept"


def test_a_damaged_first_page_is_damage_when_a_backup_opens_with_the_key(
    tmp_path: Path,
) -> None:
    """The backups have the workspace's key: one that opens says the key is right, so it is
    the file that is damaged (the way back is the backup), not the key."""
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
        ws.record("m", "judgement", "j1", {"reason": "kept"})
        backup = ws.backup("manual")
    with open(path, "r+b") as f:
        f.write(b"\x00" * 16)  # the salt: no page can be decrypted
    with pytest.raises(WorkspaceDamaged, match="first page is damaged") as caught:
        Workspace.open(path, key=TEST_KEY, device_id="d")
    assert caught.value.backups == [backup]
