"""The laptop's outbox of finalised snapshots waiting to reach the central service.

One SQLite file per installation (``data/outbox.sqlite``), opened by
``storage.sqlite.open_migrated`` (encrypted with the installation's outbox key: it holds
findings on their way out; WAL, ``synchronous=FULL``, checked for damage, its schema brought up
to date): an enqueued snapshot survives a power cut. A plain outbox an older version left is
encrypted in place on its first open.

An item moves queued -> sending -> acknowledged (the receipt stored) or failed (the reason
stored). A failure the network caused keeps a ``next_attempt_at`` and is tried again by the next
:meth:`Outbox.send_all` that finds it due; a refusal (409, 403, a bad envelope) waits for a
person: :meth:`Outbox.retry` queues it again. An item left "sending" by a crash is simply sent
again: the service answers a repeat with the receipt it stored, so nothing is duplicated and
nothing is lost.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from storage import encrypted_sqlite
from storage.attachments import BlobStore
from storage.blob_crypto import BlobCryptoError
from storage.sqlite import Step, open_migrated
from storage.visit_keys import VisitKeyError
from sync.client import CentralClient, CentralRefused, CentralUnavailable, MissingBlobs
from sync.findings_format import (
    SIGNATURE_FIELDS,
    canonical_bytes,
    check_envelope,
    envelope_blob_hashes,
)
from sync.progress import Progress

STATES = ("queued", "sending", "acknowledged", "failed")
RETRY_BASE = 30.0
RETRY_CAP = 3600.0

# Step 1 is the schema the outbox had before it had versions: a file the older app made has the
# table and user_version 0, so the step must find the table there and leave it alone.
_STEPS: list[Step] = [
    (
        1,
        """
