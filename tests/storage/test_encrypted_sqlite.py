"""SQLCipher workspaces: nothing of what is written can be read from the file, a wrong key is
refused with a sentence, and a plain file is encrypted in place so that a kill -9 at any moment
leaves a database that opens with everything in it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlite_utils

from storage.encrypted_sqlite import (
    DatabaseError,
    EncryptionFailed,
    NotEncrypted,
    WrongKey,
    connect,
    encrypt_plain_database,
    is_encrypted,
    is_plain,
)

REPO = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SENTENCE = "The ward sister said the resuscitation trolley was not checked on Tuesday"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + os.urandom(64)


def raw_bytes(path: Path) -> bytes:
    """The file and whatever SQLite keeps beside it."""
    return b"".join(
        Path(f"{path}{side}").read_bytes()
        for side in ("", "-wal", "-journal")
        if Path(f"{path}{side}").exists()
    )


def make_plain(path: Path, rows: int = 50) -> None:
    """A plain workspace-like file: WAL, JSON, FTS5, AUTOINCREMENT, a user_version."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        """
        PRAGMA journal_mode = WAL;
        CREATE TABLE ops (id INTEGER PRIMARY KEY AUTOINCREMENT, value TEXT, photo BLOB);
        CREATE INDEX ops_value ON ops(value);
        CREATE VIRTUAL TABLE notes USING fts5(body);
        CREATE VIEW op_count AS SELECT count(*) AS n FROM ops;
        PRAGMA user_version = 17;
        """
    )
    conn.execute("BEGIN")
    for i in range(rows):
        conn.execute(
            "INSERT INTO ops (value, photo) VALUES (?, ?)",
            (f'{{"n": {i}, "text": "{SENTENCE} {i}"}}', JPEG + b"x" * (i % 7) * 500),
        )
        conn.execute("INSERT INTO notes (body) VALUES (?)", (f"{SENTENCE} {i}",))
    conn.execute("COMMIT")
    conn.close()


def check_contents(conn: sqlite3.Connection, rows: int = 50) -> None:
    assert conn.execute("SELECT count(*) FROM ops").fetchone()[0] == rows
    assert conn.execute("SELECT n FROM op_count").fetchone()[0] == rows
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 17
    found = conn.execute("SELECT count(*) FROM notes WHERE notes MATCH 'trolley'").fetchone()
    assert found[0] == rows
    last = conn.execute("SELECT json_extract(value, '$.n') FROM ops ORDER BY id DESC").fetchone()
    assert last[0] == rows - 1


def test_sqlite_utils_writes_through_it_and_the_file_shows_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    conn = connect(path, KEY)
    assert conn.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.execute("PRAGMA synchronous = FULL")
    db = sqlite_utils.Database(conn)
    notes = db.table("notes")
    # No ``alter=True``: sqlite-utils catches only sqlite3's OperationalError to add a column
    # (docs/encryption.md); the staff store, its one user here, declares its columns.
    notes.create({"id": int, "text": str, "meta": str, "photo": bytes}, pk="id")
    notes.insert({"id": 1, "text": SENTENCE, "meta": '{"room": "B4"}'})
    notes.upsert({"id": 1, "text": SENTENCE + " again"}, pk="id")
    notes.insert({"id": 2, "text": "photo", "photo": JPEG})
    notes.transform(types={"meta": str}, drop={"nothing"})  # what migrations use
    notes.enable_fts(["text"], fts_version="FTS5")
    rows = list(db.query("SELECT text, json_extract(meta, '$.room') AS room FROM notes"))
    assert rows[0] == {"text": SENTENCE + " again", "room": "B4"}
    assert [r["id"] for r in notes.search("trolley")] == [1]
    assert notes.count == 2
    raw = raw_bytes(path)  # with the write-ahead log still beside it
    conn.close()
    raw += raw_bytes(path)
    assert SENTENCE.encode() not in raw and b"trolley" not in raw
    assert JPEG[:16] not in raw  # (not a 3-byte marker: random bytes hold one by chance)
    assert is_encrypted(path) and not is_plain(path)

    plain = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        plain.execute("SELECT * FROM sqlite_master").fetchall()
    plain.close()

    again = connect(path, KEY)  # the same key opens it again, with everything in it
    assert again.execute("SELECT text FROM notes WHERE id = 1").fetchone()[0] == SENTENCE + " again"
    again.close()


def test_a_wrong_key_is_refused_at_once_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    conn = connect(path, KEY)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(WrongKey) as refused:
        connect(path, OTHER_KEY)
    assert str(refused.value) == (
        f"{path} cannot be opened with the key kept for it: either the key is not the one it "
        "was encrypted with, or the start of the file is damaged."
    )
    with pytest.raises(ValueError, match="32 bytes"):
        connect(path, b"short")


def test_a_plain_file_opened_with_a_key_says_it_is_not_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite"
    make_plain(path, rows=3)
    assert is_plain(path) and not is_encrypted(path)
    assert not is_encrypted(tmp_path / "none.sqlite")
    with pytest.raises(NotEncrypted, match="is not encrypted yet"):
        connect(path, KEY)


def test_errors_of_either_kind_of_connection_are_caught_by_the_shared_tuples(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "a.sqlite", KEY)
    with pytest.raises(DatabaseError):
        conn.execute("SELECT * FROM nowhere")
    conn.close()


def test_a_plain_workspace_is_encrypted_in_place_with_progress(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    make_plain(path)
    assert SENTENCE.encode() in raw_bytes(path)
    stages: list[str] = []
    encrypt_plain_database(path, path, KEY, lambda stage, _d, _t: stages.append(stage))
    assert stages[0] == "encrypting" and stages[-1] == "done"
    assert {"verifying", "replacing"} <= set(stages)
    raw = raw_bytes(path)
    assert SENTENCE.encode() not in raw and b"\xff\xd8\xff" not in raw
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workspace.sqlite"]
    conn = connect(path, KEY)
    check_contents(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    db = sqlite_utils.Database(conn)
    db.table("ops").insert({"value": "after"})  # AUTOINCREMENT carried on from where it was
    assert conn.execute("SELECT max(id) FROM ops").fetchone()[0] == 51
    conn.close()
    # Asked again (the next open after a kill), it only checks the key.
    encrypt_plain_database(path, path, KEY)
    with pytest.raises(WrongKey):
        encrypt_plain_database(path, path, OTHER_KEY)


def test_encrypting_into_another_file_removes_the_plain_one_after_the_check(
    tmp_path: Path,
) -> None:
    plain, encrypted = tmp_path / "workspace.sqlite", tmp_path / "workspace.db"
    make_plain(plain)
    encrypt_plain_database(plain, encrypted, KEY)
    assert not plain.exists() and not Path(f"{plain}-wal").exists()
    conn = connect(encrypted, KEY)
    check_contents(conn)
    conn.close()


def test_a_copy_that_does_not_match_is_not_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.encrypted_sqlite as module

    path = tmp_path / "workspace.sqlite"
    make_plain(path)
    real = module._contents
    calls: list[int] = []

    def drifting(conn: object, schema: str = "main") -> object:
        tables, schema_rows, version, app_id = real(conn, schema)
        calls.append(1)
        if len(calls) == 2:  # the check of the copy: one row short
            tables = {**tables, "ops": tables["ops"] - 1}
        return tables, schema_rows, version, app_id

    monkeypatch.setattr(module, "_contents", drifting)
    with pytest.raises(EncryptionFailed, match="left as it was, unencrypted"):
        encrypt_plain_database(path, path, KEY)
    assert is_plain(path) and sorted(p.name for p in tmp_path.iterdir()) == ["workspace.sqlite"]


CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from storage.encrypted_sqlite import encrypt_plain_database

    seen = []
    def progress(stage, done, total):
        seen.append(stage)
        if stage == {stage!r} and seen.count(stage) == {nth}:
            print("paused at", stage, flush=True)
            time.sleep(60)
    encrypt_plain_database(Path({plain!r}), Path({encrypted!r}), bytes(range(32)), progress)
    print("finished", flush=True)
    """
)


