"""The one thread that owns the staff workspace, so the staff window never waits on disk.

``storage.worker.OwnerThread`` over the staff store, as ``StorageWorker`` is over a visit's
workspace: ``submit(fn, *args)`` queues ``fn(store, *args)`` and returns a ``Future``; jobs run
one at a time, in order, on a daemon thread that opened the store and is the only one to touch
it.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.app.paths import AppPaths
from storage import OwnerThread
from storage.staff_store import StaffStore

STAFF_FILE = "staff.sqlite"


def staff_store_path(paths: AppPaths) -> Path:
    return paths.data / STAFF_FILE


class StaffService(OwnerThread[StaffStore]):
    """Runs jobs ``fn(store, *args)`` on one thread that owns the staff workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(lambda: StaffStore.open(path), name="staff-store")

    @classmethod
    def for_paths(cls, paths: AppPaths) -> StaffService:
        return cls(staff_store_path(paths))
