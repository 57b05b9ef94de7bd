"""Importing a verified team bundle into a workspace, and releasing held operations.

Importing (:func:`import_bundle`) records the bindings (pins, held keys: ``sync.pins``), stores
the blobs, then merges the operations in one transaction (``apply_op_batches``): an op signed
by a key pinned for its member and within the clock bounds is applied; one signed by a key not
yet confirmed, or beyond the clock bounds, is held back (``held_ops``); anything else is
refused. Merging is idempotent: a bundle imported twice changes nothing.

Held ops are applied later, once the lead confirms their key or the clock catches up
(:func:`release_held`). Both ask the same judge (``_judge``): apply, hold back (why) or refuse
(why).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from storage import Op, Workspace
from storage import authorship_tables as key_tables
from storage.hlc import clock_problem, clock_window, system_ms
from storage.oplog import Held, TooManyRefused, Verdict, apply_op_batches
from sync import pins
from sync.authorship import fingerprint_words
from sync.bundle_format import MAX_HELD_OPS, MAX_REFUSED_OPS, UNSIGNED, UNSIGNED_REASONS, refuse
from sync.bundle_reader import VerifiedBundle
from sync.pins import KeyFlag

__all__ = [
    "ImportResult",
    "import_bundle",
    "known_ops_in",
    "release_held",
]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing one bundle did.

    ``conflicts`` counts the workspace's unresolved conflicts, after the import, whose winner
    or loser this import added: the conflicts this bundle brought. A bundle that brings
    nothing new reports 0. ``held`` are the ops held back (with why), ``flagged`` the keys
    this bundle brought that another device claims for a member already pinned, ``released``
    how many ops held before are now applied.
    """

    new: int
    known: int
    refused: list[tuple[Op, str]]
    conflicts: int
    held: list[tuple[Op, str]] = field(default_factory=list)
    flagged: list[KeyFlag] = field(default_factory=list)
    released: int = 0
    pinned: int = 0
    """Keys this laptop saw for the first time (for members it had no key of)."""


IMPORTED_OPS_KEY = "bundle_ops_imported"  # workspace-local: hashes of ops.jsonl stored in full


def known_ops_in(ws: Workspace) -> Callable[[str], bool]:
    """For :func:`sync.bundle_reader.read_bundle`: whether every op of an ``ops.jsonl`` with
    this hash is stored.

    Recorded only for bundles imported with nothing refused; the operation log never loses
    an op, so the answer stays true.
    """
    known = set(imported_ops(ws))
    return known.__contains__


def imported_ops(ws: Workspace) -> list[str]:
    stored = ws.get_local(IMPORTED_OPS_KEY)
    return [str(h) for h in stored] if isinstance(stored, list) else []


def _remember_ops(ws: Workspace, ops_sha256: str) -> None:
    known = imported_ops(ws)
    if ops_sha256 not in known:
        ws.set_local(IMPORTED_OPS_KEY, [*known, ops_sha256])


def import_bundle(
    ws: Workspace,
    bundle: VerifiedBundle,
    *,
    accept: Callable[[Op], str | None] | None = None,
    now_ms: int | None = None,
) -> ImportResult:
    """Record the bundle's device bindings, store its blobs, then merge its ops, batch by
    batch, in one transaction. An op is applied only when a seal signed by a key this laptop
    trusts for its member covers it, ``accept`` (the visit's rules) does not refuse it, and
    its clock is within the bounds (``now_ms``: this laptop's clock); ops of a key not yet
    confirmed, or beyond the bounds, are held back. Importing the same bundle again changes
    nothing. Raises :class:`BundleRefused`, with the workspace's ops as they were, when more
    than ``MAX_REFUSED_OPS`` ops are refused (or ``MAX_HELD_OPS`` held) or a streamed
    ``ops.jsonl`` changed since it was read."""
    name = bundle.file.name
    now = system_ms() if now_ms is None else now_ms
    # Hashed against the manifest (and sealed, when read with the store) while they were
    # unpacked: put in place on a second thread while the ops are merged (fsync waits on the
    # disk, not the CPU); the transaction commits only once they are on disk, so no op names
    # a photo that is not.
    if bundle.sealed:
        store: Callable[[], int] = partial(ws.blobs.place_sealed, bundle.blob_paths)
    else:
        plain = [(p, sha, bundle.manifest.blobs[sha]) for sha, p in bundle.blob_paths.items()]
        store = partial(ws.blobs.adopt, plain)
    try:
        # Workspace.apply_ops holds every op of a batch in memory; a bundle may hold a
        # million, so its batches go through one write transaction of the workspace instead.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-blobs") as side,
            ws.transaction() as conn,
        ):
            storing = side.submit(store)
            keys_before = len(pins.key_states(conn))
            flagged = pins.record_bindings(
                conn, bundle.manifest.keys, visit_id=bundle.manifest.visit_id, seen_in=name
            )
            pinned = len(pins.key_states(conn)) - keys_before - len(flagged)
            if bundle.ops_known:
                storing.result()
                return ImportResult(
                    0, bundle.manifest.op_count, [], 0, flagged=flagged, pinned=pinned
                )
            seals = bundle.verified_seals
            for seal in seals:
                key_tables.store_seal(
                    conn,
                    seal_id=seal.seal_id,
                    member_id=seal.member_id,
                    device_id=seal.device_id,
                    public_key=seal.public_key,
                    body=seal.body,
                    hashes=seal.hashes,
                    signature=seal.signature,
                )
            keys = {seal.seal_id: seal.public_key for seal in seals}
            judge = _judge(pins.key_states(conn), keys.get, accept, now)
            applied = apply_op_batches(
                conn,
                bundle.op_batches(),
                accept=judge,
                max_refused=MAX_REFUSED_OPS,
                max_held=MAX_HELD_OPS,
            )
            key_tables.hold_ops(
                conn,
                [(op, h.public_key, h.kind, h.reason) for op, h in applied.held],
                when=datetime.now(UTC).isoformat(timespec="seconds"),
                bundle=name,
            )
            released = _release_held(conn, accept, now)
            # For the receipt: what this bundle's own decisions released was never held (it
            # is new), and a key this bundle's decisions accepted is no longer a question.
            freed = {op.op_id for op in released}
            in_log = _in_log(conn, [op.op_id for op, _h in applied.held])  # (its own, say)
            held = [
                (op, h.reason)
                for op, h in applied.held
                if op.op_id not in freed and op.op_id not in in_log
            ]
            states = pins.key_states(conn)
            flagged = [f for f in flagged if states.get((f.member_id, f.public_key)) == f.state]
            if not applied.refused and not held:
                # All in the log: skip it next time. In the same transaction: one durable
                # commit a bundle, not two.
                _remember_ops(ws, bundle.manifest.ops_sha256)
            storing.result()  # the photos are on disk: the ops naming them may commit
    except TooManyRefused as exc:
        why = exc.first[1]
        refuse(
            f"{name} holds more than {exc.limit:,} operations this visit's rules refuse or "
            f"hold back (the first: {why}), so nothing was imported: ask its sender whether "
            "it is for this visit's team.",
            "implausible",
        )
    freed_here = sum(1 for op, _h in applied.held if op.op_id in freed)
    return ImportResult(
        applied.new + freed_here,
        applied.known,
        applied.refused,
        applied.conflicts,
        held=held,
        flagged=flagged,
        released=len(released) - freed_here,
        pinned=pinned,
    )


