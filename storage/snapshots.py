"""Finalised snapshots in the workspace: written once, read many times, never changed.

The table and its triggers are migration 3 (``storage.migrations``): SQLite itself refuses an
UPDATE or DELETE of a snapshot and an insert that is not the next version superseding the
latest, so no code path (ours or a future one) can alter a finalised snapshot. Amending means
inserting version n+1.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

COLUMNS = (
    "snapshot_id",
    "version",
    "supersedes",
    "content_sha256",
    "findings_json",
    "report_sha256",
    "signed_off_by",
    "signed_off_at",
    "created_at",
)


class SnapshotRefused(Exception):
    """The database refused a snapshot write (not the next version, or a change to one)."""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One stored snapshot. ``findings_json`` are the canonical bytes its hash is taken of."""

    snapshot_id: str
    version: int
    supersedes: str | None
    content_sha256: str
    findings_json: bytes
    report_sha256: str | None
    signed_off_by: str
    signed_off_at: str
    created_at: str


def _row(values: tuple[object, ...]) -> SnapshotRow:
    (sid, version, supersedes, sha, body, report, by, at, created) = values
    return SnapshotRow(
        snapshot_id=str(sid),
        version=int(str(version)),
        supersedes=None if supersedes is None else str(supersedes),
        content_sha256=str(sha),
        findings_json=bytes(body) if isinstance(body, bytes | bytearray | memoryview) else b"",
        report_sha256=None if report is None else str(report),
        signed_off_by=str(by),
        signed_off_at=str(at),
        created_at=str(created),
    )


_SELECT = f"SELECT {', '.join(COLUMNS)} FROM snapshots"


def list_snapshots(conn: sqlite3.Connection) -> list[SnapshotRow]:
    """Every snapshot, oldest (version 1) first."""
    return [_row(r) for r in conn.execute(f"{_SELECT} ORDER BY version")]


def get_snapshot(conn: sqlite3.Connection, snapshot_id: str) -> SnapshotRow | None:
    row = conn.execute(f"{_SELECT} WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    return None if row is None else _row(row)


def latest_snapshot(conn: sqlite3.Connection) -> SnapshotRow | None:
    row = conn.execute(f"{_SELECT} ORDER BY version DESC LIMIT 1").fetchone()
    return None if row is None else _row(row)


def insert_snapshot(conn: sqlite3.Connection, row: SnapshotRow) -> None:
    """Insert inside the caller's transaction; SnapshotRefused when the triggers refuse it."""
    values = (
        row.snapshot_id,
        row.version,
        row.supersedes,
        row.content_sha256,
        row.findings_json,
        row.report_sha256,
        row.signed_off_by,
        row.signed_off_at,
        row.created_at,
    )
    marks = ", ".join("?" for _ in COLUMNS)
    try:
        conn.execute(f"INSERT INTO snapshots ({', '.join(COLUMNS)}) VALUES ({marks})", values)
    except sqlite3.IntegrityError as exc:
        raise SnapshotRefused(str(exc)) from exc
