"""Visits on this laptop: opening a kit into a workspace, and finding workspaces again.

Opening a kit (``open_kit``) checks everything first (``sync.kit_reader``: signature, hashes,
limits) in a staging folder, and only then writes: the evidence documents go into the workspace's
blob store, and the kit's content into the workspace in one transaction. A kit that is refused
leaves the user's folders exactly as they were.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.device import device_id
from reviewer_app.errors import UserError
from reviewer_app.paths import BUNDLED_KEYS_DIR, DEMO_DIR, AppPaths
from reviewer_app.session import VisitSession
from storage import (
    BlobStore,
    StorageWorker,
    Workspace,
    WorkspaceError,
    list_backups,
    restore_backup,
)
from storage import WorkspaceDamaged as WorkspaceDamaged  # noqa: PLC0414 (re-export for ui/)
from sync.kit_model import KitManifest, Member, VisitDetails

if TYPE_CHECKING:
    from reviewer_app.kit_changes import KitChanges
    from sync.keys import TrustStore
    from sync.kit_reader import VerifiedKit

WORKSPACE_FILE = "workspace.sqlite"
DEMO_PUBLIC_KEY = DEMO_DIR / "demo_key.pub"

Progress = Callable[[str, int, int], None]


class VisitError(UserError):
    """Something the user can put right: the message says what and how."""


@dataclass(frozen=True, slots=True)
class OpenedVisit:
    visit_id: str
    kit_id: str
    member_id: str
    workspace_path: Path
    demo: bool
    reissued: bool
    changes: KitChanges | None = None  # what a re-issued kit changed (reviewer_app.kit_changes)


# The kit and key modules (cryptography, zip checks) are imported where they are used, so the
# window opens a visit already on this laptop without loading them (start-up time).


def trust_store(paths: AppPaths, *, demo: bool) -> TrustStore:
    from sync.keys import TrustStore  # noqa: PLC0415 (see above)

    """The keys this laptop trusts: the user's, the app's, and the demo key only in demo mode."""
    dirs = [paths.trusted_keys, BUNDLED_KEYS_DIR]
    if demo:
        dirs.append(DEMO_DIR)
    return TrustStore(dirs)


def demo_key_id() -> str:
    from sync.keys import key_id, load_public_key  # noqa: PLC0415

    return key_id(load_public_key(DEMO_PUBLIC_KEY))


def workspace_path(paths: AppPaths, visit_id: str) -> Path:
    return paths.visit_folder(visit_id) / WORKSPACE_FILE


def open_kit(
    kit: Path,
    member_id: str,
    *,
    paths: AppPaths,
    demo: bool = False,
    progress: Progress | None = None,
) -> OpenedVisit:
    """Create (or reopen) this laptop's workspace for the kit's visit, as ``member_id``.

    A re-issued kit for a visit already here replaces the kit's content and keeps every operation.
    """
    paths.staging.mkdir(parents=True, exist_ok=True)
    try:
        from sync.kit_reader import read_kit  # noqa: PLC0415

        with read_kit(kit, trust=trust_store(paths, demo=demo), staging_root=paths.staging) as vk:
            return _install(vk, member_id, paths=paths, progress=progress)
    finally:
        _remove_if_empty(paths.staging)


def _install(
    vk: VerifiedKit, member_id: str, *, paths: AppPaths, progress: Progress | None
) -> OpenedVisit:
    manifest = vk.manifest
    visit = manifest.visit
    if visit.member(member_id) is None:
        known = ", ".join(f"{m.member_id} ({m.name})" for m in visit.team)
        raise VisitError(f"{member_id!r} is not on this visit's team; choose one of: {known}")
    demo = manifest.signing_key_id == demo_key_id()
    target = workspace_path(paths, visit.visit_id)
    with Workspace.open(target, device_id=device_id(paths), create=True) as ws:
        previous = ws.kit_info()
        reissued = previous is not None and previous["kit_id"] != manifest.kit_id
        from reviewer_app import kit_changes  # noqa: PLC0415 (only opening a kit needs it)

        old_kit = kit_changes.before(ws) if reissued else None
        if progress:
            progress("Storing the kit", 0, 1)
        # The reader hashed every file against the signed manifest while extracting it, so the
        # blob store only moves them into place; flushing them to disk overlaps the inserts.
        files = [
            (vk.file_path(name), manifest.files[name].sha256, manifest.files[name].size)
            for name in dict.fromkeys(d.file for d in vk.evidence)
        ]
        with ThreadPoolExecutor(max_workers=1) as pool:
            storing = pool.submit(ws.blobs.adopt, files)
            ws.load_kit(
                kit_id=manifest.kit_id,
                visit_id=visit.visit_id,
                manifest_json=json.dumps(manifest.to_dict(), sort_keys=True),
                sections=list(vk.standards.sections),
                standards=[s.to_dict() for s in vk.standards.standards],
                self_assessment=[e.to_dict() for e in vk.self_assessment],
                evidence=[{**d.to_dict(), **_file_entry(manifest, d.file)} for d in vk.evidence],
                before_commit=storing.result,
            )
        changes = kit_changes.record(ws, old_kit, vk.standards.standards, visit, manifest.kit_id)
        if progress:
            progress("Storing the kit", 1, 1)
        ws.set_local("member_id", member_id)
        ws.set_local("demo", "1" if demo else "0")
    return OpenedVisit(
        visit_id=visit.visit_id,
        kit_id=manifest.kit_id,
        member_id=member_id,
        workspace_path=target,
        demo=demo,
        reissued=reissued,
        changes=changes,
    )


def _file_entry(manifest: KitManifest, name: str) -> dict[str, object]:
    entry = manifest.files[name]
    return {"sha256": entry.sha256, "size": entry.size}


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


@dataclass(frozen=True, slots=True)
class VisitSummary:
    visit_id: str
    title: str
    start_date: str
    member_id: str
    path: Path


def list_visits(paths: AppPaths) -> list[VisitSummary]:
    """The visits with a workspace on this laptop, newest visit date first."""
    out: list[VisitSummary] = []
    if not paths.visits.is_dir():
        return out
    for folder in sorted(paths.visits.iterdir()):
        file = folder / WORKSPACE_FILE
        if not file.is_file():
            continue
        try:
            with Workspace.open(file, device_id=device_id(paths)) as ws:
                info = ws.kit_info()
                member = ws.get_local("member_id") or ""
        except Exception:  # a damaged workspace is listed by the app's start screen, not here
            continue
        if info is None:
            continue
        visit = VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])
        out.append(VisitSummary(visit.visit_id, visit.title, visit.start_date, member, file))
    out.sort(key=lambda v: v.start_date, reverse=True)
    return out


def forget_staging(paths: AppPaths) -> None:
    """Remove what an interrupted kit check left behind (called at start-up)."""
    if paths.staging.is_dir():
        shutil.rmtree(paths.staging, ignore_errors=True)


def kit_team(kit: Path, *, paths: AppPaths, demo: bool) -> tuple[VisitDetails, tuple[Member, ...]]:
    """Check a kit and return its visit and team, for choosing "who am I" before opening it."""
    from sync.kit_reader import verify_kit  # noqa: PLC0415

    manifest = verify_kit(kit, trust=trust_store(paths, demo=demo))
    return manifest.visit, manifest.visit.team


def storage_worker(paths: AppPaths, visit_id: str) -> StorageWorker:
    """The one thread that owns the visit's workspace; the window sends it all disk work."""
    file = workspace_path(paths, visit_id)
    return StorageWorker(lambda: Workspace.open(file, device_id=device_id(paths)))


