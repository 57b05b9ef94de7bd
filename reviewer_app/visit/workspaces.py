"""Visits on this laptop: opening a kit into a workspace, and finding workspaces again.

Opening a kit (``open_kit``) checks everything first (``sync.kit_reader``: signature, hashes,
limits), sealing each evidence document with the visit's key while it is inflated and hashed (no
plaintext reaches the disk), and only then writes: the sealed documents are renamed into the
workspace's blob store, and the kit's content goes into the workspace in one transaction. A kit
that is refused leaves the visit's workspace and blob store exactly as they were.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.app.device import device_id
from reviewer_app.app.errors import UserError
from reviewer_app.app.keys import keys, visit_key
from reviewer_app.app.paths import BUNDLED_KEYS_DIR, DEMO_DIR, AppPaths
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.session import VisitSession
from storage import (
    BlobStore,
    StorageWorker,
    Workspace,
    WorkspaceError,
    encrypted_sqlite,
    list_backups,
    restore_backup,
)
from storage import WorkspaceDamaged as WorkspaceDamaged  # noqa: PLC0414 (re-export for ui/)
from storage.sqlite import damage_detail
from storage.visit_keys import VisitKeyError
from storage.workspace import backup_made, lock_fd
from sync.kit_model import KitManifest, Member, VisitDetails

if TYPE_CHECKING:
    from reviewer_app.visit.kit_changes import KitChanges
    from sync.keys import TrustStore
    from sync.kit_reader import VerifiedKit
    from sync.progress import Progress

WORKSPACE_FILE = "workspace.sqlite"
DEMO_PUBLIC_KEY = DEMO_DIR / "demo_key.pub"
IN_USE = ".in-use"  # the lock file of a staging folder a process is using
STAGING_IDLE_SECONDS = 3600  # an unlocked staging entry untouched this long is a leftover
log = logging.getLogger(__name__)


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
    changes: KitChanges | None = (
        None  # what a re-issued kit changed (reviewer_app.visit.kit_changes)
    )


# The kit and key modules (cryptography, zip checks) are imported where they are used, so the
# window opens a visit already on this laptop without loading them (start-up time).


def trust_store(paths: AppPaths, *, demo: bool) -> TrustStore:
    """The keys this laptop trusts: the user's, the app's, and the demo key only in demo mode.

    Every kit read and check starts here (the window, ``visit open``, ``kit verify``), so it
    is also where what killed kit reads left in ``data/staging`` is cleaned (``clean_staging``).
    """
    from sync.keys import TrustStore  # noqa: PLC0415 (see above)

    clean_staging(paths)
    dirs = [paths.trusted_keys, BUNDLED_KEYS_DIR]
    if demo:
        dirs.append(DEMO_DIR)
    return TrustStore(dirs)


def demo_key_id() -> str:
    from sync.keys import key_id, load_public_key  # noqa: PLC0415

    return key_id(load_public_key(DEMO_PUBLIC_KEY))


def workspace_path(paths: AppPaths, visit_id: str) -> Path:
    return paths.visit_folder(visit_id) / WORKSPACE_FILE


def open_workspace(
    paths: AppPaths,
    file: Path,
    *,
    create: bool = False,
    backup: bool = True,
    progress: Progress | None = None,
) -> Workspace:
    """The one durable open of a visit's workspace ``file`` (``workspace_path``): with the
    visit's key (``reviewer_app.app.keys``; created with the workspace), as this laptop's
    device. Everything that reads or writes a workspace opens it here. Raises what
    ``Workspace.open`` raises, and ``VisitKeyError`` when the key cannot be had."""
    key = visit_key(paths, file.parent.name, create=create)
    return Workspace.open(
        file, key=key, device_id=device_id(paths), create=create, backup=backup, progress=progress
    )


def existing_workspace(paths: AppPaths, visit_id: str) -> Path:
    """The visit's workspace file, or a UserError saying there is no such visit here."""
    file = workspace_path(paths, visit_id)
    if not file.is_file():
        raise VisitError(
            f"There is no visit {visit_id!r} on this laptop; open its kit first "
            "(`reviewer-app visit list` shows the visits here)."
        )
    return file


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
    A kit a sync downloaded is removed once opened (``reviewer_app.central.downloads``).
    """
    from reviewer_app.app.disk import ensure_space  # noqa: PLC0415
    from sync.kit_reader import KitRefused, read_kit  # noqa: PLC0415

    trust = trust_store(paths, demo=demo)
    with contextlib.suppress(OSError):  # a missing kit is the reader's to say
        ensure_space(paths.data, Path(kit).stat().st_size)  # unpacked beside the visit's files

    new_visits: list[Path] = []  # the folder of a visit new here, made by this read

    def blobs_for(visit_id: str) -> BlobStore:  # the signed manifest named the visit
        folder = paths.visit_folder(visit_id)
        if not folder.exists():
            new_visits.append(folder)
        key = visit_key(paths, visit_id, create=True)
        return BlobStore(folder / "blobs", key)

    try:
        with staging_folder(paths) as staging:
            with read_kit(kit, trust=trust, staging_root=staging, blobs_for=blobs_for) as vk:
                opened = _install(vk, member_id, paths=paths, progress=progress)
    except (KitRefused, VisitError):
        # Refused before its content was committed (an evidence document is checked while
        # the workspace is being filled; the commit waits for it): a visit new here leaves
        # no key, and no folder, behind.
        for folder in new_visits:
            keys().forget(folder.name, folder)
            shutil.rmtree(folder, ignore_errors=True)
        raise
    from reviewer_app.central.downloads import kit_opened  # noqa: PLC0415 (opening only)

    kit_opened(paths, Path(kit))  # a kit a sync downloaded holds the evidence in the clear
    return opened


def pin_own_device(ws: Workspace, paths: AppPaths, visit_id: str, member_id: str) -> None:
    """Pin this laptop's device key for the member it works as (the lead's own device is
    pinned when the lead opens the kit): another device claiming that member is held back."""
    from reviewer_app.app.device import device_key  # noqa: PLC0415 (cryptography: opening only)
    from sync.pins import pin_own_key  # noqa: PLC0415

    with ws.transaction() as conn:
        pin_own_key(
            conn, device_key(paths), visit_id=visit_id, member_id=member_id,
            device_id=ws.device_id,
        )  # fmt: skip


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
    with open_workspace(paths, target, create=True) as ws:
        previous = ws.kit_info()
        reissued = previous is not None and previous["kit_id"] != manifest.kit_id
        from reviewer_app.visit import kit_changes  # noqa: PLC0415 (only opening a kit needs it)

        old_kit = kit_changes.before(ws) if reissued else None
        if progress:
            progress(0, 1, "Storing the kit")
        # The reader seals every document into the store's temporary files while hashing it
        # against the signed manifest, on a second thread that may still be at work. The kit's
        # rows and who this laptop works as are written meanwhile, in the one transaction
        # (one commit: one fsync) that also pins its key; placing the documents waits for that
        # thread (and refuses the kit, leaving nothing of it, if one is not as signed) before
        # the commit, so the rows never name a document that is not yet safely on disk.
        with ThreadPoolExecutor(max_workers=1) as pool, ws.transaction():
            storing = pool.submit(_store_evidence, vk, ws)
            ws.load_kit(
                kit_id=manifest.kit_id,
                visit_id=visit.visit_id,
                manifest_json=json.dumps(manifest.to_dict(), sort_keys=True),
                sections=list(vk.standards.sections),
                standards=[s.to_dict() for s in vk.standards.standards],
                self_assessment=[e.to_dict() for e in vk.self_assessment],
                evidence=[{**d.to_dict(), **_file_entry(manifest, d.file)} for d in vk.evidence],
            )
            changes = kit_changes.record(
                ws, old_kit, vk.standards.standards, visit, manifest.kit_id
            )
            ws.set_local("member_id", member_id)
            ws.set_local("demo", "1" if demo else "0")
            storing.result()
            # After the documents: a refused kit makes no device key on a new laptop.
            pin_own_device(ws, paths, visit.visit_id, member_id)
        if progress:
            progress(1, 1, "Storing the kit")
    return OpenedVisit(
        visit_id=visit.visit_id,
        kit_id=manifest.kit_id,
        member_id=member_id,
        workspace_path=target,
        demo=demo,
        reissued=reissued,
        changes=changes,
    )


def _store_evidence(vk: VerifiedKit, ws: Workspace) -> int:
    """Put the kit's evidence documents in the workspace's blob store; how many were new."""
    names = dict.fromkeys(d.file for d in vk.evidence)
    if vk.blobs is not None:  # sealed while read: renamed into place
        return vk.blobs.place(vk.manifest.files[name].sha256 for name in names)
    files = vk.manifest.files
    return ws.blobs.adopt([(vk.file_path(n), files[n].sha256, files[n].size) for n in names])


def _file_entry(manifest: KitManifest, name: str) -> dict[str, object]:
    entry = manifest.files[name]
    return {"sha256": entry.sha256, "size": entry.size}


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


# -- staging: where kits are checked before anything is written ---------------------------------
# Each kit read gets a folder of its own under data/staging, holding a locked IN_USE file while
# it is read (the lock goes when the process does, however it ends). Cleaning removes folders
# whose lock nobody holds, so it never takes a folder from under another running process.


@contextlib.contextmanager
def staging_folder(paths: AppPaths) -> Iterator[Path]:
    """A staging folder of this read's own, locked while in use and removed afterwards."""
    with staging_under(paths.staging) as folder:
        yield folder


