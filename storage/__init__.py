"""The visit workspace on disk: SQLite schema, migrations, operation log, attachments, backups.

Imports nothing of the app's other packages and never Qt. The public API::

    Workspace.open(path, key=..., device_id=..., create=False) -> Workspace
    StorageWorker(lambda: Workspace.open(...)).submit(fn, *args) -> Future
    Op, Conflict, ApplyResult, HybridClock, BlobStore, reencode_photo
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.attachments import BlobMismatch, BlobStore, NotAnImage, reencode_photo
    from storage.hlc import HybridClock
    from storage.oplog import Conflict, Op
    from storage.snapshots import SnapshotRefused, SnapshotRow
    from storage.worker import OwnerThread, StorageWorker
    from storage.workspace import (
        KEEP_WINNER,
        ApplyResult,
        Workspace,
        WorkspaceDamaged,
        WorkspaceError,
        WorkspaceKeyWrong,
        WorkspaceMissing,
        WrongVisit,
        list_backups,
        restore_backup,
    )

# Each name is imported from its module when first asked for (PEP 562): ``from storage import
# visit_keys`` (a window's start, to fetch the visit's key first) then does not wait for the
# workspace, the attachments and cryptography.
_HOMES = {
    "BlobMismatch": "attachments",
    "BlobStore": "attachments",
    "NotAnImage": "attachments",
    "reencode_photo": "attachments",
    "HybridClock": "hlc",
    "Conflict": "oplog",
    "Op": "oplog",
    "SnapshotRefused": "snapshots",
    "SnapshotRow": "snapshots",
    "OwnerThread": "worker",
    "StorageWorker": "worker",
    "KEEP_WINNER": "workspace",
    "ApplyResult": "workspace",
    "Workspace": "workspace",
    "WorkspaceDamaged": "workspace",
    "WorkspaceError": "workspace",
    "WorkspaceKeyWrong": "workspace",
    "WorkspaceMissing": "workspace",
    "WrongVisit": "workspace",
    "list_backups": "workspace",
    "restore_backup": "workspace",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # (a submodule not imported yet: the import system imports it)
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"storage.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "KEEP_WINNER",
    "ApplyResult",
    "BlobMismatch",
    "BlobStore",
    "Conflict",
    "HybridClock",
    "NotAnImage",
    "Op",
    "SnapshotRefused",
    "SnapshotRow",
    "OwnerThread",
    "StorageWorker",
    "Workspace",
    "WorkspaceDamaged",
    "WorkspaceError",
    "WorkspaceKeyWrong",
    "WorkspaceMissing",
    "WrongVisit",
    "list_backups",
    "reencode_photo",
    "restore_backup",
]
