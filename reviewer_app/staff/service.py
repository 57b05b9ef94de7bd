"""The one thread that owns the staff workspace, so the staff window never waits on disk.

The same shape as ``storage.worker.StorageWorker`` (which is typed for a visit's workspace):
``submit(fn, *args)`` queues ``fn(store, *args)`` and returns a ``Future``; jobs run one at a
time, in order, on a daemon thread that opened the store and is the only one to touch it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from reviewer_app.paths import AppPaths
from storage.staff_store import StaffStore

T = TypeVar("T")
log = logging.getLogger(__name__)

STAFF_FILE = "staff.sqlite"

_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


def staff_store_path(paths: AppPaths) -> Path:
    return paths.data / STAFF_FILE


class StaffService:
    """Runs jobs ``fn(store, *args)`` on one thread that owns the staff workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.opened: Future[StaffStore] = Future()
        self._thread = threading.Thread(target=self._run, name="staff-store", daemon=True)
        self._thread.start()

    @classmethod
    def for_paths(cls, paths: AppPaths) -> StaffService:
        return cls(staff_store_path(paths))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the staff workspace is closed")
            self._queue.put((future, fn, args))
        return future

    def close(self, timeout: float | None = None) -> None:
        """Run every job already submitted, then close the store and stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        store: StaffStore | None = None
        try:
            store = StaffStore.open(self.path)
            self.opened.set_result(store)
        except BaseException as exc:  # noqa: BLE001 - reported through every future
            self.opened.set_exception(exc)
        try:
            while (job := self._queue.get()) is not None:
                future, fn, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                if store is None:
                    future.set_exception(self.opened.exception() or RuntimeError("not open"))
                    continue
                try:
                    future.set_result(fn(store, *args))
                except BaseException as exc:  # noqa: BLE001 - the caller sees it in the future
                    future.set_exception(exc)
        finally:
            if store is not None:
                try:
                    store.close()
                except Exception:
                    log.exception("closing the staff workspace failed")
