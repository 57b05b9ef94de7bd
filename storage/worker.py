"""The storage worker: one thread that owns the workspace and runs every job on it in order.

The UI thread never waits on disk: it ``submit``s a job and gets a ``concurrent.futures.Future``
(``ui/`` turns its completion into a Qt signal). Jobs run one at a time, in submission order, on
the worker's thread, which is the only thread that touches the workspace's connection.

    worker = StorageWorker(lambda: Workspace.open(path, device_id=device))
    future = worker.submit(Workspace.record, member, "note", note_id, {"text": "..."})
    ops = future.result()
    worker.close()
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from storage.sqlite import damage_detail
from storage.workspace import Workspace, WorkspaceDamaged, list_backups

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)

_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class _Closable(Protocol):
    def close(self) -> None: ...


R = TypeVar("R", bound=_Closable)


class OwnerThread(Generic[R]):
    """Runs jobs ``fn(resource, *args)`` on one daemon thread that owns the resource (a
    SQLite connection must stay on the thread that opened it).

    ``open_resource`` is called on that thread first; if it raises (a damaged or missing
    file), ``opened`` holds the error and every job's future fails with it.
    """

    def __init__(self, open_resource: Callable[[], R], *, name: str = "storage") -> None:
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.opened: Future[R] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(open_resource,), name=name, daemon=True
        )
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(resource, *args)``; its result or exception arrives in the future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self._thread.name} worker is closed")
            self._queue.put((future, fn, args))
        return future

    @property
    def closed(self) -> bool:
        """True once ``close`` was called: nothing more can be submitted."""
        return self._closed

    def close(self, timeout: float | None = None) -> None:
        """Run every job already submitted, then close the resource and stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)

    def _failure(self, resource: R, exc: BaseException) -> BaseException:  # noqa: ARG002
        """What a job's caller sees for ``exc``; a subclass may say it in the resource's terms."""
        return exc

    def _run(self, open_resource: Callable[[], R]) -> None:
        workspace: R | None = None
        try:
            workspace = open_resource()
            self.opened.set_result(workspace)
        except BaseException as exc:  # noqa: BLE001 - reported through every future
            workspace = None
            self.opened.set_exception(exc)
        try:
            while (job := self._queue.get()) is not None:
                future, fn, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                if workspace is None:
                    future.set_exception(self.opened.exception() or RuntimeError("not open"))
                    continue
                try:
                    future.set_result(fn(workspace, *args))
                except BaseException as exc:  # noqa: BLE001 - the caller sees it in the future
                    future.set_exception(self._failure(workspace, exc))
        finally:
            if workspace is not None:
                try:
                    workspace.close()
                except Exception:
                    log.exception("closing %s failed", self._thread.name)


class StorageWorker(OwnerThread[Workspace]):
    """The visit workspace's owner thread: ``submit(fn, *args)`` runs ``fn(workspace, *args)``.

    A job that fails because the file is damaged (a record that cannot be read) fails with
    ``WorkspaceDamaged``, which names the backups, never with SQLite's own error.
    """

    def _failure(self, resource: Workspace, exc: BaseException) -> BaseException:
        detail = damage_detail(exc)
        if detail is None:
            return exc
        log.error("the workspace %s is damaged", resource.path, exc_info=exc)
        damaged = WorkspaceDamaged(resource.path, detail, list_backups(resource.path))
        damaged.__cause__ = exc
        return damaged
