"""Which device keys this laptop trusts for which member, and what it holds back.

DESIGN.md "Team bundle", authorship: a laptop pins a member's device key the first time it sees
it (its own key for its own member when the visit is opened); an operation is accepted only when
a seal signed by a key pinned for the member it names covers it. A second key for a member is
**held**: its operations are kept aside, never applied, until the lead confirms the key (an op
on :data:`sync.authorship.DEVICE_KEY_ENTITY`, which only the lead may write). Operations whose
clock is beyond the bounds are held too, and released once this laptop's clock allows them.

Everything here runs on an open connection inside the caller's write transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage import authorship_tables as tables
from storage.authorship_tables import ACCEPTED, HELD, PINNED, REJECTED, TRUSTED_STATES
from storage.oplog import Held, Op, Verdict, insert_ops
from sync.authorship import (
    ACCEPT,
    DECISION,
    DEVICE_KEY_ENTITY,
    REJECT,
    Binding,
    Seal,
    fingerprint_words,
    key_decision_id,
    op_hash,
    public_hex,
)

__all__ = [
    "KeyFlag",
    "key_states",
    "pin_own_key",
    "record_bindings",
    "seal_own_ops",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class KeyFlag:
    """A key this laptop holds back: another device says it is ``member_id``."""

    member_id: str
    public_key: str
    device_id: str
    state: str

    @property
    def words(self) -> str:
        return fingerprint_words(self.public_key)


def key_states(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """``(member_id, public_key) -> state`` of every key seen."""
    return {(r.member_id, r.public_key): r.state for r in tables.device_keys(conn)}


def pin_own_key(
    conn: sqlite3.Connection, key: Ed25519PrivateKey, *, visit_id: str, member_id: str,
    device_id: str,
) -> Binding:  # fmt: skip
    """Pin this laptop's own key for the member it works as (always trusted here)."""
    binding = Binding.make(key, visit_id=visit_id, member_id=member_id, device_id=device_id)
    tables.add_device_key(conn, _row(binding, PINNED, "this laptop"))
    tables.set_key_state(conn, member_id, binding.public_key, PINNED)
    return binding


def _row(binding: Binding, state: str, seen_in: str) -> tables.DeviceKeyRow:
    return tables.DeviceKeyRow(
        member_id=binding.member_id,
        public_key=binding.public_key,
        device_id=binding.device_id,
        binding=json.dumps(binding.to_dict(), sort_keys=True),
        state=state,
        first_seen=_now(),
        seen_in=seen_in,
    )


def record_bindings(
    conn: sqlite3.Connection, bindings: Iterable[Binding], *, visit_id: str, seen_in: str
) -> list[KeyFlag]:
    """Pin each member's first key; hold (and return) any other key, unless the lead already
    decided on it. Bindings that do not verify, or name another visit, are ignored."""
    states = key_states(conn)
    decisions = lead_decisions(conn)
    flags: list[KeyFlag] = []
    for binding in bindings:
        if binding.visit_id != visit_id or not binding.verify():
            continue
        key = (binding.member_id, binding.public_key)
        if key in states:
            continue
        has_key = any(member == binding.member_id for member, _ in states)
        decided = decisions.get(key)
        if not has_key:
            state = PINNED
        elif decided == ACCEPT:
            state = ACCEPTED
        elif decided == REJECT:
            state = REJECTED
        else:
            state = HELD
        tables.add_device_key(conn, _row(binding, state, seen_in))
        states[key] = state
        if state in (HELD, REJECTED):
            flags.append(KeyFlag(binding.member_id, binding.public_key, binding.device_id, state))
    return flags


def lead_decisions(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """The lead's decisions on keys, from the operation log: ``(member, key) -> accepted |
    rejected`` (only the lead's ops on the entity are ever accepted into the log)."""
    rows = conn.execute(
        "SELECT entity_id, value FROM field_state WHERE entity = ? AND field = ?",
        (DEVICE_KEY_ENTITY, DECISION),
    )
    out: dict[tuple[str, str], str] = {}
    for entity_id, value in rows:
        member, _, key = str(entity_id).rpartition(":")
        decision = json.loads(value)
        if member and decision in (ACCEPT, REJECT):
            out[(member, key)] = decision
    return out


def apply_decisions(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """Bring the held and decided keys in line with the lead's decisions in the log; return
    ``(member, key, new state)`` for each key that changed."""
    changed = []
    decisions = lead_decisions(conn)
    for row in tables.device_keys(conn):
        decided = decisions.get((row.member_id, row.public_key))
        if row.state == PINNED or decided is None:
            continue
        state = ACCEPTED if decided == ACCEPT else REJECTED
        if state != row.state:
            tables.set_key_state(conn, row.member_id, row.public_key, state)
            changed.append((row.member_id, row.public_key, state))
    return changed


def decide_key(member_id: str, public_key: str, accept: bool) -> tuple[str, str, dict[str, str]]:
    """The lead's decision as ``(entity, entity_id, changes)`` for ``Workspace.record``."""
    return (
        DEVICE_KEY_ENTITY,
        key_decision_id(member_id, public_key),
        {DECISION: ACCEPT if accept else REJECT},
    )


def release_held(
    conn: sqlite3.Connection, judge: Callable[[Op], Verdict]
) -> tuple[list[Op], list[tuple[Op, str]]]:
    """Judge every held op again (a key the lead has since accepted, a clock since caught up):
    apply those now accepted and drop those now refused, in the caller's transaction. Returns
    ``(released, refused with why)``; the rest stay held."""
    released: list[Op] = []
    refused: list[tuple[Op, str]] = []
    for held in tables.held_ops(conn):
        verdict = judge(held.op)
        if verdict is None:
            released.append(held.op)
        elif not isinstance(verdict, Held):
            refused.append((held.op, verdict))
    if released:
        insert_ops(conn, released)
    tables.drop_held(conn, [op.op_id for op in released] + [op.op_id for op, _ in refused])
    return released, refused


def seal_own_ops(
    conn: sqlite3.Connection, key: Ed25519PrivateKey, *, visit_id: str, device_id: str
) -> list[Seal]:
    """Seal this laptop's ops that no seal covers yet, one seal per member they name, and pin
    this key for those members; return the new seals."""
    pending = tables.unsealed_ops(conn, device_id)
    by_member: dict[str, list[Op]] = {}
    for op in pending:
        by_member.setdefault(op.member_id, []).append(op)
    seals = []
    created = _now()
    for member_id, ops in by_member.items():
        seal = Seal.make(
            key,
            seal_id=str(uuid.uuid4()),
            visit_id=visit_id,
            member_id=member_id,
            device_id=device_id,
            created_at=created,
            op_hashes=[op_hash(op.to_json_line().encode("utf-8")) for op in ops],
        )
        tables.store_seal(
            conn,
            seal_id=seal.seal_id,
            member_id=member_id,
            device_id=device_id,
            public_key=seal.public_key,
            body=seal.body,
            hashes=seal.hashes,
            signature=seal.signature,
        )
        tables.mark_sealed(conn, seal.seal_id, [op.op_id for op in ops])
        states = key_states(conn)
        if (member_id, public_hex(key)) not in states:
            pin_own_key(conn, key, visit_id=visit_id, member_id=member_id, device_id=device_id)
        seals.append(seal)
    return seals


def trusted_bindings(conn: sqlite3.Connection) -> list[Binding]:
    """The bindings of every key this laptop trusts, to travel in its bundles."""
    out = []
    for row in tables.device_keys(conn):
        if row.state in TRUSTED_STATES:
            out.append(Binding.from_dict(json.loads(row.binding)))
    return out
