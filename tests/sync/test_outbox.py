"""The outbox: durable, idempotent, crash-safe, encrypted; refusals wait for a person, outages
retry."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from storage import BlobStore, encrypted_sqlite
from sync.client import AT_ONCE
from sync.outbox import Outbox, OutboxError
from sync.server.db import blob_owners, blobs
from tests.keys import TEST_KEY
from tests.server.central_helpers import (
    Central,
    make_envelope,
)


def sealed(tmp_path: Path) -> Callable[[str], BlobStore]:
    """The visit's blob store, which the outbox sends attachments from (decrypted as read)."""
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    return lambda _visit_id: store


def test_enqueue_is_durable_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    envelope = make_envelope()
    with Outbox(path, key=TEST_KEY, blobs=sealed(tmp_path)) as outbox:
        outbox.enqueue(envelope, {})
        outbox.enqueue(envelope, {})
        other = make_envelope(note="changed")
        other["snapshot_id"] = envelope["snapshot_id"]
        with pytest.raises(OutboxError, match="different snapshot"):
            outbox.enqueue(other, {})
        with pytest.raises(OutboxError, match="no file"):
            outbox.enqueue(make_envelope(attachments=[("c" * 64, 3)]), {})
    with Outbox(path, key=TEST_KEY, blobs=sealed(tmp_path)) as again:
        items = again.items()
    assert [(i.snapshot_id, i.state) for i in items] == [(envelope["snapshot_id"], "queued")]
    assert again is not None


def test_an_item_left_sending_by_a_crash_is_sent_once(
    demo_central: Central, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.sqlite"
    photo = b"photo" * 100
    store = sealed(tmp_path)
    sha = store("").put_bytes(photo)
    envelope = make_envelope(attachments=[(sha, len(photo))])
    client = demo_central.client("lead")
    with Outbox(path, key=TEST_KEY, blobs=store) as outbox:
        outbox.enqueue(envelope, {sha: store("").path(sha)})
        first = outbox.send_one(client, envelope["snapshot_id"])
    assert first.state == "acknowledged"
    # The process died after the service committed but before the receipt was stored.
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    conn.execute("UPDATE items SET state = 'sending', receipt = NULL")
    conn.close()
    with Outbox(path, key=TEST_KEY, blobs=sealed(tmp_path)) as outbox:
        assert [i.snapshot_id for i in outbox.due()] == [envelope["snapshot_id"]]
        report = outbox.send_all(client)
        assert [i.receipt for i in report.acknowledged] == [first.receipt]
    status = client.visit_status(envelope["visit_id"])
    assert len(status) == 1


def test_attachments_go_two_at_a_time_and_one_the_service_lost_goes_again(
    demo_central: Central, tmp_path: Path
) -> None:
    store = sealed(tmp_path)
    photos = [bytes([i]) * (300_000 + i) for i in range(5)]
    shas = [store("").put_bytes(p) for p in photos]
    envelope = make_envelope(attachments=[(s, len(p)) for s, p in zip(shas, photos, strict=True)])
    client = demo_central.client("lead")
    at_once = []
    push_blobs = client.push_blobs

    def counted(blobs: Any, **kwargs: Any) -> int:
        at_once.append(kwargs.get("at_once", AT_ONCE))
        return push_blobs(blobs, **kwargs)

    submit = client.submit
    lost: list[str] = []

    def losing_one(env: dict[str, Any]) -> Any:  # the service lost the third, once
        if not lost:
            lost.append(shas[2])
            with demo_central.db.write() as conn:
                conn.execute(delete(blob_owners).where(blob_owners.c.sha256 == shas[2]))
                conn.execute(delete(blobs).where(blobs.c.sha256 == shas[2]))
            blob = demo_central.folder / "central-blobs" / shas[2][:2] / shas[2]
            blob.unlink()
        return submit(env)

    client.push_blobs = counted  # type: ignore[method-assign]
    client.submit = losing_one  # type: ignore[method-assign]
    with Outbox(tmp_path / "outbox.sqlite", key=TEST_KEY, blobs=store) as outbox:
        outbox.enqueue(envelope, {s: store("").path(s) for s in shas})
        done = outbox.send_one(client, envelope["snapshot_id"])
    assert done.state == "acknowledged", done.last_error
    assert at_once == [AT_ONCE, AT_ONCE] and AT_ONCE == 2  # all five, then the lost one again
    for sha, photo in zip(shas, photos, strict=True):
        assert (demo_central.folder / "central-blobs" / sha[:2] / sha).read_bytes() == photo


def test_a_refusal_waits_for_a_person_and_retry_queues_it(
    demo_central: Central, tmp_path: Path
) -> None:
    with Outbox(tmp_path / "outbox.sqlite", key=TEST_KEY, blobs=sealed(tmp_path)) as outbox:
        envelope = make_envelope()
        outbox.enqueue(envelope, {})
        report = outbox.send_all(demo_central.client("cns"))  # not the lead
        (failed,) = report.failed
        assert failed.waits_for_person and "lead" in failed.last_error
        assert outbox.due() == []  # never retried on its own
        assert outbox.retry(envelope["snapshot_id"]).state == "queued"
        assert outbox.send_all(demo_central.client("lead")).acknowledged


def test_offline_keeps_everything_for_later(demo_central: Central, tmp_path: Path) -> None:
    from sync.client import CentralClient

    clock = [1000.0]
    with Outbox(
        tmp_path / "outbox.sqlite", key=TEST_KEY, blobs=sealed(tmp_path), clock=lambda: clock[0]
    ) as outbox:
        for v in (1, 2):
            outbox.enqueue(make_envelope(version=v), {})
        dead = CentralClient("http://127.0.0.1:9", "t", sleep=lambda _s: None, max_attempts=2)
        report = outbox.send_all(dead)
        dead.close()
        assert report.offline and len(report.failed) == 1 and report.waiting == 1
        assert "could not be reached" in report.message
        failed = outbox.items()[0]
        assert failed.next_attempt_at is not None and failed.next_attempt_at >= 1000
        clock[0] += 10_000
        report = outbox.send_all(demo_central.client("lead"))
        assert len(report.acknowledged) == 2
        assert {i.state for i in outbox.items()} == {"acknowledged"}


# The schema the outbox had before it was versioned (user_version 0), as the older app made it.
_UNVERSIONED_SCHEMA = """
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
)
"""


def test_an_outbox_the_older_app_made_opens_with_its_items(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    envelope = make_envelope()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(_UNVERSIONED_SCHEMA)
    conn.execute(
        "INSERT INTO items (snapshot_id, visit_id, version, envelope, blob_files, state,"
        " attempts, last_error, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, '{}', 'failed', 2, 'no network', 10.0, 11.0)",
        (envelope["snapshot_id"], envelope["visit_id"], envelope["version"], '{"a": 1}'),
    )
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    conn.close()

    with Outbox(path, key=TEST_KEY, blobs=sealed(tmp_path)) as outbox:
        [item] = outbox.items()
        assert (item.snapshot_id, item.state, item.attempts, item.last_error) == (
            envelope["snapshot_id"],
            "failed",
            2,
            "no network",
        )
        assert outbox.envelope(item.snapshot_id) == {"a": 1}
        assert outbox.retry(item.snapshot_id).state == "queued"
    assert encrypted_sqlite.is_encrypted(path)  # the older app's plain file, encrypted in place
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    with Outbox(
        path, key=TEST_KEY, blobs=sealed(tmp_path)
    ) as again:  # opening a versioned file again changes nothing
        assert [i.state for i in again.items()] == ["queued"]
