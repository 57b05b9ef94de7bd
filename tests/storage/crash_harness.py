"""Kill -9 reliability rounds, shared by tests/storage/test_crash.py and bench/kill_edits.py.

A child process (this file run as a script) opens a workspace and records random edits in a
loop, printing each op id only after ``record()`` returned, i.e. once the edit is acknowledged.
The parent kills it with SIGKILL at a random moment, reopens the workspace and checks that every
acknowledged edit is there and the file is sound.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RoundResult:
    acknowledged: int
    lost: list[str]
    problems: list[str]


def child(path: str, seed: int) -> None:
    sys.path.insert(0, str(REPO))
    from storage import Workspace
    from tests.keys import TEST_KEY

    rng = random.Random(seed)
    ws = Workspace.open(path, key=TEST_KEY, device_id=f"device-{seed % 3}", create=True)
    print("open", flush=True)
    while True:
        entity_id = f"S-{rng.randrange(200)}"
        if rng.random() < 0.1:
            ops = [ws.delete("m1", "judgement", entity_id)]
        else:
            fields = rng.sample(["rating", "note", "reason", "risk"], rng.randrange(1, 4))
            changes = {f: f"{rng.random()}" * rng.randrange(1, 40) for f in fields}
            ops = ws.record("m1", "judgement", entity_id, changes)
        if rng.random() < 0.05:
            ws.set_local("position", entity_id)
        print(" ".join(op.op_id for op in ops), flush=True)


def run_round(path: Path, rng: random.Random, max_wait: float = 0.4) -> RoundResult:
    """One round: start a child, let it edit for a random time, SIGKILL it, check the file."""
    sys.path.insert(0, str(REPO))
    from storage import Workspace
    from tests.keys import TEST_KEY

    proc = subprocess.Popen(
        [sys.executable, __file__, str(path), str(rng.randrange(1 << 30))],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    acked: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            if line.startswith("open"):
                continue
            if line.endswith("\n"):  # a half-written line was not acknowledged
                acked.extend(line.split())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(rng.uniform(0.0, max_wait) + (0.15 if rng.random() < 0.8 else 0.0))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(timeout=10)
    stdout.close()
    with Workspace.open(path, key=TEST_KEY, device_id="checker", create=True, backup=False) as ws:
        known = {r[0] for r in ws._conn.execute("SELECT op_id FROM ops")}
        problems = ws.integrity_problems()
    return RoundResult(len(acked), [op for op in acked if op not in known], problems)


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]))
