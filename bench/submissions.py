"""Submissions accepted per second by the central service, 4 concurrent clients: on SQLite
(one process), and on PostgreSQL with two service processes sharing the database.

    .venv/bin/python bench/submissions.py [--db sqlite|postgresql|both] [--processes 2]
                                          [--clients 4] [--per-client 200]

A fresh service with the demo kit uploaded and a lead assigned; each client thread sends its
own envelopes (demo-sized findings: 60 team judgements, 20 findings, no attachments) through
``CentralClient.submit``. Every submission is one durable transaction with its audit row.
SQLite: a file (WAL, synchronous=FULL), the service in this process. PostgreSQL: the server
in REVIEWER_CENTRAL_TEST_PG_URL, else a throwaway cluster with fsync on (as a real server
runs); ``--processes`` ``reviewer-central serve`` processes, client ``i`` talking to process
``i mod processes`` (as a reverse proxy spreads connections). Prints the rate, the median
and the p99 of the per-request latency.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewer_app.app.paths import DEMO_DIR  # noqa: E402
from reviewer_app.demo.kits import build_demo_kit  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.findings_format import content_sha256  # noqa: E402
from sync.server.accounts import add_user, issue_token  # noqa: E402
from sync.server.app import create_app  # noqa: E402
from sync.server.db import Database  # noqa: E402
from tests.server import pg_cluster  # noqa: E402
from tests.server.central_helpers import make_envelope, serve, sign  # noqa: E402


def envelope() -> dict:  # type: ignore[type-arg]
    env = make_envelope()
    findings = env["findings"]
    findings["team_judgements"] = [
        {
            "ref": f"HN-{100 + i}",
            "component": "shc",
            "value": "met",
            "rationale": "x" * 80,
            "key": False,
        }
        for i in range(60)
    ]
    findings["compliance"] = [{"component": "shc", "applicable": 60, "met": 60}]
    findings["findings"] = findings["findings"] * 20
    env["content_sha256"] = content_sha256(findings)
    env["snapshot_id"] = str(uuid.uuid4())
    return sign(env)  # the findings changed: signed again, as finalising would


def send(urls: list[str], token: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    """Each client sends its batch to ``urls[i % len(urls)]``; (seconds, latencies)."""
    work = [[envelope() for _ in range(per_client)] for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()

    def run(url: str, batch: list[dict]) -> None:  # type: ignore[type-arg]
        mine = []
        with CentralClient(url, token) as client:
            for env in batch:
                t = time.perf_counter()
                client.submit(env)
                mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=run, args=(urls[i % len(urls)], b)) for i, b in enumerate(work)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


def prepare(db: Database, url: str, kit: Path) -> str:
    """Users, the demo kit uploaded (through ``url``) and assigned; the lead's token."""
    add_user(db, "staff", "staff")
    add_user(db, "lead", "reviewer")
    staff_token, lead_token = issue_token(db, "staff"), issue_token(db, "lead")
    with CentralClient(url, staff_token) as staff:
        listing = staff.upload_kit(kit)
        staff.assign(listing["kit_id"], "lead", "m-lead")
    return lead_token


def report(what: str, clients: int, elapsed: float, latencies: list[float]) -> None:
    total = len(latencies)
    latencies.sort()
    print(f"{what}: {total} submissions from {clients} concurrent clients in {elapsed:.2f} s")
    print(f"  accepted per second: {total / elapsed:.0f}")
    print(
        f"  latency: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {latencies[int(0.99 * len(latencies)) - 1] * 1000:.1f} ms"
    )


def bench_sqlite(root: Path, kit: Path, args: argparse.Namespace) -> None:
    app = create_app(f"sqlite:///{root / 'c.sqlite'}", trusted_keys=[DEMO_DIR / "demo_key.pub"])
    with serve(app) as live:
        token = prepare(app.state.db, live.url, kit)
        elapsed, latencies = send([live.url], token, args.clients, args.per_client)
    report("SQLite, one process", args.clients, elapsed, latencies)
    app.state.db.dispose()


def bench_postgresql(root: Path, kit: Path, args: argparse.Namespace) -> None:
    server = (
        pg_cluster.postgres()
        if os.environ.get(pg_cluster.ENV_URL)
        else pg_cluster.start_cluster(durable=True)
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = server.fresh_database()
        ports = []
        for i in range(args.processes):
            port = _free_port()
            log = root / f"service-{i}.log"
            with open(log, "wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "sync.server", "serve", "--db", url, "--port",
                         str(port), "--blobs", str(root / "blobs"),
                         "--trust", str(DEMO_DIR / "demo_key.pub")],
                        stdout=out, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
            ports.append(port)
            while "Uvicorn running" not in log.read_text(errors="replace"):
                if procs[-1].poll() is not None:
                    raise SystemExit(log.read_text(errors="replace"))
                time.sleep(0.05)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        db = Database(url)
        token = prepare(db, urls[0], kit)
        elapsed, latencies = send(urls, token, args.clients, args.per_client)
        db.dispose()
        report(f"PostgreSQL, {args.processes} processes", args.clients, elapsed, latencies)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(15)
        server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--processes", type=int, default=2, help="service processes (PostgreSQL)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-client", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-subs-") as tmp:
        root = Path(tmp)
        kit = root / "demo.rvkit"
        build_demo_kit(kit)
        if args.db in ("sqlite", "both"):
            (root / "sqlite").mkdir()
            bench_sqlite(root / "sqlite", kit, args)
        if args.db in ("postgresql", "both"):
            (root / "postgresql").mkdir()
            try:
                bench_postgresql(root / "postgresql", kit, args)
            except pg_cluster.PostgresUnavailable as exc:
                print(f"PostgreSQL: not measured ({exc})")


if __name__ == "__main__":
    main()