def run_and_kill(plain: Path, encrypted: Path, stage: str, nth: int = 1) -> None:
    """Encrypt in a child process, SIGKILL it where it reports ``stage`` the ``nth`` time."""
    script = CHILD.format(
        repo=str(REPO), stage=stage, nth=nth, plain=str(plain), encrypted=str(encrypted)
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("paused at"), line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()


def open_whatever_is_there(plain: Path, encrypted: Path, rows: int) -> str:
    """The database a killed run left: the plain one (read with sqlite3) or the encrypted one;
    either holds every row."""
    if is_encrypted(encrypted):
        conn = connect(encrypted, KEY)
        left = "encrypted"
    else:
        conn = sqlite3.connect(plain)
        left = "plain"
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check_contents(conn, rows)
    finally:
        conn.close()
    return left


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL needs a POSIX system")
@pytest.mark.parametrize(
    ("stage", "nth", "two_files", "left"),
    [
        ("encrypting", 10, False, "plain"),  # in the middle of the export
        ("verifying", 1, False, "plain"),
        ("replacing", 1, False, "plain"),  # checked and flushed, not yet renamed
        ("done", 1, False, "encrypted"),
        ("encrypting", 10, True, "plain"),
        ("removing", 1, True, "encrypted"),  # renamed; the plain file not yet removed
    ],
)
def test_a_kill_during_encryption_leaves_a_database_that_opens_with_everything(
    tmp_path: Path, stage: str, nth: int, two_files: bool, left: str
) -> None:
    rows = 3000  # a few MB, so that the export reports progress more than once
    plain = tmp_path / "workspace.sqlite"
    encrypted = tmp_path / "workspace.db" if two_files else plain
    make_plain(plain, rows)
    started = time.monotonic()
    run_and_kill(plain, encrypted, stage, nth)
    assert time.monotonic() - started < 60
    assert open_whatever_is_there(plain, encrypted, rows) == left

    encrypt_plain_database(plain, encrypted, KEY)  # the next open finishes the job
    conn = connect(encrypted, KEY)
    check_contents(conn, rows)
    conn.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [encrypted.name], names  # no temporary file, no plain file left
