"""The visit workspace on disk: SQLite schema, migrations, operation log, attachments, backups.

Imports nothing of the app's other packages and never Qt. The public API::

    Workspace.open(path, key=..., device_id=..., create=False) -> Workspace
    StorageWorker(lambda: Workspace.open(...)).submit(fn, *args) -> Future
    Op, Conflict, ApplyResult, HybridClock, BlobStore, reencode_photo
"""

from __future__ import annotations

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
