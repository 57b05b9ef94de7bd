"""The operation log: every change as an operation, and the resolution every laptop agrees on.

An :class:`Op` sets one field of one record (``entity``, ``entity_id``, ``field``) to a JSON value.
``base`` is the op whose value the author saw (``None`` for the first write of a field).

Resolution, the same on every laptop whatever the arrival order:

- the **winner** of a field is its op with the largest ``(hlc, device_id, op_id)``;
- the **heads** of a field are its ops minus every op another op on that field names as ``base``;
- a **conflict** is a head that is not the winner, unless the loser is marked resolved by an op on
  entity ``_conflict`` (``entity_id`` = the losing op's id, field ``resolved``, value ``true``);
- a record is deleted by an op on field ``_deleted`` with value ``true`` (a tombstone, itself
  last-writer-wins, so ``false`` brings the record back).

The functions here work on an open connection inside the caller's transaction; ``Workspace`` wraps
them. Applying a batch inserts with ``INSERT OR IGNORE`` on ``op_id`` and derives
``field_state`` and ``field_heads`` for the new ops only (each field's best of the batch against
the stored winner; a base named before its op came is kept in ``early_bases``), so applying
twice equals applying once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, make_dataclass
from dataclasses import field as dc_field
from typing import Any, TypeAlias

from storage.hlc import HLC_PATTERN

JSONValue: TypeAlias = Any
"""What ``json.dumps`` accepts: None, bool, int, finite float, str, lists, str-keyed dicts."""

DELETED = "_deleted"
CONFLICT_ENTITY = "_conflict"
RESOLVED = "resolved"

_FIELDS = (
    "op_id",
    "hlc",
    "device_id",
    "member_id",
    "entity",
    "entity_id",
    "field",
    "value",
    "base",
)
_REQUIRED_TEXT = ("op_id", "device_id", "member_id", "entity", "entity_id", "field")
MAX_ID_LENGTH = 200


# One encoder for every value: ``json.dumps`` with options builds a new one each call, which
# costs more than encoding a short value (a merge encodes tens of thousands).
_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def dump_value(value: JSONValue) -> str:
    """The canonical JSON text of a value (sorted keys, no spaces, UTF-8, no NaN)."""
    try:
        return _encode(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"value {value!r} cannot be stored as JSON: {exc}") from exc


def load_value(text: str) -> JSONValue:
    return json.loads(text)


@dataclass(frozen=True, slots=True)
class Op:
    """One operation. Local ones come from ``Workspace.record``; remote ones from ``from_json``."""

    op_id: str
    hlc: str
    device_id: str
    member_id: str
    entity: str
    entity_id: str
    field: str
    value: JSONValue
    base: str | None = None
    seal: str | None = dc_field(default=None, compare=False)
    """The seal that covers the op (``sync.authorship``); ``None``: this laptop's, not yet sealed.
    Not part of the op: it says where the author's signature of it is."""
    seal_pos: int | None = dc_field(default=None, compare=False)
    """The op's place in its seal's list of hashes."""

    def to_dict(self) -> dict[str, JSONValue]:
        return {name: getattr(self, name) for name in _FIELDS}

    def to_json_line(self) -> str:
        """One line of JSON (sorted keys, no newline at the end) for ``ops.jsonl``."""
        return dump_value(self.to_dict())

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> Op:
        """An op from a JSON line (or an already parsed dict), checked field by field.

        Anything malformed raises ``ValueError`` naming the field and the op, so an import can
        report which line of which bundle is bad.
        """
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"operation is not valid JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ValueError(f"operation must be a JSON object, not {type(data).__name__}")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise ValueError(f"operation {data.get('op_id')!r} lacks {', '.join(missing)}")
        label = repr(data["op_id"])
        for name in _REQUIRED_TEXT:
            text = data[name]
            if not isinstance(text, str) or not text or len(text) > MAX_ID_LENGTH:
                raise ValueError(
                    f"operation {label}: {name} must be a non-empty string of at most "
                    f"{MAX_ID_LENGTH} characters, not {text!r}"
                )
        if not isinstance(data["hlc"], str) or not HLC_PATTERN.match(data["hlc"]):
            raise ValueError(f"operation {label}: hlc {data['hlc']!r} is not an HLC timestamp")
        base = data["base"]
        if base is not None and (not isinstance(base, str) or not base):
            raise ValueError(f"operation {label}: base must be an op id or null, not {base!r}")
        dump_value(data["value"])  # raises ValueError for what JSON cannot hold
        return cls(**{name: data[name] for name in _FIELDS})

    def row(self) -> tuple[str, str, str, str, str, str, str, str, str | None]:
        """The ``ops`` table row (value as canonical JSON text)."""
        return (
            self.op_id,
            self.hlc,
            self.device_id,
            self.member_id,
            self.entity,
            self.entity_id,
            self.field,
            dump_value(self.value),
            self.base,
        )

    def sort_key(self) -> tuple[str, str, str]:
        """What decides the winner of a field: the largest key wins."""
        return (self.hlc, self.device_id, self.op_id)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a bundle read in a second process), it is made again as ``checked_op`` makes
        # it: a frozen dataclass's own unpickling sets each field through ``__setattr__``.
        return (
            checked_op,
            (self.op_id, self.hlc, self.device_id, self.member_id, self.entity, self.entity_id,
             self.field, self.value, self.base, self.seal, self.seal_pos),
        )  # fmt: skip