@contextlib.contextmanager
def staging_under(root: Path) -> Iterator[Path]:
    """:func:`staging_folder` in ``root`` (``data/staging``, or the folder a caller gave)."""
    root.mkdir(parents=True, exist_ok=True)
    # Made under a dot name and renamed once locked: cleaning never sees it unlocked.
    fresh = Path(tempfile.mkdtemp(prefix=".new-", dir=root))
    fd = os.open(fresh / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        lock_fd(fd, wait=True)
        folder = fresh.with_name(f"run-{os.getpid()}-{fresh.name.removeprefix('.new-')}")
        os.replace(fresh, folder)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)
        shutil.rmtree(fresh, ignore_errors=True)  # only if the rename never happened
        _remove_if_empty(root)


def clean_staging(paths: AppPaths) -> list[Path]:
    """Remove what killed kit reads and bundle imports left in ``data/staging``; returns what
    was removed. A folder another process is using (its IN_USE lock is held) is kept, as is
    anything without a lock that changed in the last STAGING_IDLE_SECONDS."""
    if not paths.staging.is_dir():
        return []
    removed = [entry for entry in paths.staging.iterdir() if _remove_if_abandoned(entry)]
    _remove_if_empty(paths.staging)
    return removed


def _remove_if_abandoned(entry: Path) -> bool:
    lock = entry / IN_USE
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:  # no lock: an older app's folder, a bundle's, or one being made
        if _idle_seconds(entry) < STAGING_IDLE_SECONDS:
            return False
        _remove(entry)
        return True
    try:
        if not lock_fd(fd, wait=False):
            return False  # in use right now
        _remove(entry)
        return True
    finally:
        os.close(fd)


