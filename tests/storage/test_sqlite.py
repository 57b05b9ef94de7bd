"""``storage.sqlite``: the durable open and the migration runner, on real files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import encrypted_sqlite
from storage.sqlite import SchemaTooNew, Step, migrate, open_durable, user_version
from tests.keys import TEST_KEY

STEPS: list[Step] = [
    (1, "CREATE TABLE reviewers (id TEXT PRIMARY KEY, name TEXT NOT NULL);"),
    (2, "CREATE TABLE plans (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"),
]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = open_durable(tmp_path / "file.sqlite", key=TEST_KEY)
    yield c
    c.close()


def test_the_open_is_durable(conn: sqlite3.Connection) -> None:
    pragmas = {
        p: conn.execute(f"PRAGMA {p}").fetchone()[0]
        for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
    assert conn.isolation_level is None  # every transaction is explicit


def test_the_cache_is_the_callers(tmp_path: Path) -> None:
    conn = open_durable(tmp_path / "big.sqlite", key=TEST_KEY, cache_kib=32000)
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -32000
    conn.close()


def test_steps_run_once_in_order(conn: sqlite3.Connection) -> None:
    assert migrate(conn, STEPS) == [1, 2]
    assert migrate(conn, STEPS) == []
    assert user_version(conn) == 2 and {"reviewers", "plans"} <= _tables(conn)


def test_a_failing_step_leaves_the_file_as_it_was(conn: sqlite3.Connection) -> None:
    migrate(conn, STEPS[:1])
    conn.execute("INSERT INTO reviewers VALUES ('r1', 'Ada')")
    broken: list[Step] = [
        *STEPS[:1],
        (2, "CREATE TABLE plans (id TEXT PRIMARY KEY);\nDELETE FROM reviewers;\nNOT SQL;"),
    ]
    with pytest.raises(encrypted_sqlite.OperationalError):
        migrate(conn, broken)
    assert user_version(conn) == 1
    assert "plans" not in _tables(conn)
    assert conn.execute("SELECT name FROM reviewers").fetchall() == [("Ada",)]
    assert not conn.in_transaction
    assert migrate(conn, STEPS) == [2]  # the fixed step runs next time


def test_a_step_may_be_a_function_such_as_a_sqlite_utils_transform(
    conn: sqlite3.Connection,
) -> None:
    migrate(conn, STEPS)
    conn.execute("INSERT INTO reviewers VALUES ('r1', 'Ada')")

    def rename_name(c: sqlite3.Connection) -> None:
        Database(c, execute_plugins=False).table("reviewers").transform(
            rename={"name": "full_name"}
        )

    assert migrate(conn, [*STEPS, (3, rename_name)]) == [3]
    assert conn.execute("SELECT full_name FROM reviewers").fetchall() == [("Ada",)]
    assert user_version(conn) == 3


def test_a_failing_function_step_is_rolled_back_whole(conn: sqlite3.Connection) -> None:
    migrate(conn, STEPS)

    def half(c: sqlite3.Connection) -> None:
        c.execute("DROP TABLE plans")
        raise ValueError("a fault in the step")

    with pytest.raises(ValueError, match="fault"):
        migrate(conn, [*STEPS, (3, half)])
    assert user_version(conn) == 2 and "plans" in _tables(conn)


def test_a_file_from_a_newer_app_is_refused_and_left_alone(conn: sqlite3.Connection) -> None:
    migrate(conn, STEPS)
    conn.execute("PRAGMA user_version = 7")
    with pytest.raises(SchemaTooNew, match=r"this staff workspace .*newer Reviewer App"):
        migrate(conn, STEPS, what="staff workspace")
    assert user_version(conn) == 7


def test_a_new_file_killed_while_created_is_created_whole_at_the_next_open(
    tmp_path: Path,
) -> None:
    # A new file's steps run as one transaction: a process killed in the last step leaves
    # nothing half made (no table of the first step without its version), and the next
    # open creates it from scratch.
    file = tmp_path / "new.sqlite"
    child = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from pathlib import Path
from storage.sqlite import migrate, open_durable
from tests.keys import TEST_KEY
conn = open_durable(Path({str(file)!r}), key=TEST_KEY)
conn.create_function("die", 0, lambda: os._exit(9))
migrate(conn, [*{STEPS!r}, (3, "CREATE TABLE notes (id TEXT); SELECT die();")])
"""
    done = subprocess.run([sys.executable, "-c", child], check=False, timeout=60)
    assert done.returncode == 9
    conn = open_durable(file, key=TEST_KEY)
    try:
        assert user_version(conn) == 0 and _tables(conn) == set()
        assert migrate(conn, STEPS) == [1, 2]
        assert user_version(conn) == 2 and _tables(conn) == {"reviewers", "plans"}
    finally:
        conn.close()


def test_a_failing_step_of_a_new_file_leaves_it_empty(conn: sqlite3.Connection) -> None:
    broken: list[Step] = [*STEPS, (3, "CREATE TABLE notes (id TEXT);\nNOT SQL;")]
    with pytest.raises(encrypted_sqlite.OperationalError):
        migrate(conn, broken)
    assert user_version(conn) == 0 and _tables(conn) == set()
    assert not conn.in_transaction
    assert migrate(conn, STEPS) == [1, 2]
