"""One edit acknowledged through the storage worker, in a 50,000-operation workspace.

Budget (shared/DESIGN.md): p99 <= 25 ms. An edit is acknowledged when ``future.result()`` returns
after ``submit(Workspace.record, ...)``: the op is committed durably (WAL, synchronous=FULL).

    .venv/bin/python bench/edit_latency.py [--ops 50000] [--edits 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage import Op, StorageWorker, Workspace  # noqa: E402
from storage.hlc import format_hlc  # noqa: E402
from tests.keys import TEST_KEY  # noqa: E402

BUDGET_P99_MS = 25.0
FIELDS = ["rating", "comment", "reason", "evidence_seen"]


def build(path: Path, n_ops: int) -> list[str]:
    """A workspace as after a busy visit: n_ops from 8 devices over 2,000 x 3 judgements."""
    rng = random.Random(7)
    entity_ids = [f"S-{s:04d}/C{c}/m{m}" for s in range(500) for c in range(3) for m in range(4)]
    devices = [str(uuid.uuid4()) for _ in range(8)]
    last: dict[tuple[str, str], str] = {}
    ops: list[Op] = []
    start = 1_700_000_000_000
    for i in range(n_ops):
        device = devices[i % len(devices)]
        key = (rng.choice(entity_ids), rng.choice(FIELDS))
        value = (
            rng.choice(["met", "partly met", "not met"])
            if key[1] == "rating"
            else ("Observed on the ward round; staff described the escalation route. " * 2)
        )
        op = Op(
            str(uuid.uuid4()),
            format_hlc(start + i, 0),
            device,
            f"m{i % 4}",
            "judgement",
            key[0],
            key[1],
            value,
            last.get(key),
        )
        last[key] = op.op_id
        ops.append(op)
    with Workspace.open(path, key=TEST_KEY, device_id="bench", create=True) as ws:
        t = time.perf_counter()
        for chunk in range(0, len(ops), 5_000):
            ws.apply_ops(ops[chunk : chunk + 5_000])
        print(
            f"built {ws.op_count():,} operations in {time.perf_counter() - t:.2f} s "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
    return entity_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=50_000)
    parser.add_argument("--edits", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "visit" / "workspace.sqlite"
        entity_ids = build(path, args.ops)
        worker = StorageWorker(lambda: Workspace.open(path, key=TEST_KEY, device_id="bench"))
        worker.opened.result()
        rng = random.Random(11)
        for _ in range(20):  # warm up caches
            worker.submit(Workspace.record, "m0", "judgement", entity_ids[0], {"rating": "met"})
        worker.submit(Workspace.op_count).result()
        samples: list[float] = []
        for i in range(args.edits):
            entity_id, field = rng.choice(entity_ids), rng.choice(FIELDS)
            t = time.perf_counter()
            worker.submit(
                Workspace.record, "m0", "judgement", entity_id, {field: f"edit {i}"}
            ).result()
            samples.append((time.perf_counter() - t) * 1000)
        worker.close()
    q = statistics.quantiles(samples, n=100, method="inclusive")
    p50, p95, p99 = statistics.median(samples), q[94], q[98]
    print(f"{args.edits} edits acknowledged with {args.ops:,} operations in the workspace")
    print(f"p50 {p50:.2f} ms   p95 {p95:.2f} ms   p99 {p99:.2f} ms   max {max(samples):.2f} ms")
    verdict = "within" if p99 <= BUDGET_P99_MS else "OVER"
    print(f"budget p99 <= {BUDGET_P99_MS:.0f} ms: {verdict} budget")


if __name__ == "__main__":
    main()
