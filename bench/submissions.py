"""Submissions accepted per second by the central service on SQLite, 4 concurrent clients.

    .venv/bin/python bench/submissions.py [--clients 4] [--per-client 200]

A fresh service (SQLite file, WAL, synchronous=FULL) with the demo kit uploaded and a lead
assigned; each client thread sends its own envelopes (demo-sized findings: 60 team
judgements, 20 findings, no attachments) through ``CentralClient.submit``. Every submission is
one durable transaction with its audit row. Prints the rate and per-request latency medians.
"""

from __future__ import annotations

import argparse
import statistics
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
from tests.server.central_helpers import make_envelope, serve  # noqa: E402


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
    findings["findings"] = findings["findings"] * 20
    env["content_sha256"] = content_sha256(findings)
    env["snapshot_id"] = str(uuid.uuid4())
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-client", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-subs-") as tmp:
        root = Path(tmp)
        kit = root / "demo.rvkit"
        build_demo_kit(kit)
        app = create_app(f"sqlite:///{root / 'c.sqlite'}", trusted_keys=[DEMO_DIR / "demo_key.pub"])
        db = app.state.db
        add_user(db, "staff", "staff")
        add_user(db, "lead", "reviewer")
        staff_token, lead_token = issue_token(db, "staff"), issue_token(db, "lead")
        with serve(app) as live:
            with CentralClient(live.url, staff_token) as staff:
                listing = staff.upload_kit(kit)
                staff.assign(listing["kit_id"], "lead", "m-lead")
            work = [[envelope() for _ in range(args.per_client)] for _ in range(args.clients)]
            latencies: list[float] = []
            lock = threading.Lock()

            def run(batch: list[dict]) -> None:  # type: ignore[type-arg]
                mine = []
                with CentralClient(live.url, lead_token) as client:
                    for env in batch:
                        t = time.perf_counter()
                        client.submit(env)
                        mine.append(time.perf_counter() - t)
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=run, args=(b,)) for b in work]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
        total = args.clients * args.per_client
        latencies.sort()
        print(f"{total} submissions from {args.clients} concurrent clients in {elapsed:.2f} s")
        print(f"accepted per second: {total / elapsed:.0f}")
        print(
            f"latency: median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {latencies[int(0.99 * len(latencies)) - 1] * 1000:.1f} ms"
        )
        db.dispose()


if __name__ == "__main__":
    main()
