"""Finalised snapshots in the workspace: written once, read many times, never changed.

The table and its triggers are migration 3 (``storage.migrations``): SQLite itself refuses an
UPDATE or DELETE of a snapshot and an insert that is not the next version superseding the
latest, so no code path (ours or a future one) can alter a finalised snapshot. Amending means
inserting version n+1.

Every snapshot has an **outbox item** (``snapshot_outbox``), written by :func:`insert_snapshot`
in the caller's transaction, so no crash leaves a finalised version that is never sent
(DESIGN.md "Finalised findings"). The item says the version must go to the central service;
``handed_over_at`` is set once the app has put it in the installation's sending queue
(``sync.outbox``), which a crash between the two cannot lose: an item not yet handed over is
handed over again. A workspace finalised by an older app may hold a snapshot without an item:
:func:`queue_orphans` (run when the workspace is opened) gives it one.

Every snapshot is signed with the lead's device key (DESIGN.md "Finalised findings"): its
``snapshot_signatures`` row (migration 5) holds the public key and the signature over the exact
``findings_json`` bytes, and :func:`insert_snapshot` writes it in the snapshot's transaction. A
snapshot an older app finalised has none until the app signs it before sending it
(:func:`add_signature`). Signing is the caller's business: this package holds no keys.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from storage import encrypted_sqlite

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


# Made by migration 4 (storage/migrations.py); ``create_outbox_table`` repeats it (safe to
# repeat) when snapshots an older app left are queued, whatever the file went through.
OUTBOX_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS snapshot_outbox (
    snapshot_id    TEXT PRIMARY KEY NOT NULL REFERENCES snapshots(snapshot_id),
    queued_at      TEXT NOT NULL,
    origin         TEXT NOT NULL CHECK (origin IN ('finalised', 'recovered')),
    handed_over_at TEXT
)""",
    """CREATE TRIGGER IF NOT EXISTS snapshot_outbox_never_delete
BEFORE DELETE ON snapshot_outbox BEGIN
    SELECT RAISE(ABORT, 'a finalised snapshot stays queued until it is sent');
END""",
)


def utc_now() -> str:
    """The time now, as the outbox items record it (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class SnapshotRefused(Exception):
    """The database refused a snapshot write (not the next version, or a change to one)."""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One stored snapshot. ``findings_json`` are the canonical bytes its hash is taken of.

    ``public_key`` and ``signature`` (hex) are the lead's device key and its Ed25519 signature
    over ``findings_json``; both None for a snapshot an older app finalised and nobody has
    signed yet.
    """

    snapshot_id: str
    version: int
    supersedes: str | None
    content_sha256: str
    findings_json: bytes
    report_sha256: str | None
    signed_off_by: str
    signed_off_at: str
    created_at: str
    public_key: str | None = None
    signature: str | None = None


def _row(values: tuple[object, ...]) -> SnapshotRow:
    (sid, version, supersedes, sha, body, report, by, at, created, key, signature) = values
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
        public_key=None if key is None else str(key),
        signature=None if signature is None else str(signature),
    )


_SELECT = (
    f"SELECT {', '.join('s.' + c for c in COLUMNS)}, g.public_key, g.signature FROM snapshots s "
    "LEFT JOIN snapshot_signatures g ON g.snapshot_id = s.snapshot_id"
)


def list_snapshots(conn: sqlite3.Connection) -> list[SnapshotRow]:
    """Every snapshot, oldest (version 1) first."""
    return [_row(r) for r in conn.execute(f"{_SELECT} ORDER BY s.version")]


def get_snapshot(conn: sqlite3.Connection, snapshot_id: str) -> SnapshotRow | None:
    row = conn.execute(f"{_SELECT} WHERE s.snapshot_id = ?", (snapshot_id,)).fetchone()
    return None if row is None else _row(row)


def latest_snapshot(conn: sqlite3.Connection) -> SnapshotRow | None:
    row = conn.execute(f"{_SELECT} ORDER BY s.version DESC LIMIT 1").fetchone()
    return None if row is None else _row(row)


