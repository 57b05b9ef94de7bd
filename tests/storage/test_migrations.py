from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import Workspace, WorkspaceError, encrypted_sqlite
from storage.migrations import LATEST_VERSION, migrate, user_version
from tests.keys import TEST_KEY


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
    with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
        ws.record("m1", "note", "n1", {"text": "hello"})
    with Workspace.open(path, key=TEST_KEY, device_id="d1") as ws:
        assert ws.field("note", "n1", "text") == "hello"
        assert ws._conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_a_workspace_from_a_newer_app_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    Workspace.open(path, key=TEST_KEY, device_id="d1", create=True).close()
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(WorkspaceError, match="newer Reviewer App"):
        Workspace.open(path, key=TEST_KEY, device_id="d1")


def test_a_version_1_workspace_keeps_its_standards_and_loses_the_full_text_index(
    tmp_path: Path,
) -> None:
    """Version 7 drops the standards' FTS index (searched in memory now): the standards stay,
    and storing a kit no longer feeds an index (no triggers left behind to fail)."""
    from storage.migrations import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "w.sqlite", isolation_level=None)
    conn.executescript(f"BEGIN;{MIGRATIONS[0][1]}\nPRAGMA user_version = 1;COMMIT;")
    conn.execute("INSERT INTO kit_sections (position, name) VALUES (0, 'Staffing')")
    insert = (
        "INSERT INTO kit_standards (ref, position, section, title, requirement, parts_json, "
        "evidence_expected, key_standard, applies_to_json, notes_json) VALUES "
        "(?, ?, 'Staffing', 'Lead', 'A lead consultant', '[]', '', 0, '[]', '[]')"
    )
    conn.execute(insert, ("HN-201", 0))
    assert migrate(conn) == list(range(2, LATEST_VERSION + 1))
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert not {n for n in names if "fts" in n}, names
    conn.execute(insert, ("HN-202", 1))
    conn.execute("DELETE FROM kit_standards WHERE ref = 'HN-201'")
    assert [r[0] for r in conn.execute("SELECT ref FROM kit_standards")] == ["HN-202"]
    conn.close()


def test_a_version_5_workspace_remembers_a_child_that_came_before_its_parent(
    tmp_path: Path,
) -> None:
    """Version 6 drops the index on ``base``: a child stored before its parent must still keep
    the parent from being a head (a conflict nobody made) once the parent comes."""
    from storage.migrations import MIGRATIONS
    from storage.oplog import insert_ops

    path = tmp_path / "w.sqlite"
    with Workspace.open(tmp_path / "a.sqlite", key=TEST_KEY, device_id="a", create=True) as author:
        (parent,) = author.record("m", "note", "n", {"text": "v1"})
        (child,) = author.record("m", "note", "n", {"text": "v2"})
        expected = author.canonical_state()
    conn = sqlite3.connect(path, isolation_level=None)
    for version, sql in MIGRATIONS[:5]:
        conn.executescript(f"BEGIN;{sql}\nPRAGMA user_version = {version};COMMIT;")
    # Version 5 stored the child alone, as its own derivation left it (a head, the winner).
    conn.execute(
        "INSERT INTO ops (op_id, hlc, device_id, member_id, entity, entity_id, field, value, "
        "base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        child.row(),
    )
    conn.execute(
        "INSERT INTO field_state VALUES ('note', 'n', 'text', '\"v2\"', ?, ?, ?, 'm')",
        (child.op_id, child.hlc, child.device_id),
    )
    conn.execute("INSERT INTO field_heads VALUES ('note', 'n', 'text', ?)", (child.op_id,))
    conn.close()
    with Workspace.open(path, key=TEST_KEY, device_id="b") as ws:
        with ws.transaction() as c:
            insert_ops(c, [parent])
        assert ws.conflicts() == []
        assert ws.canonical_state() == expected
        assert ws._conn.execute("SELECT count(*) FROM early_bases").fetchone()[0] == 0
