"""The workspace's tables of authorship (migration 5): seals, device keys, held operations.

Pure SQL inside the caller's transaction; what the rows mean is ``sync.authorship`` and
``sync.bundles``' business. ``device_keys`` and ``held_ops`` are this laptop's alone (never
replicated): each laptop pins the keys it sees, and holds back what it cannot accept yet.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from storage.oplog import OP_COLUMNS, Op, load_value

PINNED = "pinned"  # the first key seen for a member (or this laptop's own)
ACCEPTED = "accepted"  # another key for a member, which the lead confirmed
HELD = "held"  # another key for a member, waiting for the lead
REJECTED = "rejected"  # another key for a member, which the lead refused
TRUSTED_STATES = (PINNED, ACCEPTED)

HOLD_CLOCK = "clock"
HOLD_KEY = "key"


@dataclass(frozen=True, slots=True)
class DeviceKeyRow:
    member_id: str
    public_key: str
    device_id: str
    binding: str
    state: str
    first_seen: str
    seen_in: str


def device_keys(conn: sqlite3.Connection) -> list[DeviceKeyRow]:
    """Every key seen, by member, then the order they were first seen."""
    rows = conn.execute(
        "SELECT member_id, public_key, device_id, binding, state, first_seen, seen_in "
        "FROM device_keys ORDER BY member_id, first_seen, public_key"
    )
    return [DeviceKeyRow(*(str(v) for v in r)) for r in rows]


def add_device_key(conn: sqlite3.Connection, row: DeviceKeyRow) -> None:
    """Record a key for a member; one already recorded keeps its state."""
    conn.execute(
        "INSERT OR IGNORE INTO device_keys "
        "(member_id, public_key, device_id, binding, state, first_seen, seen_in) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            row.member_id,
            row.public_key,
            row.device_id,
            row.binding,
            row.state,
            row.first_seen,
            row.seen_in,
        ),
    )


def set_key_state(conn: sqlite3.Connection, member_id: str, public_key: str, state: str) -> None:
    conn.execute(
        "UPDATE device_keys SET state = ? WHERE member_id = ? AND public_key = ?",
        (state, member_id, public_key),
    )


# -- seals ---------------------------------------------------------------------------------------


def store_seal(  # noqa: PLR0913 (one row's columns)
    conn: sqlite3.Connection,
    *,
    seal_id: str,
    member_id: str,
    device_id: str,
    public_key: str,
    body: bytes,
    hashes: bytes,
    signature: str,
) -> None:
    """Keep a seal (its id is the hash of what it signs: one id, one content)."""
    conn.execute(
        "INSERT OR IGNORE INTO seals "
        "(seal_id, member_id, device_id, public_key, body, hashes, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seal_id, member_id, device_id, public_key, body, hashes, signature),
    )


def seal_rows(
    conn: sqlite3.Connection, seal_ids: Iterable[str]
) -> Iterator[tuple[str, bytes, bytes, str]]:
    """``(seal_id, body, hashes, signature)`` of each named seal that is stored, in the order
    named."""
    for seal_id in seal_ids:
        row = conn.execute(
            "SELECT body, hashes, signature FROM seals WHERE seal_id = ?", (seal_id,)
        ).fetchone()
        if row is not None:
            yield seal_id, bytes(row[0]), bytes(row[1]), str(row[2])


def unsealed_ops(conn: sqlite3.Connection, device_id: str) -> list[Op]:
    """This laptop's ops that no seal covers yet, in the order they were made."""
    rows = conn.execute(
        f"SELECT {OP_COLUMNS} FROM ops WHERE seal IS NULL AND device_id = ? ORDER BY seq",
        (device_id,),
    )
    return [Op(r[0], r[1], r[2], r[3], r[4], r[5], r[6], load_value(r[7]), r[8]) for r in rows]


def mark_sealed(conn: sqlite3.Connection, seal_id: str, op_ids: Iterable[str]) -> None:
    conn.executemany(
        "UPDATE ops SET seal = ?, seal_pos = ? WHERE op_id = ?",
        ((seal_id, pos, op_id) for pos, op_id in enumerate(op_ids)),
    )


def sealed_ops(conn: sqlite3.Connection, chunk: int = 1000) -> Iterator[Op]:
    """Every op a seal covers, in arrival order, with its seal and place in it."""
    cursor = conn.execute(
        f"SELECT {OP_COLUMNS}, seal, seal_pos FROM ops WHERE seal IS NOT NULL ORDER BY seq"
    )
    while rows := cursor.fetchmany(chunk):
        for r in rows:
            yield Op(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], load_value(r[7]), r[8],
                seal=r[9], seal_pos=r[10],
            )  # fmt: skip


# -- held operations ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldOp:
    op: Op
    public_key: str | None
    kind: str
    reason: str
    held_at: str
    bundle: str


Hold = tuple[Op, str | None, str, str]
"""``(op, public key of its seal, kind, reason)``: an op to hold back."""


def hold_ops(conn: sqlite3.Connection, held: Iterable[Hold], *, when: str, bundle: str) -> None:
    """Keep ``(op, public key, kind, reason)`` aside, unless the op is already in the log."""
    conn.executemany(
        "INSERT INTO held_ops (op_id, line, seal_id, seal_pos, member_id, public_key, kind, "
        "reason, held_at, bundle) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM ops WHERE op_id = ?1) "
        "ON CONFLICT (op_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason",
        (
            (
                op.op_id,
                op.to_json_line().encode("utf-8"),
                op.seal,
                op.seal_pos,
                op.member_id,
                key,
                kind,
                reason,
                when,
                bundle,
            )
            for op, key, kind, reason in held
        ),
    )


def held_ops(conn: sqlite3.Connection) -> list[HeldOp]:
    rows = conn.execute(
        "SELECT line, seal_id, seal_pos, public_key, kind, reason, held_at, bundle "
        "FROM held_ops ORDER BY held_at, op_id"
    )
    out = []
    for line, seal, pos, key, kind, reason, at, bundle in rows:
        op = dataclasses.replace(Op.from_json(bytes(line)), seal=seal, seal_pos=pos)
        out.append(HeldOp(op, key, str(kind), str(reason), str(at), str(bundle)))
    return out


def held_per_key(conn: sqlite3.Connection) -> dict[tuple[str, str | None], int]:
    """How many ops are held, by ``(member, public key of their seal)``."""
    rows = conn.execute("SELECT member_id, public_key, count(*) FROM held_ops GROUP BY 1, 2")
    return {(str(m), None if k is None else str(k)): int(n) for m, k, n in rows}


def drop_held(conn: sqlite3.Connection, op_ids: Iterable[str]) -> None:
    conn.executemany("DELETE FROM held_ops WHERE op_id = ?", ((i,) for i in op_ids))


def held_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM held_ops").fetchone()[0])