def release_held(
    conn: Any, accept: Callable[[Op], str | None] | None, now_ms: int | None = None
) -> int:
    """Apply the held ops that may now be (the lead confirmed their key, or this laptop's
    clock caught up with theirs), in the caller's transaction; return how many."""
    return len(_release_held(conn, accept, now_ms))


def _release_held(
    conn: Any, accept: Callable[[Op], str | None] | None, now_ms: int | None = None
) -> list[Op]:
    pins.apply_decisions(conn)
    if not key_tables.held_count(conn):
        return []
    now = system_ms() if now_ms is None else now_ms
    judge = _judge(pins.key_states(conn), _stored_seal_key(conn), accept, now)
    released, _refused = pins.release_held(conn, judge)
    return released


def _in_log(conn: Any, op_ids: list[str]) -> set[str]:
    """Which of ``op_ids`` the operation log holds."""
    found: set[str] = set()
    for start in range(0, len(op_ids), 500):
        chunk = op_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(
            r[0] for r in conn.execute(f"SELECT op_id FROM ops WHERE op_id IN ({marks})", chunk)
        )
    return found


def _stored_seal_key(conn: Any) -> Callable[[str], str | None]:
    def key(seal_id: str) -> str | None:
        row = conn.execute("SELECT public_key FROM seals WHERE seal_id = ?", (seal_id,)).fetchone()
        return None if row is None else str(row[0])

    return key


def _judge(
    states: Mapping[tuple[str, str], str],
    key_of_seal: Callable[[str], str | None],
    accept: Callable[[Op], str | None] | None,
    now_ms: int,
) -> Callable[[Op], Verdict]:
    """Whether to apply an op (``None``), hold it back (:class:`Held`), or refuse it (why).

    Tens of thousands of ops are judged in a merge: what a seal decides is worked out once a
    seal, and the clock bounds are compared as the fixed-width strings HLCs are."""
    by_seal: dict[tuple[str, str], Verdict | bool] = {}
    earliest, latest = clock_window(now_ms)

    def key_verdict(op: Op, seal_id: str) -> Verdict | bool:
        key = key_of_seal(seal_id)
        state = states.get((op.member_id, key)) if key is not None else None
        if state is None or key is None:
            return f"it is signed by a device no key binding names for {op.member_id}"
        if state == key_tables.REJECTED:
            return (
                f"it is signed by a device the lead reviewer refused for {op.member_id} "
                f"(fingerprint {fingerprint_words(key)})"
            )
        if state == key_tables.HELD:
            return Held(
                key_tables.HOLD_KEY,
                f"it is signed by another device that says it is {op.member_id} (fingerprint "
                f"{fingerprint_words(key)}): held until the lead reviewer confirms that device",
                key,
            )
        return True

    def judge(op: Op) -> Verdict:
        if op.seal is None:
            return UNSIGNED_REASONS.get(op.seal_pos or UNSIGNED, UNSIGNED_REASONS[UNSIGNED])
        cached = by_seal.get((op.seal, op.member_id))
        if cached is None:
            cached = by_seal[(op.seal, op.member_id)] = key_verdict(op, op.seal)
        if cached is not True:
            return cached  # type: ignore[return-value]
        reason = accept(op) if accept is not None else None
        if reason is not None:
            return reason
        if not earliest <= op.hlc < latest:
            problem = clock_problem(op.hlc, now_ms)
            if problem is not None:
                return Held(key_tables.HOLD_CLOCK, problem, key_of_seal(op.seal))
        return None

    return judge
