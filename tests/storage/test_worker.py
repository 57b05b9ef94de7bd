from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from storage import StorageWorker, Workspace, WorkspaceMissing
from tests.keys import TEST_KEY


def opener(path: Path, create: bool = True) -> StorageWorker:
    return StorageWorker(lambda: Workspace.open(path, key=TEST_KEY, device_id="d", create=create))


def test_futures_return_results(tmp_path: Path) -> None:
    worker = opener(tmp_path / "workspace.sqlite")
    ops = worker.submit(Workspace.record, "m", "note", "n", {"text": "hi"}).result(timeout=10)
    assert ops[0].value == "hi"
    assert worker.submit(Workspace.field, "note", "n", "text").result(timeout=10) == "hi"
    threads = worker.submit(lambda _ws: threading.current_thread().name).result(timeout=10)
    assert threads == "storage"  # the work ran on the worker's thread, not this one
    worker.close()


def test_futures_carry_exceptions(tmp_path: Path) -> None:
    worker = opener(tmp_path / "workspace.sqlite")
    future = worker.submit(Workspace.record, "m", "note", "n", {"bad": float("inf")})
    with pytest.raises(ValueError, match="cannot be stored"):
        future.result(timeout=10)
    # the worker goes on after a failed job
    assert worker.submit(Workspace.op_count).result(timeout=10) == 0
    worker.close()


def test_close_drains_every_submitted_job(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    worker = opener(path)
    worker.submit(lambda _ws: time.sleep(0.2))
    futures = [
        worker.submit(Workspace.record, "m", "note", f"n{i}", {"text": str(i)}) for i in range(50)
    ]
    worker.close()
    assert all(f.done() and f.exception() is None for f in futures)
    with pytest.raises(RuntimeError, match="closed"):
        worker.submit(Workspace.op_count)
    with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
        assert ws.op_count() == 50


def test_a_workspace_that_cannot_open_fails_every_job(tmp_path: Path) -> None:
    worker = opener(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(WorkspaceMissing):
        worker.opened.result(timeout=10)
    with pytest.raises(WorkspaceMissing):
        worker.submit(Workspace.op_count).result(timeout=10)
    worker.close()
