"""An edit the app acknowledged survives the process being killed at any moment."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from crash_harness import run_round

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "20" if os.environ.get("CI") else "8"))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGKILL test needs a POSIX system")
def test_acknowledged_edits_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    path = tmp_path / "visit" / "workspace.sqlite"
    total = 0
    for round_no in range(ROUNDS):
        result = run_round(path, rng)
        assert result.lost == [], f"round {round_no}: acknowledged edits lost: {result.lost[:5]}"
        assert result.problems == [], f"round {round_no}: {result.problems}"
        total += result.acknowledged
    assert total > 0  # the child really made edits