def open_session(paths: AppPaths, visit_id: str) -> Future[VisitSession]:
    """Open the visit's workspace on its own storage worker and read it; the UI waits on nothing.

    A damaged workspace fails the future with ``WorkspaceDamaged`` (its message names the
    backups to go back to).

    A failed open also closes the worker (in the background), so the file is released before
    the future reports the error: the caller may restore a backup over it straight away.
    """
    blobs = BlobStore(paths.visit_folder(visit_id) / "blobs")
    worker = storage_worker(paths, visit_id)
    loading = VisitSession.load(worker, blobs)
    out: Future[VisitSession] = Future()

    def done(f: Future[VisitSession]) -> None:
        exc = f.exception()
        if exc is None:
            out.set_result(f.result())
            return

        def release() -> None:  # not on the worker's own thread: close() joins it
            worker.close()
            out.set_exception(exc)

        threading.Thread(target=release, name="release-workspace", daemon=True).start()

    loading.add_done_callback(done)
    return out


# -- for the start screen: recent visits, damaged workspaces and their backups -------------------


@dataclass(frozen=True, slots=True)
class RecentVisit:
    """A visit with a workspace here, as the start screen lists it.

    A damaged workspace is listed too (``damaged``; its title is unknown, so empty), so the
    reviewer can reach its backups from the start screen.
    """

    visit_id: str
    title: str
    start_date: str
    member_id: str
    member_name: str
    member_role: str
    demo: bool
    damaged: bool
    last_used: float  # the workspace file's modification time (seconds since the epoch)
    path: Path


