"""Page sizes: a new workspace has 16 KB pages, and every file opens whatever its page size,
including one made before (4 KB) with a write-ahead log a killed writer left behind; a wrong
key is still told apart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage import Workspace, encrypted_sqlite
from storage.encrypted_sqlite import (
    DEFAULT_PAGE_SIZE,
    LARGE_PAGE_SIZE,
    PAGE_SIZES,
    WrongKey,
    connect,
)
from storage.workspace import WAL_CHECKPOINT_BYTES
from tests.keys import TEST_KEY

REPO = Path(__file__).resolve().parents[2]
OTHER_KEY = bytes(range(1, 33))


def page_size(conn: object) -> int:
    return int(conn.execute("PRAGMA page_size").fetchone()[0])  # type: ignore[attr-defined]


def killed_writer(path: Path, size: int, rows: int = 500) -> None:
    """A file of ``size``-byte pages whose writer was killed: its rows only in the log."""
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from storage.encrypted_sqlite import connect
        conn = connect(Path({str(path)!r}), bytes(range(32)), page_size={size})
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO notes VALUES (?)", [(f"note {{i}}",) for i in range({rows})])
        conn.execute("COMMIT")
        os._exit(0)  # no close: no checkpoint
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True)


@pytest.mark.parametrize("size", PAGE_SIZES)
@pytest.mark.parametrize("first", PAGE_SIZES)
def test_a_file_opens_whatever_size_is_tried_first(tmp_path: Path, size: int, first: int) -> None:
    path = tmp_path / "a.sqlite"
    killed_writer(path, size)
    assert Path(f"{path}-wal").stat().st_size > 0
    conn = connect(path, TEST_KEY, page_size=first)
    try:
        assert page_size(conn) == size
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 500
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_a_wrong_key_is_refused_whatever_the_page_size(tmp_path: Path, size: int) -> None:
    path = tmp_path / "a.sqlite"
    killed_writer(path, size)
    for first in PAGE_SIZES:
        with pytest.raises(WrongKey):
            connect(path, OTHER_KEY, page_size=first)
    conn = connect(path, TEST_KEY)  # the refusals changed nothing
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 500
    conn.close()


def test_a_new_workspace_and_its_backups_have_large_pages(tmp_path: Path) -> None:
    path = tmp_path / "w" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
        ws.record("m1", "note", "n1", {"text": "kept"})
        backup = ws.backup("manual")
    for file in (path, backup):
        conn = connect(file, TEST_KEY)
        assert page_size(conn) == LARGE_PAGE_SIZE
        conn.close()


def test_a_workspace_made_with_small_pages_keeps_them_and_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w" / "workspace.sqlite"
    with monkeypatch.context() as patch:  # as a workspace made before large pages
        patch.setattr(encrypted_sqlite, "LARGE_PAGE_SIZE", DEFAULT_PAGE_SIZE)
        with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
            ws.record("m1", "note", "n1", {"text": "kept"})
    with Workspace.open(path, key=TEST_KEY, device_id="d1") as ws:
        assert ws.field("note", "n1", "text") == "kept"
        ws.record("m1", "note", "n2", {"text": "added"})
        backup = ws.backup("manual")
    with Workspace.open(path, key=TEST_KEY, device_id="d1") as ws:
        assert ws.field("note", "n2", "text") == "added"
    for file in (path, backup):
        conn = connect(file, TEST_KEY)
        assert page_size(conn) == DEFAULT_PAGE_SIZE
        conn.close()


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_a_connection_made_elsewhere_is_keyed_for_the_files_page_size(
    tmp_path: Path, size: int
) -> None:
    import sqlcipher3  # noqa: PLC0415 (what a tool that opens the file itself uses)

    path = tmp_path / "a.sqlite"
    killed_writer(path, size)
    conn = sqlcipher3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        encrypted_sqlite.apply_key(conn, TEST_KEY, path)
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 500
    finally:
        conn.close()


def test_the_log_of_a_large_page_workspace_is_folded_back_at_4_mb(tmp_path: Path) -> None:
    """SQLite's threshold is in pages: with 16 KB pages, left as it is, the log would grow to
    16 MB before an edit copies it back (a long edit), and take that room on disk."""
    path = tmp_path / "w" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
        for i in range(200):  # a few pages each: ~12 MB written through the log
            ws.record("m1", "note", f"n{i}", {"text": "x" * 2000})
        log_size = Path(f"{path}-wal").stat().st_size
    assert log_size < WAL_CHECKPOINT_BYTES + 16 * LARGE_PAGE_SIZE  # (and the last edit)