# The same fields as :class:`Op`, in the same slots, not frozen: see :func:`checked_op`.
_OpUnderConstruction: Any = make_dataclass(
    "_OpUnderConstruction",
    [(f.name, f.type, dc_field(default=f.default)) for f in fields(Op)],
    slots=True,
)


def checked_op(  # noqa: PLR0913, PLR0917 (an Op's fields, in order)
    op_id: str,
    hlc: str,
    device_id: str,
    member_id: str,
    entity: str,
    entity_id: str,
    field: str,
    value: JSONValue,
    base: str | None = None,
    seal: str | None = None,
    seal_pos: int | None = None,
) -> Op:
    """``Op(...)`` for fields already checked, in a sixth of the time: a merge makes tens of
    thousands. A frozen dataclass sets each field through ``object.__setattr__`` (5 µs an op
    here); this one sets them plainly on a twin with the same slots, then makes it an ``Op``."""
    op: Any = _OpUnderConstruction(
        op_id, hlc, device_id, member_id, entity, entity_id, field, value, base, seal, seal_pos
    )
    op.__class__ = Op
    return op  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Concurrent edits of one field: ``winner`` is shown, ``loser`` is kept until resolved."""

    entity: str
    entity_id: str
    field: str
    winner: Op
    loser: Op


OP_COLUMNS = "op_id, hlc, device_id, member_id, entity, entity_id, field, value, base"


def op_from_row(row: tuple[Any, ...]) -> Op:
    """An ``Op`` from a row selected as ``OP_COLUMNS``."""
    return checked_op(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], load_value(row[7]), row[8]
    )


def insert_ops(conn: sqlite3.Connection, ops: Iterable[Op]) -> int:
    """Add ops not yet known and update the derived tables for them; return how many were new.

    Must run inside a write transaction. Arrival order never matters: the winner is a maximum,
    heads are a set difference, and an op whose child arrived first is never made a head.
    """
    # ``Op.row`` inlined (with the canonical JSON encoder called directly): a merge makes
    # tens of thousands of rows. A value JSON cannot hold raises ValueError, as ``row`` does.
    ops = ops if isinstance(ops, list) else list(ops)
    try:
        rows: list[OpRow] = [
            (op.op_id, op.hlc, op.device_id, op.member_id, op.entity, op.entity_id, op.field,
             _encode(op.value), op.base, op.seal, op.seal_pos)
            for op in ops
        ]  # fmt: skip
    except (TypeError, ValueError):
        rows = [(*op.row(), op.seal, op.seal_pos) for op in ops]  # names the bad value
    if not rows:
        return 0
    before = conn.execute("SELECT coalesce(max(seq), 0) FROM ops").fetchone()[0]
    conn.executemany(
        f"INSERT OR IGNORE INTO ops ({OP_COLUMNS}, seal, seal_pos) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    new = int(conn.execute("SELECT count(*) FROM ops WHERE seq > ?", (before,)).fetchone()[0])
    if not new:
        return 0
    if new < len(rows):  # some were known (or came twice): derive from the new ones only
        fresh = {r[0] for r in conn.execute("SELECT op_id FROM ops WHERE seq > ?", (before,))}
        firsts: dict[str, OpRow] = {}
        for row in rows:
            if row[0] in fresh:
                firsts.setdefault(row[0], row)
        rows = list(firsts.values())
    _derive(conn, rows, before)
    return new


OpRow: TypeAlias = tuple[str, str, str, str, str, str, str, str, "str | None", Any, Any]
"""An op as ``insert_ops`` stores it: ``OP_COLUMNS`` (value as JSON text), seal, seal_pos."""


def _derive(conn: sqlite3.Connection, fresh: Sequence[OpRow], before: int) -> None:
    """Bring ``field_state`` and ``field_heads`` up to date with ``fresh``, the ops just added
    (those with ``seq > before``). Worked out in memory for the batch first: a batch holds
    several edits of a field, and only its last one can win or stay a head."""
    best: dict[tuple[str, str, str], OpRow] = {}
    named: set[tuple[str, str, str, str]] = set()
    for row in fresh:
        key = (row[4], row[5], row[6])
        held = best.get(key)
        if held is None or (row[1], row[2], row[0]) > (held[1], held[2], held[0]):
            best[key] = row
        if row[8] is not None:
            named.add((*key, row[8]))
    # Winner: the batch's best of each field replaces the stored one only if it beats it.
    conn.executemany(
        """
        INSERT INTO field_state (entity, entity_id, field, value, op_id, hlc, device_id, member_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (entity, entity_id, field) DO UPDATE SET
            value = excluded.value, op_id = excluded.op_id, hlc = excluded.hlc,
            device_id = excluded.device_id, member_id = excluded.member_id
        WHERE (excluded.hlc, excluded.device_id, excluded.op_id)
              > (field_state.hlc, field_state.device_id, field_state.op_id)
        """,
        [(*key, row[7], row[0], row[1], row[2], row[3]) for key, row in best.items()],
    )
    # Heads: a new op is a head unless an op on its field names it: one of this batch, or
    # one that came earlier and named it before it was here (``early_bases``).
    if conn.execute("SELECT EXISTS (SELECT 1 FROM early_bases)").fetchone()[0]:
        named.update(
            conn.execute(
                """
                SELECT e.entity, e.entity_id, e.field, e.base FROM early_bases AS e
                JOIN ops AS n ON n.op_id = e.base WHERE n.seq > ?1
                """,
                (before,),
            )
        )
        conn.execute(  # remembered only until that op came: now it has
            "DELETE FROM early_bases WHERE base IN (SELECT op_id FROM ops WHERE seq > ?1)",
            (before,),
        )
    conn.executemany(
        "INSERT OR IGNORE INTO field_heads (entity, entity_id, field, op_id) VALUES (?, ?, ?, ?)",
        [head for row in fresh if (head := (row[4], row[5], row[6], row[0])) not in named],
    )
    # An op that came before and a new op names stops being a head...
    ids = {row[0] for row in fresh}
    earlier = [name for name in named if name[3] not in ids]
    conn.executemany(
        "DELETE FROM field_heads WHERE entity = ? AND entity_id = ? AND field = ? AND op_id = ?",
        earlier,
    )
    # ...and one that has not come yet is remembered, so it is not a head when it comes.
    if earlier:
        conn.execute(
            """
            INSERT OR IGNORE INTO early_bases (entity, entity_id, field, base)
            SELECT c.entity, c.entity_id, c.field, c.base FROM ops AS c
            WHERE c.seq > ?1 AND c.base IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM ops AS b WHERE b.op_id = c.base)
            """,
            (before,),
        )


# -- applying a bundle's ops in batches -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """What an ``accept`` returns for an op to hold back (not refused, not applied): ``kind``
    is ``"clock"`` or ``"key"``, ``public_key`` the key its seal names."""

    kind: str
    reason: str
    public_key: str | None = None


Verdict: TypeAlias = "str | Held | None"
"""An ``accept``'s answer: why the op is refused, that it is held back, or ``None`` to take it."""