CREATE TABLE IF NOT EXISTS items (
    snapshot_id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    envelope TEXT NOT NULL,
    blob_files TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    receipt TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
""",
    ),
]


class OutboxError(ValueError):
    """A snapshot the outbox will not take; the message says why."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """Not a ``storage.records.Record``: read from its SQLite row, and ``to_dict`` writes only
    what a report shows."""

    snapshot_id: str
    visit_id: str
    version: int
    state: str
    attempts: int
    next_attempt_at: float | None
    last_error: str
    receipt: dict[str, Any] | None
    blob_files: dict[str, str]
    created_at: float
    updated_at: float

    @property
    def waits_for_person(self) -> bool:
        """Failed in a way only a person can put right (retry offered, never automatic)."""
        return self.state == "failed" and self.next_attempt_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "visit_id": self.visit_id,
            "version": self.version,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "receipt": self.receipt,
        }


@dataclass(slots=True)
class SendReport:
    """Not a ``storage.records.Record``: a report never read back, of ``OutboxItem`` rows."""

    acknowledged: list[OutboxItem] = field(default_factory=list)
    failed: list[OutboxItem] = field(default_factory=list)
    waiting: int = 0  # items not due yet, or waiting for a person
    offline: bool = False
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "acknowledged": [i.to_dict() for i in self.acknowledged],
            "failed": [i.to_dict() for i in self.failed],
            "waiting": self.waiting,
            "offline": self.offline,
            "message": self.message,
        }


class Outbox:
    def __init__(
        self,
        path: Path,
        *,
        key: bytes,
        blobs: Callable[[str], BlobStore],
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """``blobs``: the visit's blob store, by visit id: the attachments queued are its
        sealed files, sent decrypted as they are read (the service checks the plaintext's
        SHA-256). Nothing on the laptop is a plain file to send as it is."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.blobs = blobs
        self.clock = clock
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        # Used from the sync worker and the window's thread in turn: ``_lock`` serialises it.
        if encrypted_sqlite.is_plain(path):  # an older version's: encrypted once, in place
            encrypted_sqlite.encrypt_plain_database(path, path, key)
        self._conn = open_migrated(path, _STEPS, what="outbox", key=key, check_same_thread=False)
        self._conn.row_factory = encrypted_sqlite.Row

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------

    def items(self, visit_id: str | None = None) -> list[OutboxItem]:
        """Every item, oldest first (optionally of one visit)."""
        sql = "SELECT * FROM items"
        args: tuple[str, ...] = ()
        if visit_id is not None:
            sql, args = sql + " WHERE visit_id = ?", (visit_id,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at, version", args).fetchall()
        return [_item(r) for r in rows]

    def item(self, snapshot_id: str) -> OutboxItem | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM items WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
        return _item(row) if row else None

    def envelope(self, snapshot_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(
                "SELECT envelope FROM items WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
        if row is None:
            raise KeyError(snapshot_id)
        result: dict[str, Any] = json.loads(row["envelope"])
        return result

    # -- writing ------------------------------------------------------------------------------

    def enqueue(self, envelope: dict[str, Any], blob_files: Mapping[str, Path]) -> OutboxItem:
        """Queue a finalised snapshot with the files of the attachments it names.

        Enqueueing the same envelope again is harmless; another envelope under a snapshot id
        already queued is refused (a snapshot never changes: amend as a new version), except
        the signed form of an unsigned envelope an older app queued: it takes the unsigned
        one's place (and is sent at the next sync) unless the service has acknowledged that.
        """
        try:
            check_envelope(envelope)
        except ValueError as exc:
            raise OutboxError(f"This snapshot cannot be sent: {exc}.") from exc
        lacking = [sha for sha in envelope_blob_hashes(envelope) if sha not in blob_files]
        if lacking:
            raise OutboxError(
                f"This snapshot names {len(lacking)} attachment(s) with no file to send."
            )
        text = canonical_bytes(envelope).decode("utf-8")
        files = json.dumps({sha: str(p) for sha, p in sorted(blob_files.items())})
        now = self.clock()
        snapshot_id = str(envelope["snapshot_id"])
        with self._lock:
            row = self._conn.execute(
                "SELECT envelope FROM items WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
            if row is not None and row["envelope"] != text:
                if not _signs(json.loads(row["envelope"]), envelope):
                    raise OutboxError(
                        "A different snapshot with this id is already in the outbox; "
                        "amend the findings as a new version instead."
                    )
                self._conn.execute(
                    "UPDATE items SET envelope = ?, state = 'queued', next_attempt_at = NULL, "
                    "last_error = '', updated_at = ? "
                    "WHERE snapshot_id = ? AND state != 'acknowledged'",
                    (text, now, snapshot_id),
                )
            if row is None:
                self._conn.execute(
                    "INSERT INTO items (snapshot_id, visit_id, version, envelope, blob_files,"
                    " state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                    (snapshot_id, envelope["visit_id"], envelope["version"], text, files, now, now),
                )
        item = self.item(snapshot_id)
        assert item is not None
        return item

    def retry(self, snapshot_id: str) -> OutboxItem:
        """Queue a failed item again, now (the sync centre's Retry)."""
        self._update(snapshot_id, "state != 'acknowledged'", state="queued", next_attempt_at=None)
        item = self.item(snapshot_id)
        if item is None:
            raise KeyError(snapshot_id)
        return item

    def _update(self, snapshot_id: str, guard: str = "1", **values: Any) -> None:
        values["updated_at"] = self.clock()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._conn.execute(
                f"UPDATE items SET {sets} WHERE snapshot_id = ? AND {guard}",
                (*values.values(), snapshot_id),
            )

    # -- sending ------------------------------------------------------------------------------

    def due(self, *, everything: bool = False) -> list[OutboxItem]:
        """Items to send now: queued, left "sending" by a crash, or failed and due again."""
        now = self.clock()
        out = []
        for item in self.items():
            if item.state in ("queued", "sending"):
                out.append(item)
            elif item.state == "failed" and item.next_attempt_at is not None:
                if everything or item.next_attempt_at <= now:
                    out.append(item)
        return out

    def send_all(
        self, client: CentralClient, progress: Progress | None = None, *, everything: bool = False
    ) -> SendReport:
        """Send every due item, oldest first; stop at the first sign the service is unreachable.

        ``everything`` also sends failed items whose next attempt is not due yet (the user
        pressed "Sync now").
        """
        report = SendReport()
        todo = self.due(everything=everything)
        pending = [i for i in self.items() if i.state != "acknowledged"]
        report.waiting = len(pending) - len(todo)
        for n, item in enumerate(todo):
            if progress is not None:
                progress(n, len(todo), "Sending findings")
            done = self.send_one(client, item.snapshot_id)
            if done.state == "acknowledged":
                report.acknowledged.append(done)
                continue
            report.failed.append(done)
            if done.next_attempt_at is not None:  # the network: the rest would fail too
                report.offline = True
                report.waiting += len(todo) - n - 1
                report.message = done.last_error
                break
        if progress is not None:
            progress(len(todo), len(todo), "Sending findings")
        return report

    def send_one(self, client: CentralClient, snapshot_id: str) -> OutboxItem:
        """Send one item now (whatever its state, unless acknowledged); the item afterwards."""
        item = self.item(snapshot_id)
        if item is None:
            raise KeyError(snapshot_id)
        if item.state == "acknowledged":
            return item
        self._update(snapshot_id, state="sending", attempts=item.attempts + 1)
        try:
            receipt = self._deliver(client, item)
        except CentralUnavailable as exc:
            wait = exc.retry_after
            if wait is None:
                wait = self.rng.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**item.attempts))
            self._update(
                snapshot_id,
                state="failed",
                last_error=exc.message,
                next_attempt_at=self.clock() + wait,
            )
        except (CentralRefused, OSError, VisitKeyError, BlobCryptoError) as exc:
            # (An attachment that cannot be read: its key is not here, or its file is damaged.)
            message = exc.message if isinstance(exc, CentralRefused) else str(exc)
            self._update(snapshot_id, state="failed", last_error=message, next_attempt_at=None)
        else:
            self._update(
                snapshot_id,
                state="acknowledged",
                last_error="",
                next_attempt_at=None,
                receipt=json.dumps(receipt, sort_keys=True),
            )
        done = self.item(snapshot_id)
        assert done is not None
        return done

    def _deliver(self, client: CentralClient, item: OutboxItem) -> dict[str, Any]:
        envelope = self.envelope(item.snapshot_id)
        for path in item.blob_files.values():
            if not Path(path).is_file():
                raise OSError(f"The attachment file {path} is missing; it cannot be sent.")
        self._push(client, item, list(item.blob_files))
        try:
            return client.submit(envelope).to_dict()
        except MissingBlobs as exc:
            # The service lost or never kept a blob we pushed: push what it names, once more.
            self._push(client, item, [sha for sha in exc.missing if sha in item.blob_files])
            return client.submit(envelope).to_dict()

    def _push(self, client: CentralClient, item: OutboxItem, shas: list[str]) -> None:
        """The attachments ``shas``, each decrypted as it is read, two at a time
        (``CentralClient.push_blobs``): one at a time, the link stood idle while the service
        finished each one (its fsync and database row) and answered the next one's HEAD."""
        if not shas:  # (nor the visit's key then: a submission without attachments)
            return
        store = self.blobs(item.visit_id)
        client.push_blobs([(sha, partial(store.open, sha)) for sha in shas])


def _signs(queued: dict[str, Any], signed: dict[str, Any]) -> bool:
    """Whether ``signed`` is ``queued``, an envelope queued unsigned, with its signature added."""
    if any(k in queued for k in SIGNATURE_FIELDS):
        return False
    return {k: v for k, v in signed.items() if k not in SIGNATURE_FIELDS} == queued


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        snapshot_id=row["snapshot_id"],
        visit_id=row["visit_id"],
        version=row["version"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        receipt=json.loads(row["receipt"]) if row["receipt"] else None,
        blob_files=json.loads(row["blob_files"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