def _idle_seconds(entry: Path) -> float:
    """Seconds since anything in ``entry`` (or under it) last changed."""
    newest = 0.0
    with contextlib.suppress(OSError):
        newest = entry.lstat().st_mtime
        if entry.is_dir() and not entry.is_symlink():
            for root, dirs, files in os.walk(entry):
                for name in dirs + files:
                    with contextlib.suppress(OSError):
                        newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return time.time() - newest


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """A visit with a workspace here. A damaged one says so: ``damaged``, ``problem`` (the
    sentence to show, naming the newest backup) and ``backups`` (newest first)."""

    visit_id: str
    title: str
    start_date: str
    member_id: str
    path: Path
    damaged: bool = False
    problem: str = ""
    backups: tuple[Path, ...] = ()


def list_visits(paths: AppPaths) -> list[VisitSummary]:
    """The visits with a workspace on this laptop, newest visit date first, damaged ones last.

    Listing takes no backup, and reads every workspace whole (slow on many big visits). A
    workspace that cannot be read is listed as damaged (its title says so and names the
    newest backup), never skipped and never an exception.
    """
    out: list[VisitSummary] = []
    if not paths.visits.is_dir():
        return out
    for folder in sorted(paths.visits.iterdir()):
        file = folder / WORKSPACE_FILE
        if not file.is_file():
            continue
        try:
            read = _read_summary(paths, file)
        except WorkspaceDamaged as exc:
            out.append(_damaged_summary(paths, folder.name, file, exc))
            continue
        except WorkspaceError:
            continue  # locked, or from a newer app: not damaged, and not ours to list
        if read is not None:
            visit, member = read
            out.append(VisitSummary(visit.visit_id, visit.title, visit.start_date, member, file))
    out.sort(key=lambda v: (not v.damaged, v.start_date), reverse=True)
    return out