class TooManyRefused(ValueError):
    """More ops than the caller allows were refused: nothing of the batches may be kept.

    ``first`` is the first refused op and why, for the sentence the user reads."""

    def __init__(self, limit: int, first: tuple[Op, str]) -> None:
        super().__init__(f"more than {limit:,} operations were refused (the first: {first[1]})")
        self.limit = limit
        self.first = first


@dataclass(frozen=True, slots=True)
class BatchesApplied:
    """What :func:`apply_op_batches` did. ``conflicts`` counts the unresolved conflicts whose
    winner or loser arrived with these batches."""

    new: int
    known: int
    refused: list[tuple[Op, str]]
    conflicts: int
    held: list[tuple[Op, Held]] = dc_field(default_factory=list)


def apply_op_batches(
    conn: sqlite3.Connection,
    batches: Iterable[Sequence[Op]],
    *,
    accept: Callable[[Op], Verdict] | None = None,
    max_refused: int | None = None,
    max_held: int | None = None,
) -> BatchesApplied:
    """Merge remote ops one batch at a time, inside the caller's write transaction.

    Memory holds one batch, whatever the total: a bundle of a million ops is applied as 200
    batches of 5,000 in one transaction, so it is still all or nothing (the caller rolls back on
    any exception, including one the ``batches`` iterator raises). Each batch is inserted and
    derived like any other (``insert_ops``): arrival order never matters, so the result equals
    applying them all at once. ``accept(op)`` returns why an op is refused, a :class:`Held`, or
    ``None``; more than ``max_refused`` refusals (or ``max_held`` held ops) raise
    :class:`TooManyRefused`. Held ops are returned, not stored: the caller keeps them. The
    stored clock (``meta`` ``hlc``, which the workspace reads before every local edit) moves
    past the newest op taken.
    """
    before = _last_seq(conn)
    new = taken_count = 0
    newest: str | None = None
    refused: list[tuple[Op, str]] = []
    held: list[tuple[Op, Held]] = []
    is_hlc = HLC_PATTERN.match
    for batch in batches:
        taken: list[Op] = []
        for op in batch:  # inline: a merge judges tens of thousands (a call each cost 4%)
            reason: Verdict = None if is_hlc(op.hlc) else f"hlc {op.hlc!r} is not an HLC timestamp"
            if reason is None and accept is not None:
                reason = accept(op)
            if reason is None:
                taken.append(op)
                continue
            if isinstance(reason, Held):
                held.append((op, reason))
                if max_held is not None and len(held) > max_held:
                    raise TooManyRefused(max_held, (op, reason.reason))
                continue
            refused.append((op, reason))
            if max_refused is not None and len(refused) > max_refused:
                raise TooManyRefused(max_refused, refused[0])
        if taken:
            new += insert_ops(conn, taken)
            taken_count += len(taken)
            top = max(op.hlc for op in taken)
            newest = top if newest is None or top > newest else newest
    if newest is not None:
        _advance_stored_clock(conn, newest)
    conflicts = count_conflicts_since(conn, before) if new else 0
    return BatchesApplied(new, taken_count - new, refused, conflicts, held)


