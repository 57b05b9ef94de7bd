"""The write-ahead log is folded back into the workspace file on a thread of its own: while the
workspace stays open after a big merge, and before it closes; nothing is lost either way."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from storage import Op, Workspace, checkpoints
from tests.keys import TEST_KEY


def remote_ops(n: int) -> list[Op]:
    return [
        Op(str(uuid.uuid4()), f"{1_780_000_000_000 + i:015d}.000000", "dev-b", "m2", "note",
           f"n{i}", "text", f"note {i}")
        for i in range(n)
    ]  # fmt: skip


def test_a_big_merge_is_folded_into_the_file_while_it_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "w" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
        before = path.stat().st_size
        ws.apply_ops(remote_ops(2 * checkpoints.ROWS_PER_CHECKPOINT))
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.stat().st_size > before, "the merge's pages reached the file"
        ws.record("m1", "note", "mine", {"text": "after"})
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    with Workspace.open(path, key=TEST_KEY, device_id="d1") as ws:
        assert ws.op_count() == 2 * checkpoints.ROWS_PER_CHECKPOINT + 1
        assert ws.field("note", "mine", "text") == "after"


def test_small_edits_start_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "w" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d1", create=True) as ws:
        for i in range(5):
            ws.record("m1", "note", f"n{i}", {"text": "a few words"})
        assert ws._checkpoints._thread is None
