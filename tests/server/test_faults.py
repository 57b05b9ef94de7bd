"""No fault in the network loses or duplicates a finding (through a breaking proxy)."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from storage import BlobStore
from sync.outbox import Outbox
from sync.server.db import audit, submissions
from tests.keys import TEST_KEY
from tests.server.central_helpers import DEMO_VISIT_ID, Central, queue_findings
from tests.server.fault_proxy import FAULTS, FaultProxy

N = 300


# On PostgreSQL this is tests/server/test_two_processes.py, with two service processes.
@pytest.mark.sqlite_only
def test_300_submissions_through_30_percent_faults(demo_central: Central, tmp_path: Path) -> None:
    rng = random.Random(6)

    def choose(_method: str, _path: str) -> str:
        return rng.choice(FAULTS) if rng.random() < 0.3 else "pass"

    port = int(demo_central.url.rsplit(":", 1)[1])
    photos = BlobStore(tmp_path / "photos", TEST_KEY)  # the visit's sealed store
    outbox = Outbox(tmp_path / "outbox.sqlite", key=TEST_KEY, blobs=lambda _visit: photos)
    queue_findings(outbox, photos, N)

    with FaultProxy(port, choose) as proxy:
        client = demo_central.client("lead", url=proxy.url, max_attempts=4, timeout=5.0)
        for _ in range(50):
            if not outbox.due(everything=True):
                break
            outbox.send_all(client, everything=True)
        assert sum(proxy.counts[f] for f in FAULTS) > 0.25 * sum(proxy.counts.values())
        assert proxy.counts["drop_after"] > 10

    items = outbox.items()
    assert len(items) == N
    assert {i.state for i in items} == {"acknowledged"}
    with demo_central.db.read() as conn:
        rows = conn.execute(select(submissions.c.snapshot_id, submissions.c.receipt)).all()
        submits = conn.execute(
            select(func.count()).select_from(audit).where(audit.c.action == "submit")
        ).scalar()
    assert len(rows) == N and submits == N  # each stored once, none twice
    stored = {r.snapshot_id: json.loads(r.receipt) for r in rows}
    # A lost response cost nothing: every laptop receipt is the one the service stored.
    assert {i.snapshot_id: i.receipt for i in items} == stored
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert [s["version"] for s in status] == list(range(1, N + 1))
    outbox.close()


def test_a_large_upload_resumes_after_a_dropped_connection(demo_central: Central) -> None:
    data = random.Random(1).randbytes(6 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    cuts = iter(["cut"])
    port = int(demo_central.url.rsplit(":", 1)[1])
    sent: list[int] = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PUT":
                sent.append(int(request.headers["Content-Length"]))
            return super().handle_request(request)

    def choose(method: str, _path: str) -> str:
        return next(cuts, "pass") if method == "PUT" else "pass"

    partials = demo_central.folder / "central-blobs" / "partial"

    def arrived(size: int) -> bool:
        # partial/<user id>/<sha>: the uploader's own partial file
        return any(p.stat().st_size >= size for p in partials.glob(f"*/{sha}"))

    with FaultProxy(port, choose, arrived) as proxy:
        client = demo_central.client("lead", url=proxy.url, transport=Counting())
        assert client.push_blob(data, sha) is True
    assert sent[0] == len(data)
    assert sum(sent[1:]) <= len(data) // 2 + 1  # only what had not arrived was sent again
    assert len(sent) >= 2
    files = demo_central.folder / "central-blobs"
    assert (files / sha[:2] / sha).read_bytes() == data
    assert not list((files / "partial").glob(f"*/{sha}"))