def _read_summary(paths: AppPaths, file: Path) -> tuple[VisitDetails, str] | None:
    """The visit and who I am on it (None before a kit was loaded); WorkspaceDamaged when the
    file or what it holds cannot be read."""
    with _reading(file):
        with open_workspace(paths, file, backup=False) as ws:
            ws.check_contents()
            info = ws.kit_info()
            member = str(ws.get_local("member_id") or "")
        if info is None:
            return None
        return VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"]), member


def _damaged_summary(
    paths: AppPaths, visit_id: str, file: Path, exc: WorkspaceDamaged
) -> VisitSummary:
    newest = f"restore a backup, newest {exc.backups[0]}" if exc.backups else "no backup"
    title = _damaged_title(paths, file)
    label = f"DAMAGED ({newest})" + (f": {title}" if title else "")
    return VisitSummary(visit_id, label, "", "", file, True, str(exc), tuple(exc.backups))


@contextlib.contextmanager
def _reading(file: Path) -> Iterator[None]:
    """Whatever goes wrong reading the workspace ``file`` ends as ``WorkspaceDamaged``: SQLite's
    errors, text that is not UTF-8, stored JSON or a stored kit that no longer parses."""
    try:
        yield
    except (WorkspaceError, OSError):
        raise
    except (ValueError, KeyError, TypeError, UnicodeError, *encrypted_sqlite.DatabaseError) as exc:
        raise _as_damage(file, exc) from exc


def _as_damage(file: Path, exc: BaseException) -> WorkspaceDamaged:
    if isinstance(exc, WorkspaceDamaged):
        return exc
    detail = damage_detail(exc)
    if detail is None:
        detail = "what it holds can no longer be read as a visit"
    log.error("the workspace %s cannot be read", file, exc_info=exc)
    return WorkspaceDamaged(file, detail, list_backups(file))


def _damaged_title(paths: AppPaths, file: Path) -> str:
    """The visit's title, if the damage left it readable (with its key, changing nothing;
    "" otherwise)."""
    try:
        key = visit_key(paths, file.parent.name)
        conn = encrypted_sqlite.connect(file, key, timeout=1)
        try:
            conn.execute("PRAGMA query_only = ON")
            row = conn.execute("SELECT manifest_json FROM kit_info").fetchone()
        finally:
            conn.close()
        return str(json.loads(row[0])["visit"]["title"])
    except Exception:  # noqa: BLE001 - the title is a courtesy; the file is damaged anyway
        return ""


def forget_staging(paths: AppPaths) -> None:
    """Remove what interrupted kit checks left behind (the window calls it at start-up); what
    another running process is using is kept (``clean_staging``). Copies made for another
    program that a crash left (``reviewer_app.visit.outside``) go too."""
    clean_staging(paths)
    from reviewer_app.visit.outside import outside_folder, remove_outside_copies  # noqa: PLC0415

    if outside_folder(paths).exists() or (paths.cache / "preview").exists():
        remove_outside_copies(paths)


def kit_team(kit: Path, *, paths: AppPaths, demo: bool) -> tuple[VisitDetails, tuple[Member, ...]]:
    """Check a kit and return its visit and team, for choosing "who am I" before opening it."""
    from sync.kit_reader import verify_kit  # noqa: PLC0415

    manifest = verify_kit(kit, trust=trust_store(paths, demo=demo))
    return manifest.visit, manifest.visit.team


def storage_worker(paths: AppPaths, visit_id: str) -> StorageWorker:
    """The one thread that owns the visit's workspace; the window sends it all disk work.

    The open-time backup is left to ``open_session``: only a visit that was read is copied."""
    file = workspace_path(paths, visit_id)
    return StorageWorker(lambda: open_workspace(paths, file, backup=False))