def recent_visits(paths: AppPaths) -> list[RecentVisit]:
    """Every visit with a workspace on this laptop, the one worked on last first.

    Reads each workspace without taking a backup; slow on many visits: call it off the UI thread.
    """
    out: list[RecentVisit] = []
    if not paths.visits.is_dir():
        return out
    for folder in sorted(paths.visits.iterdir()):
        file = folder / WORKSPACE_FILE
        if file.is_file():
            entry = _recent_visit(paths, folder.name, file)
            if entry is not None:
                out.append(entry)
    out.sort(key=lambda v: v.last_used, reverse=True)
    return out


def _recent_visit(paths: AppPaths, visit_id: str, file: Path) -> RecentVisit | None:
    last_used = max(
        (p.stat().st_mtime for p in (file, Path(f"{file}-wal")) if p.exists()), default=0.0
    )
    try:
        with Workspace.open(file, device_id=device_id(paths), backup=False) as ws:
            info = ws.kit_info()
            member_id = ws.get_local("member_id") or ""
            demo = ws.get_local("demo") == "1"
    except WorkspaceDamaged:
        return RecentVisit(visit_id, "", "", "", "", "", False, True, last_used, file)
    except WorkspaceError:
        return None  # locked or from a newer app: not something the start screen can open
    if info is None:
        return None
    visit = VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])
    member = visit.member(member_id)
    return RecentVisit(
        visit_id=visit.visit_id,
        title=visit.title,
        start_date=visit.start_date,
        member_id=member_id,
        member_name=member.name if member else "",
        member_role=member.role if member else "",
        demo=demo,
        damaged=False,
        last_used=last_used,
        path=file,
    )


def workspace_exists(paths: AppPaths, visit_id: str) -> bool:
    """Whether this laptop has a workspace for the visit (healthy or not)."""
    return bool(visit_id) and workspace_path(paths, visit_id).is_file()


def workspace_backups(paths: AppPaths, visit_id: str) -> list[Path]:
    """The visit's rolling backups, newest first."""
    return list_backups(workspace_path(paths, visit_id))


def backup_time(backup: Path) -> datetime | None:
    """When a rolling backup was made (UTC), read from its name; None if the name is odd."""
    stamp = backup.stem.removeprefix("workspace-")
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def restore_workspace(paths: AppPaths, visit_id: str, backup: Path) -> Path:
    """Put ``backup`` in place of the visit's workspace; returns where the damaged file was kept.

    Only while the visit is not open (no session on it).
    """
    target = workspace_path(paths, visit_id)
    if backup.resolve().parent != (target.parent / "backups").resolve():
        raise VisitError(f"{backup} is not one of this visit's backups")
    return restore_backup(target, backup)


def remembered_member(paths: AppPaths, visit_id: str) -> str:
    """Who this laptop's reviewer said they are on the visit ("" if the visit is new here).

    A workspace that cannot be read counts as new: opening the kit will then report it.
    """
    file = workspace_path(paths, visit_id)
    if not file.is_file():
        return ""
    try:
        with Workspace.open(file, device_id=device_id(paths), backup=False) as ws:
            return ws.get_local("member_id") or ""
    except WorkspaceError:
        return ""
