from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import Workspace, WorkspaceError
from storage.migrations import LATEST_VERSION, migrate, user_version


def test_a_fresh_file_reaches_the_newest_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "w.sqlite", isolation_level=None)
    assert migrate(conn) == list(range(1, LATEST_VERSION + 1))
    assert user_version(conn) == LATEST_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "local", "kit_standards", "ops", "field_state", "field_heads"} <= tables
    conn.close()


def test_reopening_is_a_no_op(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "w.sqlite", isolation_level=None)
    migrate(conn)
    schema = list(conn.execute("SELECT sql FROM sqlite_master ORDER BY name"))
    assert migrate(conn) == []
    assert list(conn.execute("SELECT sql FROM sqlite_master ORDER BY name")) == schema
    conn.close()


def test_workspace_open_migrates_and_reopen_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, device_id="d1", create=True) as ws:
        ws.record("m1", "note", "n1", {"text": "hello"})
    with Workspace.open(path, device_id="d1") as ws:
        assert ws.field("note", "n1", "text") == "hello"
        assert ws._conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_a_workspace_from_a_newer_app_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    Workspace.open(path, device_id="d1", create=True).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(WorkspaceError, match="newer Reviewer App"):
        Workspace.open(path, device_id="d1")