def _read_then_back_up(ws: Workspace) -> VisitData:
    """On the storage worker: read the visit, and only when that worked, take the open-time
    backup (when the file changed since the newest). A file that fails either way is
    ``WorkspaceDamaged``, and no backup is made of it."""
    with _reading(ws.path):
        data = read_visit_data(ws)
        ws.backup_if_changed("open")
    return data


def hand_over_finalised(ws: Workspace, paths: AppPaths) -> list[str]:
    """Put finalised versions that are queued only in the workspace (finalising was stopped
    between its commit and the hand-over, or an older app wrote the snapshot) in this
    laptop's sending queue; the snapshot ids handed over. A version an older app finalised
    unsigned is signed and handed over again. Cheap when there are none."""
    if not ws.snapshot_outbox(pending=True) and not ws.unsigned_snapshots():
        return []
    from reviewer_app.lead.finalise import hand_over  # noqa: PLC0415 (rarely needed: keep start-up lean)

    return hand_over(ws, paths)


def hand_over_every_visit(paths: AppPaths) -> list[str]:
    """:func:`hand_over_finalised` for every visit on this laptop (before a sync from the
    command line, which opens no visit). A workspace that cannot be opened is left for its
    window to report."""
    handed: list[str] = []
    for file in sorted(paths.visits.glob(f"*/{WORKSPACE_FILE}")):
        try:
            with open_workspace(paths, file, backup=False) as ws:
                handed += hand_over_finalised(ws, paths)
        except (WorkspaceError, VisitKeyError, OSError) as exc:
            log.warning("finalised versions of %s not looked at: %s", file.parent.name, exc)
    return handed


def open_session(paths: AppPaths, visit_id: str) -> Future[VisitSession]:
    """Open the visit's workspace on its own storage worker and read it; the UI waits on nothing.

    A damaged workspace fails the future with ``WorkspaceDamaged`` (its message names the
    backups to go back to), whatever part of it cannot be read.

    A failed open also closes the worker (in the background), so the file is released before
    the future reports the error: the caller may restore a backup over it straight away.
    """
    # The key first, on the caller's thread: a passphrase, if one is needed, is asked there
    # (the window's dialog); the worker's open then finds it in memory.
    blobs = BlobStore(paths.visit_folder(visit_id) / "blobs", visit_key(paths, visit_id))
    worker = storage_worker(paths, visit_id)
    loading = worker.submit(_read_then_back_up)
    worker.submit(hand_over_finalised, paths)  # after the read: the window waits for nothing
    out: Future[VisitSession] = Future()

    def done(f: Future[VisitData]) -> None:
        exc = f.exception()
        if exc is None:
            out.set_result(VisitSession(worker, f.result(), blobs))
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

    A damaged workspace is listed too (``damaged``, with its ``backups`` newest first; its
    title when the damage left it readable, else empty), so the reviewer can reach its
    backups from the start screen.
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
    backups: tuple[Path, ...] = ()


def recent_visits(paths: AppPaths) -> list[RecentVisit]:
    """Every visit with a workspace on this laptop, the one worked on last first.

    Reads each workspace whole without taking a backup; slow on many visits: call it off the
    UI thread.
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
        with _reading(file):
            with open_workspace(paths, file, backup=False) as ws:
                ws.check_contents()
                info = ws.kit_info()
                member_id = str(ws.get_local("member_id") or "")
                demo = ws.get_local("demo") == "1"
            if info is None:
                return None
            visit = VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])
    except WorkspaceDamaged as exc:
        title = _damaged_title(paths, file)
        backups = tuple(exc.backups)
        return RecentVisit(visit_id, title, "", "", "", "", False, True, last_used, file, backups)
    except WorkspaceError:
        return None  # locked or from a newer app: not something the start screen can open
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
    """When a backup was made (UTC), read from its name; None if the name is odd."""
    return backup_made(backup)[0]


def backup_reason(backup: Path) -> str:
    """Why a backup was made: "open", "edits", "import", "finalise" ("" for older backups)."""
    return backup_made(backup)[1]


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
        with _reading(file), open_workspace(paths, file, backup=False) as ws:
            return str(ws.get_local("member_id") or "")
    except WorkspaceError:
        return ""