def insert_snapshot(conn: sqlite3.Connection, row: SnapshotRow, queued_at: str) -> None:
    """Insert the snapshot, its signature (when the row has one) and its outbox item inside the
    caller's transaction (all or none); SnapshotRefused when the triggers refuse it."""
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
    except encrypted_sqlite.IntegrityError as exc:  # sqlcipher3's is not sqlite3's
        raise SnapshotRefused(str(exc)) from exc
    if row.public_key is not None and row.signature is not None:
        conn.execute(
            "INSERT INTO snapshot_signatures (snapshot_id, public_key, signature) VALUES (?, ?, ?)",
            (row.snapshot_id, row.public_key, row.signature),
        )
    conn.execute(
        "INSERT INTO snapshot_outbox (snapshot_id, queued_at, origin) VALUES (?, ?, 'finalised')",
        (row.snapshot_id, queued_at),
    )


# -- signatures of snapshots an older app left unsigned -------------------------------------------


def unsigned(conn: sqlite3.Connection) -> list[str]:
    """Ids of snapshots with no signature, oldest first (only an older app leaves them)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT s.snapshot_id FROM snapshots s LEFT JOIN snapshot_signatures g "
            "ON g.snapshot_id = s.snapshot_id WHERE g.snapshot_id IS NULL ORDER BY s.version"
        )
    ]


def add_signature(
    conn: sqlite3.Connection, snapshot_id: str, public_key: str, signature: str
) -> tuple[str, str]:
    """Sign a snapshot that has no signature yet (caller's transaction); the (public key,
    signature) it has afterwards: a signature already there is kept (a snapshot is signed once,
    whichever process got there first)."""
    conn.execute(
        "INSERT INTO snapshot_signatures (snapshot_id, public_key, signature) VALUES (?, ?, ?) "
        "ON CONFLICT (snapshot_id) DO NOTHING",
        (snapshot_id, public_key, signature),
    )
    key, sig = conn.execute(
        "SELECT public_key, signature FROM snapshot_signatures WHERE snapshot_id = ?",
        (snapshot_id,),
    ).fetchone()
    return str(key), str(sig)


# -- the outbox items of snapshots ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A snapshot's outbox item: ``origin`` is "finalised" (written with the snapshot) or
    "recovered" (queued on open, for a snapshot an older app left without one)."""

    snapshot_id: str
    version: int
    queued_at: str
    origin: str
    handed_over_at: str | None


def has_outbox_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshot_outbox'"
    ).fetchone()
    return row is not None


def create_outbox_table(conn: sqlite3.Connection) -> None:
    """Create the table and its trigger if missing (inside the caller's transaction)."""
    for statement in OUTBOX_SCHEMA:
        conn.execute(statement)


def orphans(conn: sqlite3.Connection) -> list[str]:
    """Ids of snapshots with no outbox item, oldest first (an older app could leave them)."""
    if not has_outbox_table(conn):
        return [r[0] for r in conn.execute("SELECT snapshot_id FROM snapshots ORDER BY version")]
    return [
        r[0]
        for r in conn.execute(
            "SELECT s.snapshot_id FROM snapshots s LEFT JOIN snapshot_outbox o "
            "ON o.snapshot_id = s.snapshot_id WHERE o.snapshot_id IS NULL ORDER BY s.version"
        )
    ]


def queue_orphans(conn: sqlite3.Connection, queued_at: str) -> list[str]:
    """Give every snapshot without an outbox item one (caller's transaction); their ids."""
    create_outbox_table(conn)
    found = orphans(conn)
    conn.executemany(
        "INSERT INTO snapshot_outbox (snapshot_id, queued_at, origin) VALUES (?, ?, 'recovered')",
        [(sid, queued_at) for sid in found],
    )
    return found


def outbox_entries(conn: sqlite3.Connection, *, pending: bool = False) -> list[OutboxEntry]:
    """Every snapshot's outbox item, version 1 first; ``pending``: only those not handed over."""
    where = " WHERE o.handed_over_at IS NULL" if pending else ""
    rows = conn.execute(
        "SELECT o.snapshot_id, s.version, o.queued_at, o.origin, o.handed_over_at "
        f"FROM snapshot_outbox o JOIN snapshots s ON s.snapshot_id = o.snapshot_id{where} "
        "ORDER BY s.version"
    )
    return [OutboxEntry(str(a), int(b), str(c), str(d), e) for a, b, c, d, e in rows]


def mark_handed_over(conn: sqlite3.Connection, snapshot_id: str, when: str) -> None:
    """Record that the snapshot is in the installation's sending queue (once; later calls keep
    the first time)."""
    conn.execute(
        "UPDATE snapshot_outbox SET handed_over_at = ? "
        "WHERE snapshot_id = ? AND handed_over_at IS NULL",
        (when, snapshot_id),
    )
