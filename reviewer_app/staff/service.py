"""The one thread that owns the staff workspace, so the staff window never waits on disk.

``storage.worker.OwnerThread`` over the staff store, as ``StorageWorker`` is over a visit's
workspace: ``submit(fn, *args)`` queues ``fn(store, *args)`` and returns a ``Future``; jobs run
one at a time, in order, on a daemon thread that opened the store and is the only one to touch
it. The store is encrypted with the installation's staff-store key, fetched by ``for_paths`` on
the caller's thread (the one that may ask for a passphrase), never on the worker.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.app.keys import STAFF_STORE, laptop_key
from reviewer_app.app.paths import AppPaths
from storage import OwnerThread
from storage.staff_store import StaffStore

STAFF_FILE = "staff.sqlite"


def staff_store_path(paths: AppPaths) -> Path:
    return paths.data / STAFF_FILE


class StaffService(OwnerThread[StaffStore]):
    """Runs jobs ``fn(store, *args)`` on one thread that owns the staff workspace."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        super().__init__(lambda: StaffStore.open(path, key=key), name="staff-store")

    @classmethod
    def for_paths(cls, paths: AppPaths) -> StaffService:
        """The service over this installation's staff store; raises a
        ``storage.visit_keys.VisitKeyError`` (a sentence) when its key cannot be had."""
        return cls(staff_store_path(paths), laptop_key(paths, STAFF_STORE))