def _last_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM ops").fetchone()[0])


def _advance_stored_clock(conn: sqlite3.Connection, newest: str) -> None:
    """Keep the larger of the stored clock and ``newest`` (both fixed-width HLC strings)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
    stored = load_value(row[0]) if row is not None and row[0] is not None else None
    if isinstance(stored, str) and stored >= newest:
        return
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('hlc', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (dump_value(newest),),
    )


def count_conflicts_since(conn: sqlite3.Connection, since_seq: int) -> int:
    """How many unresolved conflicts have a winner or loser that arrived after ``since_seq``:
    counted by SQLite, so a bundle that brings a million conflicts costs no memory here.
    Only the fields those ops are on are looked at (a winner and a loser are ops on their
    field), not every head of the workspace: a merge counts after each bundle."""
    row = conn.execute(
        f"""
        SELECT count(*)
        FROM (SELECT DISTINCT entity, entity_id, field FROM ops WHERE seq > ?1) AS t
        JOIN field_heads AS h USING (entity, entity_id, field)
        JOIN field_state AS s USING (entity, entity_id, field)
        JOIN ops AS w ON w.op_id = s.op_id
        JOIN ops AS l ON l.op_id = h.op_id
        WHERE h.op_id <> s.op_id
          AND h.entity <> '{CONFLICT_ENTITY}'
          AND (w.seq > ?1 OR l.seq > ?1)
          AND NOT EXISTS (
            SELECT 1 FROM field_state AS r
            WHERE r.entity = '{CONFLICT_ENTITY}' AND r.entity_id = h.op_id
              AND r.field = '{RESOLVED}' AND r.value = 'true')
        """,
        (since_seq,),
    ).fetchone()
    return int(row[0])


def current_op_id(conn: sqlite3.Connection, entity: str, entity_id: str, field: str) -> str | None:
    """The winning op's id for a field, or ``None`` if nobody has written it."""
    row = conn.execute(
        "SELECT op_id FROM field_state WHERE entity = ? AND entity_id = ? AND field = ?",
        (entity, entity_id, field),
    ).fetchone()
    return None if row is None else str(row[0])


