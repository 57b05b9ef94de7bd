"""Kill -9 reliability, 200 rounds: acknowledged edits must never be lost.

Each round starts a process that records random edits (printing each op id once ``record()``
returned), kills it with SIGKILL at a random moment, reopens the workspace and checks that every
acknowledged edit is there and that ``quick_check`` and ``foreign_key_check`` are clean.

    .venv/bin/python bench/kill_edits.py [--rounds 200] [--seed N]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "storage"))

from crash_harness import run_round  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    acknowledged = lost = damaged = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "visit" / "workspace.sqlite"
        for round_no in range(1, args.rounds + 1):
            result = run_round(path, rng)
            acknowledged += result.acknowledged
            lost += len(result.lost)
            damaged += bool(result.problems)
            if result.lost or result.problems:
                print(f"round {round_no}: lost {result.lost[:5]} problems {result.problems[:3]}")
    print(
        f"seed {args.seed}: {args.rounds} rounds in {time.perf_counter() - start:.1f} s, "
        f"{acknowledged:,} acknowledged edits, {lost} lost, {damaged} rounds with problems"
    )
    print("PASS" if lost == 0 and damaged == 0 else "FAIL")
    return 0 if lost == 0 and damaged == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
