"""Two service processes on one PostgreSQL and one blob folder, behind a round-robin proxy that
breaks 30% of requests: every finding arrives exactly once.

This is how a region runs the service (docs/central-service.md): nothing a request relies on
may live in one process, because the retry of a request that one process committed (and whose
answer was lost) is handled by the other.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reviewer_app.app.paths import DEMO_DIR
from storage import BlobStore
from sync.client import CentralClient
from sync.outbox import Outbox
from sync.server.accounts import add_user, issue_token
from sync.server.db import Database, audit, blobs, submissions
from tests.keys import TEST_KEY
from tests.server.central_helpers import DEMO_VISIT_ID, queue_findings
from tests.server.fault_proxy import FAULTS, FaultProxy

N = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(url: str, blobs_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``reviewer-central serve`` in a process of its own; (the process, its port)."""
    port = free_port()
    command = [sys.executable, "-m", "sync.server", "serve", "--db", url]
    command += ["--blobs", str(blobs_dir), "--port", str(port)]
    command += ["--trust", str(DEMO_DIR / "demo_key.pub")]
    # The access log goes to a file: a pipe nobody reads would stop the service when full.
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    return proc, port


def wait_until_serving(procs: list[tuple[subprocess.Popen[bytes], int]], logs: list[Path]) -> None:
    deadline = time.monotonic() + 60
    for (proc, _port), log in zip(procs, logs, strict=True):
        while "Uvicorn running" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)


@pytest.fixture
def two_services(
    postgres_server: Any, tmp_path: Path
) -> Iterator[tuple[Database, list[int], Path]]:
    url = postgres_server.fresh_database()
    db = Database(url)
    blobs_dir = tmp_path / "shared-blobs"
    logs = [tmp_path / "service-1.log", tmp_path / "service-2.log"]
    procs = [start_service(url, blobs_dir, log) for log in logs]
    try:
        wait_until_serving(procs, logs)
        yield db, [port for _proc, port in procs], blobs_dir
    finally:
        for proc, _port in procs:
            proc.terminate()
        for proc, _port in procs:
            proc.wait(15)
        db.dispose()
        postgres_server.drop(url)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_processes_store_300_submissions_exactly_once_through_faults(
    two_services: tuple[Database, list[int], Path], demo_kit_file: Path, tmp_path: Path
) -> None:
    db, ports, blobs_dir = two_services
    add_user(db, "staff", "staff")
    add_user(db, "lead", "reviewer")
    staff_token, lead_token = issue_token(db, "staff"), issue_token(db, "lead")
    with CentralClient(f"http://127.0.0.1:{ports[0]}", staff_token) as staff:
        kit = staff.upload_kit(demo_kit_file)
    with CentralClient(f"http://127.0.0.1:{ports[1]}", staff_token) as staff:
        staff.assign(kit["kit_id"], "lead", "m-lead")  # the other process sees the kit

    photos = BlobStore(tmp_path / "photos", TEST_KEY)  # the visit's sealed store
    outbox = Outbox(tmp_path / "outbox.sqlite", key=TEST_KEY, blobs=lambda _visit: photos)
    queue_findings(outbox, photos, N)
    rng = random.Random(17)

    def choose(_method: str, _path: str) -> str:
        return rng.choice(FAULTS) if rng.random() < 0.3 else "pass"

    with (
        FaultProxy(ports, choose) as proxy,
        CentralClient(proxy.url, lead_token, sleep=lambda _s: None, max_attempts=4) as lead,
    ):
        for _ in range(50):
            if not outbox.due(everything=True):
                break
            outbox.send_all(lead, everything=True)
        assert sum(proxy.counts[f] for f in FAULTS) > 0.25 * sum(proxy.counts.values())
        assert proxy.counts["drop_after"] > 10
        assert min(proxy.served[p] for p in ports) > N / 2  # both processes did the work

    items = outbox.items()
    assert len(items) == N
    assert {i.state for i in items} == {"acknowledged"}
    with db.read() as conn:
        rows = conn.execute(select(submissions.c.snapshot_id, submissions.c.receipt)).all()
        submits = conn.execute(
            select(func.count()).select_from(audit).where(audit.c.action == "submit")
        ).scalar()
        stored_blobs = conn.execute(select(blobs.c.sha256)).scalars().all()
    assert len(rows) == N and submits == N  # each stored once, none twice
    # A lost answer cost nothing: every laptop receipt is the one the service stored, whichever
    # process stored it and whichever answered the resend.
    assert {i.snapshot_id: i.receipt for i in items} == {
        r.snapshot_id: json.loads(r.receipt) for r in rows
    }
    assert len(stored_blobs) == N // 10
    for sha in stored_blobs:
        data = (blobs_dir / sha[:2] / sha).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
    with CentralClient(f"http://127.0.0.1:{ports[1]}", lead_token) as lead:
        status = lead.visit_status(DEMO_VISIT_ID)
    assert [s["version"] for s in status] == list(range(1, N + 1))
    outbox.close()
