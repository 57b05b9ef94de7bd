"""The programme staff's workspace: one SQLite file for the installation (``staff.sqlite``).

It holds what the review service's office keeps between visits: the standards library (every
imported version of every set), the reviewer pool, visit plans (drafts, as JSON documents the
layer above defines) and a log of the kits built. Plans are documents rather than tables because
a plan is edited as a whole in one window and read back whole; the store only needs to find,
list and keep them safe.

Opened like a visit workspace (WAL, ``synchronous=FULL``, foreign keys, ``busy_timeout``) with
ordered migrations keyed on ``PRAGMA user_version``. One thread owns a ``StaffStore``: the app
reaches it through a worker (``reviewer_app.staff.service``). Imports nothing of ours.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_V1 = """
CREATE TABLE standards_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    set_key     TEXT NOT NULL,            -- which set this is a version of (a slug)
    title       TEXT NOT NULL,
    version     TEXT NOT NULL,
    date        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '', -- the file it was imported from
    imported_at TEXT NOT NULL,
    count       INTEGER NOT NULL,
    doc         TEXT NOT NULL             -- JSON: the set as a kit's standards.json holds it
);
CREATE INDEX standards_versions_by_set ON standards_versions(set_key, id);

CREATE TABLE reviewers (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT '',
    organisation  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    training_date TEXT NOT NULL DEFAULT '',
    position      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE plans (
    id         TEXT PRIMARY KEY NOT NULL,
    visit_id   TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    doc        TEXT NOT NULL              -- JSON: the plan
);

CREATE TABLE kits_built (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id    TEXT NOT NULL,
    visit_id   TEXT NOT NULL,
    kit_id     TEXT NOT NULL UNIQUE,
    path       TEXT NOT NULL,
    built_at   TEXT NOT NULL,
    size       INTEGER NOT NULL,
    key_id     TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '{}' -- JSON: counts
);
CREATE INDEX kits_built_by_plan ON kits_built(plan_id, id);
"""

MIGRATIONS: list[tuple[int, str]] = [(1, _V1)]
LATEST_VERSION = MIGRATIONS[-1][0]

REVIEWER_FIELDS = ("id", "name", "role", "organisation", "email", "training_date")


class StaffStoreError(Exception):
    """The staff workspace cannot be used; the message says why and what to do."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class StaffStore:
    """The staff workspace file, used from one thread (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> StaffStore:
        """Open (creating when needed) and migrate the file at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StaffStoreError(
                f"The staff workspace {path} cannot be read ({exc}); move it aside and start "
                "again, or restore it from a backup."
            ) from exc
        if ok != "ok":
            conn.close()
            raise StaffStoreError(
                f"The staff workspace {path} is damaged ({ok}); restore it from a backup."
            )
        _migrate(conn, path)
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StaffStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- the standards library ----------------------------------------------------------------

    def add_standards_version(
        self,
        *,
        set_key: str,
        title: str,
        version: str,
        date: str,
        source: str,
        doc: Mapping[str, Any],
        count: int,
    ) -> int:
        """Keep one imported version of a set; returns its id (versions are never overwritten)."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO standards_versions "
                "(set_key, title, version, date, source, imported_at, count, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (set_key, title, version, date, source, _now(), count, json.dumps(doc)),
            )
            return int(cur.lastrowid or 0)

    def standards_versions(self) -> list[dict[str, Any]]:
        """Every version of every set, without the standards: set, then oldest first."""
        rows = self._conn.execute(
            "SELECT id, set_key, title, version, date, source, imported_at, count "
            "FROM standards_versions ORDER BY set_key, id"
        )
        keys = ("id", "set_key", "title", "version", "date", "source", "imported_at", "count")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def standards_doc(self, version_id: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT doc FROM standards_versions WHERE id = ?", (version_id,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def replace_standards_doc(self, version_id: int, doc: Mapping[str, Any]) -> None:
        """Change a kept version in place (marking key standards; nothing else changes it)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE standards_versions SET doc = ? WHERE id = ?", (json.dumps(doc), version_id)
            )

    def delete_standards_version(self, version_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM standards_versions WHERE id = ?", (version_id,))

    # -- the reviewer pool ----------------------------------------------------------------------

    def reviewers(self) -> list[dict[str, str]]:
        cols = ", ".join(REVIEWER_FIELDS)
        rows = self._conn.execute(f"SELECT {cols} FROM reviewers ORDER BY position, name")
        return [dict(zip(REVIEWER_FIELDS, r, strict=True)) for r in rows]

    def put_reviewers(self, reviewers: Sequence[Mapping[str, str]]) -> None:
        """Add or replace reviewers by id; new ones go to the end of the list."""
        cols = ", ".join(REVIEWER_FIELDS)
        marks = ", ".join("?" for _ in REVIEWER_FIELDS)
        updates = ", ".join(f"{f} = excluded.{f}" for f in REVIEWER_FIELDS[1:])
        with self._write() as conn:
            start = conn.execute("SELECT COALESCE(MAX(position), 0) FROM reviewers").fetchone()[0]
            conn.executemany(
                f"INSERT INTO reviewers ({cols}, position) VALUES ({marks}, ?) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}",
                [
                    (*(str(r.get(f, "")) for f in REVIEWER_FIELDS), start + i)
                    for i, r in enumerate(reviewers, start=1)
                ],
            )

    def delete_reviewer(self, reviewer_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM reviewers WHERE id = ?", (reviewer_id,))

    # -- visit plans ----------------------------------------------------------------------------

    def plans(self) -> list[dict[str, Any]]:
        """Every plan's id, visit id, title, date and last change, the visit soonest first."""
        rows = self._conn.execute(
            "SELECT id, visit_id, title, start_date, updated_at FROM plans "
            "ORDER BY start_date, title"
        )
        keys = ("id", "visit_id", "title", "start_date", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT doc FROM plans WHERE id = ?", (plan_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put_plan(
        self, plan_id: str, doc: Mapping[str, Any], *, visit_id: str, title: str, start_date: str
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO plans (id, visit_id, title, start_date, updated_at, doc) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "visit_id = excluded.visit_id, title = excluded.title, "
                "start_date = excluded.start_date, updated_at = excluded.updated_at, "
                "doc = excluded.doc",
                (plan_id, visit_id, title, start_date, _now(), json.dumps(doc)),
            )

    def delete_plan(self, plan_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM plans WHERE id = ?", (plan_id,))

    # -- kits built -----------------------------------------------------------------------------

    def log_kit(
        self,
        *,
        plan_id: str,
        visit_id: str,
        kit_id: str,
        path: str,
        size: int,
        key_id: str,
        summary: Mapping[str, Any],
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO kits_built "
                "(plan_id, visit_id, kit_id, path, built_at, size, key_id, summary) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (plan_id, visit_id, kit_id, path, _now(), size, key_id, json.dumps(summary)),
            )

    def kits(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        """Kits built, oldest first (only the plan's, given ``plan_id``)."""
        sql = (
            "SELECT plan_id, visit_id, kit_id, path, built_at, size, key_id, summary "
            "FROM kits_built"
        )
        args: tuple[str, ...] = ()
        if plan_id is not None:
            sql += " WHERE plan_id = ?"
            args = (plan_id,)
        keys = ("plan_id", "visit_id", "kit_id", "path", "built_at", "size", "key_id")
        out = []
        for row in self._conn.execute(sql + " ORDER BY id", args):
            item: dict[str, Any] = dict(zip(keys, row[:7], strict=True))
            item["summary"] = json.loads(row[7])
            out.append(item)
        return out


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > LATEST_VERSION:
        conn.close()
        raise StaffStoreError(
            f"The staff workspace {path} was written by a newer Reviewer App; update the app."
        )
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