def get_op(conn: sqlite3.Connection, op_id: str) -> Op | None:
    row = conn.execute(f"SELECT {OP_COLUMNS} FROM ops WHERE op_id = ?", (op_id,)).fetchone()
    return None if row is None else op_from_row(row)


def iter_ops(conn: sqlite3.Connection, since_seq: int = 0, chunk: int = 1000) -> Iterator[Op]:
    """Every op that arrived after ``since_seq``, in arrival order."""
    cursor = conn.execute(f"SELECT {OP_COLUMNS} FROM ops WHERE seq > ? ORDER BY seq", (since_seq,))
    while rows := cursor.fetchmany(chunk):
        yield from (op_from_row(r) for r in rows)


_CONFLICTS_SQL = f"""
    SELECT {", ".join("w." + c.strip() for c in OP_COLUMNS.split(","))},
           {", ".join("l." + c.strip() for c in OP_COLUMNS.split(","))}
    FROM field_heads AS h
    JOIN field_state AS s USING (entity, entity_id, field)
    JOIN ops AS w ON w.op_id = s.op_id
    JOIN ops AS l ON l.op_id = h.op_id
    WHERE h.op_id <> s.op_id
      AND h.entity <> '{CONFLICT_ENTITY}'
      AND NOT EXISTS (
        SELECT 1 FROM field_state AS r
        WHERE r.entity = '{CONFLICT_ENTITY}' AND r.entity_id = h.op_id
          AND r.field = '{RESOLVED}' AND r.value = 'true')
    ORDER BY h.entity, h.entity_id, h.field, h.op_id
"""


def list_conflicts(conn: sqlite3.Connection) -> list[Conflict]:
    """Every unresolved conflict, sorted by entity, entity id, field and losing op id.

    Concurrent resolutions of one conflict (both saying "resolved") are not themselves listed.
    """
    out: list[Conflict] = []
    for row in conn.execute(_CONFLICTS_SQL):
        winner, loser = op_from_row(row[:9]), op_from_row(row[9:])
        out.append(Conflict(loser.entity, loser.entity_id, loser.field, winner, loser))
    return out


def canonical_state(conn: sqlite3.Connection) -> bytes:
    """Sorted UTF-8 JSON of the derived state: every field's winner (tombstones included), every
    field's heads and the unresolved conflicts. Replicas that know the same ops give equal bytes."""
    fields = [
        [r[0], r[1], r[2], load_value(r[3]), r[4], r[5], r[6], r[7]]
        for r in conn.execute(
            "SELECT entity, entity_id, field, value, op_id, hlc, device_id, member_id "
            "FROM field_state ORDER BY entity, entity_id, field"
        )
    ]
    heads = [
        list(r)
        for r in conn.execute(
            "SELECT entity, entity_id, field, op_id FROM field_heads "
            "ORDER BY entity, entity_id, field, op_id"
        )
    ]
    conflicts = [
        [c.entity, c.entity_id, c.field, c.winner.op_id, c.loser.op_id]
        for c in list_conflicts(conn)
    ]
    state = {"conflicts": conflicts, "fields": fields, "heads": heads}
    return dump_value(state).encode("utf-8")
