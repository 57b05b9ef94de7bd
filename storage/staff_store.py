"""The programme staff's workspace: one SQLite file for the installation (``staff.sqlite``).

It holds what the review service's office keeps between visits: the standards library (every
imported version of every set), the reviewer pool, visit plans (drafts, as JSON documents the
layer above defines) and a log of the kits built. Plans are documents rather than tables because
a plan is edited as a whole in one window and read back whole; the store only needs to find,
list and keep them safe.

Opened like a visit workspace (``storage.sqlite.open_durable``: encrypted with SQLCipher under
the installation's staff-store key, WAL, ``synchronous=FULL``, foreign keys, ``busy_timeout``, a
check; a file an older version left in the clear is encrypted in place on its first open) with
its own ordered migrations (``MIGRATIONS``, run by ``storage.sqlite.migrate``). Rows are written
and read through sqlite-utils (``upsert``, ``insert``, ``rows_where``); each write is one
``BEGIN IMMEDIATE`` transaction of ours, inside which sqlite-utils' own ``atomic()`` blocks are
savepoints. A later schema change that SQL says badly can be a step that calls
``Database(conn)[table].transform(...)``. One thread owns a ``StaffStore``: the app reaches it
through a worker (``reviewer_app.staff.service``). Imports nothing of ours but ``storage``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import encrypted_sqlite
from storage.sqlite import FileDamaged, SchemaTooNew, Step, open_migrated

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.db import Table

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

MIGRATIONS: list[Step] = [(1, _V1)]
LATEST_VERSION = MIGRATIONS[-1][0]

REVIEWER_FIELDS = ("id", "name", "role", "organisation", "email", "training_date")


class StaffStoreError(Exception):
    """The staff workspace cannot be used; the message says why and what to do."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class StaffStore:
    """The staff workspace file, used from one thread (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        # sqlite-utils is imported here, on the staff worker, not when the window's modules
        # load: importing it takes ~150 ms.
        from sqlite_utils import Database  # noqa: PLC0415

        self._conn = conn
        self._db: Database = Database(conn, recursive_triggers=False, execute_plugins=False)
        self.path = path

    @classmethod
    def open(cls, path: Path, *, key: bytes) -> StaffStore:
        """Open (creating when needed) and migrate the file at ``path``, encrypted with ``key``
        (a plain file an older version wrote is encrypted in place first)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if encrypted_sqlite.is_plain(path):
                encrypted_sqlite.encrypt_plain_database(path, path, key)
            conn = open_migrated(path, MIGRATIONS, what="staff workspace", key=key)
        except encrypted_sqlite.WrongKey as exc:
            raise StaffStoreError(
                f"The staff workspace {path} cannot be opened with the key kept for it (the key "
                "is not the one it was encrypted with, or the start of the file is damaged); it "
                "was not changed: restore it from a backup, or move it aside and start again."
            ) from exc
        except SchemaTooNew as exc:
            raise StaffStoreError(
                f"The staff workspace {path} was written by a newer Reviewer App; update the app."
            ) from exc
        except FileDamaged as exc:
            raise StaffStoreError(
                f"The staff workspace {path} is damaged ({exc.detail}); restore it from a backup."
            ) from exc
        except encrypted_sqlite.DatabaseError as exc:
            raise StaffStoreError(
                f"The staff workspace {path} cannot be read ({exc}); move it aside and start "
                "again, or restore it from a backup."
            ) from exc
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StaffStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One write transaction (taking the write lock at once), committed durably."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _table(self, name: str) -> Table:
        return self._db.table(name)

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
        row = {
            "set_key": set_key,
            "title": title,
            "version": version,
            "date": date,
            "source": source,
            "imported_at": _now(),
            "count": count,
            "doc": json.dumps(doc),
        }
        with self._write():
            return int(self._table("standards_versions").insert(row).last_rowid or 0)

    def standards_versions(self) -> list[dict[str, Any]]:
        """Every version of every set, without the standards: set, then oldest first."""
        return list(
            self._table("standards_versions").rows_where(
                select="id, set_key, title, version, date, source, imported_at, count",
                order_by="set_key, id",
            )
        )

    def standards_doc(self, version_id: int) -> dict[str, Any] | None:
        for row in self._table("standards_versions").rows_where(
            "id = ?", [version_id], select="doc"
        ):
            return dict(json.loads(row["doc"]))
        return None

    def replace_standards_doc(self, version_id: int, doc: Mapping[str, Any]) -> None:
        """Change a kept version in place (marking key standards; nothing else changes it)."""
        from sqlite_utils.db import NotFoundError  # noqa: PLC0415 (see __init__)

        with self._write(), contextlib.suppress(NotFoundError):  # gone already: nothing to mark
            self._table("standards_versions").update(version_id, {"doc": json.dumps(doc)})

    def delete_standards_version(self, version_id: int) -> None:
        with self._write():
            self._table("standards_versions").delete_where("id = ?", [version_id])

    # -- the reviewer pool ----------------------------------------------------------------------

    def reviewers(self) -> list[dict[str, str]]:
        rows = self._table("reviewers").rows_where(
            select=", ".join(REVIEWER_FIELDS), order_by="position, name"
        )
        return [{f: str(r[f]) for f in REVIEWER_FIELDS} for r in rows]

    def put_reviewers(self, reviewers: Sequence[Mapping[str, str]]) -> None:
        """Add or replace reviewers by id; new ones go to the end of the list (a reviewer
        already there keeps their place)."""
        table = self._table("reviewers")
        with self._write() as db:
            start = db.execute("SELECT COALESCE(MAX(position), 0) FROM reviewers").fetchone()[0]
            known = {str(r["id"]) for r in table.rows_where(select="id")}
            new, changed = [], []
            for i, given in enumerate(reviewers, start=1):
                row: dict[str, Any] = {f: str(given.get(f, "")) for f in REVIEWER_FIELDS}
                if row["id"] in known:
                    changed.append(row)
                else:
                    known.add(row["id"])
                    new.append({**row, "position": start + i})
            table.insert_all(new, pk="id")
            table.upsert_all(changed, pk="id")

    def delete_reviewer(self, reviewer_id: str) -> None:
        with self._write():
            self._table("reviewers").delete_where("id = ?", [reviewer_id])

    # -- visit plans ----------------------------------------------------------------------------

    def plans(self) -> list[dict[str, Any]]:
        """Every plan's id, visit id, title, date and last change, the visit soonest first."""
        return list(
            self._table("plans").rows_where(
                select="id, visit_id, title, start_date, updated_at", order_by="start_date, title"
            )
        )

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        for row in self._table("plans").rows_where("id = ?", [plan_id], select="doc"):
            return dict(json.loads(row["doc"]))
        return None

    def put_plan(
        self, plan_id: str, doc: Mapping[str, Any], *, visit_id: str, title: str, start_date: str
    ) -> None:
        row = {
            "id": plan_id,
            "visit_id": visit_id,
            "title": title,
            "start_date": start_date,
            "updated_at": _now(),
            "doc": json.dumps(doc),
        }
        with self._write():
            self._table("plans").upsert(row, pk="id")

    def delete_plan(self, plan_id: str) -> None:
        with self._write():
            self._table("plans").delete_where("id = ?", [plan_id])

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
        row = {
            "plan_id": plan_id,
            "visit_id": visit_id,
            "kit_id": kit_id,
            "path": path,
            "built_at": _now(),
            "size": size,
            "key_id": key_id,
            "summary": json.dumps(summary),
        }
        with self._write():
            self._table("kits_built").insert(row)

    def kits(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        """Kits built, oldest first (only the plan's, given ``plan_id``)."""
        where, args = ("plan_id = ?", [plan_id]) if plan_id is not None else (None, None)
        rows = self._table("kits_built").rows_where(
            where,
            args,
            select="plan_id, visit_id, kit_id, path, built_at, size, key_id, summary",
            order_by="id",
        )
        return [{**row, "summary": json.loads(row["summary"])} for row in rows]
