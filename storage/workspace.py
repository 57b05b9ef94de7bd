"""The visit workspace: one SQLite file per visit per laptop.

``Workspace.open(path, key=..., device_id=...)`` checks the file (``PRAGMA quick_check``), brings
its schema up to date (``storage.migrations``) and takes a rolling backup. A damaged file raises
``WorkspaceDamaged``, which names the backups to restore from (``restore_backup``).

Encrypted at rest: the file and its backups with SQLCipher under the visit's key, its blobs
sealed with the same key (``storage.attachments``). A workspace an older version left in the
clear is encrypted on its first open, in this order, each step crash-safe and finished by the
next open when a kill stops it: the database in place (``encrypted_sqlite``), then each plain
backup in place, then the plain blobs (``BlobStore.seal_plain``; the meta row ``blobs_sealed``
records that it is done). A key that does not open the file is told apart from a damaged
first page by the backups, which have the same key (``WorkspaceKeyWrong``).

Threading: a ``Workspace`` is used by one thread at a time -- in the app, the ``StorageWorker``'s
thread, which owns it. The connection is opened with ``check_same_thread=False`` only so that the
worker may open it on one thread and close it on another; nothing here is safe for concurrent use.

Every write is one transaction committed durably (WAL with ``synchronous=FULL``): when a method
that writes returns, what it wrote survives a crash or a power cut.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

from storage import encrypted_sqlite
from storage import kit as kit_tables
from storage import snapshots as snapshot_rows
from storage.attachments import BlobStore
from storage.files import replacing
from storage.hlc import HLC_PATTERN, HybridClock
from storage.migrations import migrate
from storage.oplog import (
    CONFLICT_ENTITY,
    DELETED,
    RESOLVED,
    Conflict,
    JSONValue,
    Op,
    canonical_state,
    current_op_id,
    get_op,
    insert_ops,
    iter_ops,
    list_conflicts,
    load_value,
)
from storage.snapshots import SnapshotRow
from storage.sqlite import (
    FIRST_PAGE_DAMAGED,
    UNREADABLE_TEXT,
    FileDamaged,
    SchemaTooNew,
    damage_detail,
    open_durable,
    quick_check,
    user_version,
)

DEFAULT_KEEP_BACKUPS = 5
BACKUP_GLOB = "workspace-*.sqlite"
BACKUP_EVERY_SECONDS = 15 * 60
"""A backup is due this long after the first edit since the last backup (``backup_if_due``)."""
FINALISE = "finalise"
"""The ``backup`` reason whose newest backup is kept apart from the rolling ones."""
_BACKUP_STAMP = "%Y%m%dT%H%M%S%f"
_BACKUP_LEFTOVERS = ".workspace-*.tmp*"  # a backup's temporary file and its -journal
BLOBS_SEALED = "blobs_sealed"
"""The meta row that says every blob is sealed (an older version's plain ones included)."""
WAL_CHECKPOINT_BYTES = 4_096_000
"""The write-ahead log is copied back into the file once it holds this much (SQLite's default
of 1,000 pages, at 4 KB pages)."""
KEEP_WINNER: Any = object()
"""Default of ``Workspace.resolve_conflict``'s ``value``: keep the winning value as it is."""


class WorkspaceError(Exception):
    """A workspace cannot be used; the message says what happened and what to do."""


class WorkspaceMissing(WorkspaceError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"There is no workspace at {path}. Open the visit's kit to create it.")
        self.path = path


class WorkspaceDamaged(WorkspaceError):
    """The workspace file failed its check. ``backups`` (newest first) are the way back."""

    def __init__(self, path: Path, detail: str, backups: list[Path]) -> None:
        self.path, self.detail, self.backups = path, detail, backups
        if backups:
            way_back = (
                f"Restore the newest backup, {backups[0]} (made {_backup_time(backups[0])}), "
                f"over it; {len(backups) - 1} older backup(s) are in {backups[0].parent}."
            )
        else:
            way_back = (
                "There is no backup of it. Keep the file for support, then import the latest "
                "bundles from your team to rebuild your work."
            )
        super().__init__(
            f"The visit workspace {path} is damaged ({detail}) and was not changed. {way_back}"
        )


class WorkspaceKeyWrong(WorkspaceError):
    """The key kept for the visit opens neither the workspace nor any of its backups."""

    def __init__(self, path: Path, backups: list[Path]) -> None:
        self.path, self.backups = path, backups
        if backups:
            why = (
                "the key kept for this visit opens neither it nor its backups, so the key is "
                "not the one they were encrypted with"
            )
        else:
            why = (
                "the key kept for this visit does not open it: either the key is not the one it "
                "was encrypted with, or the start of the file is damaged (there is no backup to "
                "tell which)"
            )
        super().__init__(
            f"The visit workspace {path} cannot be opened: {why}. It was not changed; the "
            f"visit can be opened again from its kit and the team's bundles: move the folder "
            f"{path.parent} aside, then open the kit again (work not yet in a bundle cannot be "
            "recovered without its key)."
        )


class WrongVisit(WorkspaceError):
    """A kit for another visit was loaded into a workspace."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying remote ops did: ``new`` added, ``known`` already here, ``refused`` with why."""

    new: int
    known: int
    refused: list[tuple[Op, str]] = field(default_factory=list)


def list_backups(workspace_path: Path) -> list[Path]:
    """The backups of the workspace at ``workspace_path``, newest first.

    Also removes what a backup that was killed left behind (its temporary file and journal),
    unless a backup is being taken right now.
    """
    folder = Path(workspace_path).parent / "backups"
    if not folder.is_dir():
        return []
    with _backup_lock(folder, wait=False) as locked:
        if locked:
            _remove_leftovers(folder)
    return sorted(folder.glob(BACKUP_GLOB), reverse=True)


def backup_made(backup: Path) -> tuple[datetime | None, str]:
    """When a backup was made (UTC) and why (``backup``'s reason; "" for older backups),
    read from its name ``workspace-<UTC time>[-<reason>].sqlite``."""
    stamp, _, reason = backup.stem.removeprefix("workspace-").partition("-")
    try:
        return _read_stamp(stamp), reason
    except ValueError:
        return None, reason


def _read_stamp(stamp: str) -> datetime:
    """``stamp`` as ``_BACKUP_STAMP`` wrote it (``20261205T101010123456``), read by hand:
    ``strptime``'s first call imports and compiles its machinery, some 2 ms of a window's
    start, which dates the newest backup as the visit opens. ``ValueError`` for another text."""
    if not (len(stamp) == 21 and stamp[8] == "T" and stamp.isascii()):
        raise ValueError(f"not a backup's time: {stamp!r}")
    digits = stamp[:8] + stamp[9:]
    if not digits.isdigit():
        raise ValueError(f"not a backup's time: {stamp!r}")
    cut = (0, 4, 6, 8, 10, 12, 14, 20)
    year, month, day, hour, minute, second, micro = (
        int(digits[a:b]) for a, b in zip(cut, cut[1:], strict=False)
    )
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _backup_time(backup: Path) -> str:
    when, _reason = backup_made(backup)
    return "at an unknown time" if when is None else when.strftime("%Y-%m-%d %H:%M:%S UTC")


@contextlib.contextmanager
def _backup_lock(folder: Path, *, wait: bool) -> Iterator[bool]:
    """Hold ``folder/.lock`` (any process, any thread): yields False when ``wait`` is False and
    another holds it. Backups of one workspace taken at once (the window's and a command's)
    would otherwise rotate each other's files, or clean up a temporary file still in use."""
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        locked = lock_fd(fd, wait=wait)
        yield locked
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def lock_fd(fd: int, *, wait: bool) -> bool:
    """Take an exclusive lock on the open file ``fd`` (released when it is closed); False when
    ``wait`` is False and another descriptor (this process or another) holds it."""
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415 (Windows only)

        mode = msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK
        try:
            msvcrt.locking(fd, mode, 1)
        except OSError:
            return False
        return True
    import fcntl  # noqa: PLC0415 (POSIX only)

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _remove_leftovers(folder: Path) -> None:
    """Remove temporary files of backups that were killed (call only holding the lock)."""
    for stale in folder.glob(_BACKUP_LEFTOVERS):
        stale.unlink(missing_ok=True)


def restore_backup(workspace_path: Path, backup: Path) -> Path:
    """Put ``backup`` in place of the workspace; the damaged file is kept beside it, renamed.

    Returns the damaged file's new name. Call only while no ``Workspace`` has the file open.
    """
    workspace_path = Path(workspace_path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = workspace_path.with_name(f"{workspace_path.name}.damaged-{stamp}")
    if workspace_path.exists():
        os.replace(workspace_path, kept)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{workspace_path}{suffix}").unlink(missing_ok=True)
    with replacing(
        workspace_path, temp=workspace_path.with_name(f".{workspace_path.name}.restoring")
    ) as tmp:
        shutil.copyfile(backup, tmp)
    return kept


def _check_contents(conn: sqlite3.Connection) -> str | None:
    """Read every stored text (``quick_check`` checks the file's structure, not what records
    hold): the first problem found as a phrase for the user, or ``None``. Reads the whole file
    once, so it runs before a backup rather than on every open."""
    tables = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
    ).fetchall()
    for (table,) in tables:
        columns = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
        texts = " || x'0a' || ".join(
            f"(CASE WHEN typeof(\"{c}\") = 'text' THEN \"{c}\" ELSE '' END)" for c in columns
        )
        for (raw,) in conn.execute(f'SELECT CAST({texts} AS BLOB) FROM "{table}"'):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return f"{UNREADABLE_TEXT} (table {table})"
        for c in columns:
            if c == "value" or c.endswith("_json"):
                bad = conn.execute(
                    f'SELECT 1 FROM "{table}" WHERE typeof("{c}") = \'text\' '
                    f'AND NOT json_valid("{c}") LIMIT 1'
                ).fetchone()
                if bad is not None:
                    return f"a value stored in it cannot be read (table {table})"
    return None


def _check_rows(conn: sqlite3.Connection) -> list[str]:
    """Problems reported by ``quick_check`` and ``foreign_key_check`` (empty when healthy)."""
    problems = quick_check(conn)
    for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} refers to a missing {parent} row")
    return problems


def _raise_open_failure(path: Path, exc: BaseException, key: bytes) -> NoReturn:
    """Raise what the user should see for ``exc``, raised while opening ``path`` with
    ``key``."""
    if isinstance(exc, WorkspaceError):
        raise exc
    if isinstance(exc, FileDamaged):
        raise WorkspaceDamaged(path, exc.detail, list_backups(path)) from exc
    detail = damage_detail(exc)
    if detail is not None:
        raise WorkspaceDamaged(path, detail, list_backups(path)) from exc
    if isinstance(exc, encrypted_sqlite.WrongKey):
        backups = list_backups(path)
        if any(_opens_with(b, key) for b in backups):
            raise WorkspaceDamaged(path, FIRST_PAGE_DAMAGED, backups) from exc
        raise WorkspaceKeyWrong(path, backups) from exc
    if isinstance(exc, (*encrypted_sqlite.DatabaseError, SchemaTooNew)):
        raise WorkspaceError(f"The visit workspace {path} cannot be opened: {exc}") from exc
    raise exc


def _opens_with(file: Path, key: bytes) -> bool:
    """True when ``key`` opens ``file`` (a backup: the workspace's key is its key too)."""
    try:
        encrypted_sqlite.connect(file, key).close()
    except (encrypted_sqlite.WrongKey, encrypted_sqlite.NotEncrypted, *encrypted_sqlite.Error):
        return False
    return True


def _encrypt_plain(
    path: Path, key: bytes, progress: Callable[[int, int, str], None] | None
) -> None:
    """Encrypt in place, with the visit's key, a workspace an older version wrote in the clear:
    the database, then its backups (each in place: they stay the way back from damage). Each
    file is replaced only once its encrypted copy was checked; a kill leaves every file whole,
    plain or encrypted, and the next open goes on from there."""
    if encrypted_sqlite.is_plain(path):
        encrypted_sqlite.encrypt_plain_database(
            path, path, key, _stages(progress, "Encrypting the workspace")
        )
    folder = path.parent / "backups"
    plain = [b for b in sorted(folder.glob(BACKUP_GLOB)) if encrypted_sqlite.is_plain(b)]
    if not plain:
        return
    with _backup_lock(folder, wait=True):
        for done, backup in enumerate(plain):
            if progress is not None:
                progress(done, len(plain), "Encrypting the workspace's backups")
            mtime = backup.stat().st_mtime_ns
            encrypted_sqlite.encrypt_plain_database(backup, backup, key)
            # A backup's time is when it was made: rotation and "changed since" go by it.
            os.utime(backup, ns=(mtime, mtime))
        if progress is not None:
            progress(len(plain), len(plain), "Encrypting the workspace's backups")


def _stages(
    progress: Callable[[int, int, str], None] | None, what: str
) -> encrypted_sqlite.Progress:
    """``encrypt_plain_database``'s stages as ``progress(done, total, what)`` in words."""

    def report(stage: str, done: int, total: int) -> None:
        if progress is None:
            return
        if stage == "encrypting":
            progress(min(done, total), max(total, 1), what)
        elif stage == "verifying":
            progress(0, 0, f"{what}: checking the encrypted copy")
        else:  # replacing, removing, done: no more to wait for
            progress(1, 1, what)

    return report


class Workspace:
    """One visit's workspace. Open with ``Workspace.open``; use ``with`` or call ``close``."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, device_id: str, keep_backups: int, key: bytes
    ) -> None:
        self._conn = conn
        self._key = key
        self.path = path
        self._page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        # SQLite's threshold is in pages (1,000): with 16 KB pages the log would grow to 16 MB
        # and the edit that took it there would copy all of it back. The same ~4 MB as before.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_BYTES // self._page_size}")
        self.folder = path.parent
        self.device_id = device_id
        self.keep_backups = keep_backups
        self.blobs = BlobStore(self.folder / "blobs", key)
        self.clock: Callable[[], float] = time.monotonic  # for backup_if_due; tests replace it
        self._edited_since: float | None = None  # the first edit since the last backup
        last = self._get_meta("hlc")
        self._clock = HybridClock(last if isinstance(last, str) else None)

    @property
    def key(self) -> bytes:
        """The visit's key (for what is kept beside the workspace: the document index)."""
        return self._key

    # -- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        key: bytes,
        device_id: str,
        create: bool = False,
        keep_backups: int = DEFAULT_KEEP_BACKUPS,
        backup: bool = True,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> Workspace:
        """Open (or with ``create=True`` create) the workspace at ``path``.

        ``key``: the visit's 256-bit key. A workspace an older version left in the clear is
        encrypted first (the database, its backups, then its blobs), reporting
        ``progress(done, total, what)``; ``EncryptionFailed`` leaves it as it was.

        Raises ``WorkspaceMissing`` (no file and not ``create``), ``WorkspaceDamaged`` (the check
        failed, or the file is not a workspace), ``WorkspaceKeyWrong`` (the key opens neither it
        nor its backups) or ``WorkspaceError`` (e.g. a newer schema). With ``backup`` a rolling
        backup is taken when the file changed since the newest one, and only once every check
        passed (a file that fails to open is never backed up).
        """
        path = Path(path)
        existed = path.exists()
        if not existed:
            if not create:
                raise WorkspaceMissing(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if existed:
                _encrypt_plain(path, key, progress)
            # 32 MB of page cache (default 2 MB): merging bundles inserts random UUIDs into indexes.
            # A new workspace has 16 KB pages (encrypted_sqlite.LARGE_PAGE_SIZE); one made
            # before them keeps its 4 KB pages.
            conn = open_durable(
                path,
                key=key,
                cache_kib=32000,
                check_same_thread=False,
                page_size=encrypted_sqlite.LARGE_PAGE_SIZE,
            )
        except BaseException as exc:
            _raise_open_failure(path, exc, key)
        try:
            cls._prepare(conn, path, existed=existed, create=create)
            ws = cls(conn, path, device_id, keep_backups, key)
            if ws._get_meta("created_at") is None:
                with ws._write():
                    ws._set_meta("created_at", datetime.now(UTC).isoformat(timespec="seconds"))
                    ws._set_meta("created_by_device", device_id)
                    ws._set_meta(BLOBS_SEALED, True)  # a new store seals every blob it takes
            ws._seal_plain_blobs(progress)
            ws._queue_orphaned_snapshots()
            if backup and existed:
                ws.backup_if_changed("open")
        except BaseException as exc:
            conn.close()
            _raise_open_failure(path, exc, key)
        return ws

    def _seal_plain_blobs(self, progress: Callable[[int, int, str], None] | None) -> None:
        """Seal the blobs an older version stored in the clear, once (after the database: a
        kill in between is finished here on the next open, the meta row not yet written)."""
        if self._get_meta(BLOBS_SEALED) is True:
            return
        self.blobs.seal_plain(progress)
        with self._write():
            self._set_meta(BLOBS_SEALED, True)

    @staticmethod
    def _prepare(conn: sqlite3.Connection, path: Path, *, existed: bool, create: bool) -> None:
        if existed and not create and user_version(conn) == 0:
            raise WorkspaceDamaged(path, "it holds no Reviewer App data", list_backups(path))
        migrate(conn)

    def close(self) -> None:
        """Close the file (SQLite folds the write-ahead log back into it)."""
        with contextlib.suppress(*encrypted_sqlite.Error):
            self._conn.execute("PRAGMA optimize")
            # The log folded back and emptied here, in a statement (other threads run
            # meanwhile), not in ``close``, which holds the interpreter's lock throughout: its
            # unlink of a big log alone took ~20 ms (the window stalled). Without waiting: if
            # another connection is reading, this is busy at once and ``close`` does the rest.
            self._conn.execute("PRAGMA busy_timeout = 0")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """Several writes as one: committed together (durably) or not at all. Writes inside
        it (``record``, ``set_local``, an import...) join it; one that fails is undone alone,
        back to where it began, and the rest may still commit."""
        return self._write()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed (durably) on success, rolled back on any error.
        Inside another, a savepoint: undone alone on an error, committed with the outer one."""
        if self._conn.in_transaction:
            yield from self._savepoint()
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("SAVEPOINT nested_write")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK TO nested_write")
            self._conn.execute("RELEASE nested_write")
            raise
        self._conn.execute("RELEASE nested_write")

    # -- small key/value tables ---------------------------------------------------------------

    def _get_kv(self, table: str, key: str) -> JSONValue:
        row = self._conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[0] is None else load_value(row[0])

    def _set_kv(self, table: str, key: str, value: JSONValue) -> None:
        self._conn.execute(
            f"INSERT INTO {table} (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, sort_keys=True, ensure_ascii=False)),
        )

    def _get_meta(self, key: str) -> JSONValue:
        return self._get_kv("meta", key)

    def _set_meta(self, key: str, value: JSONValue) -> None:
        self._set_kv("meta", key, value)

    def get_local(self, key: str, default: JSONValue = None) -> JSONValue:
        """This laptop's own value for ``key`` (never replicated), or ``default``."""
        value = self._get_kv("local", key)
        return default if value is None else value

    def set_local(self, key: str, value: JSONValue) -> None:
        """Set this laptop's own value for ``key`` (any JSON value); durable on return."""
        with self._write():
            self._set_kv("local", key, value)

    # -- the kit ------------------------------------------------------------------------------

    def load_kit(
        self,
        *,
        kit_id: str,
        visit_id: str,
        manifest_json: str,
        sections: Sequence[str],
        standards: Sequence[Mapping[str, Any]],
        self_assessment: Sequence[Mapping[str, Any]],
        evidence: Sequence[Mapping[str, Any]],
        before_commit: Callable[[], object] | None = None,
    ) -> None:
        """Replace the kit's content (a re-issued kit) in one transaction; operations are kept.

        ``before_commit`` runs inside the transaction, just before it commits: a caller storing
        the kit's evidence on another thread waits there, so the rows never name a document
        that is not yet safely on disk, while the two jobs still overlap.
        A kit for a different visit than the one this workspace holds raises ``WrongVisit``.
        """
        known = self._get_meta("visit_id")
        if known is not None and known != visit_id:
            raise WrongVisit(
                f"This kit is for visit {visit_id}, but the workspace {self.path} holds visit "
                f"{known}; open the kit as its own visit."
            )
        with self._write() as conn:
            kit_tables.load_kit(
                conn,
                kit_id=kit_id,
                visit_id=visit_id,
                manifest_json=manifest_json,
                sections=sections,
                standards=standards,
                self_assessment=self_assessment,
                evidence=evidence,
            )
            self._set_meta("visit_id", visit_id)
            if before_commit is not None:
                before_commit()

    def kit_info(self) -> dict[str, Any] | None:
        """``{"kit_id", "visit_id", "manifest_json", "loaded_at"}``, or ``None`` before a kit."""
        return kit_tables.kit_info(self._conn)

    def sections(self) -> list[str]:
        return kit_tables.sections(self._conn)

    def standards(self) -> list[dict[str, Any]]:
        """Every standard in the kit's order (see ``storage.kit`` for the keys)."""
        return kit_tables.standards(self._conn)

    def standard(self, ref: str) -> dict[str, Any] | None:
        return kit_tables.standard(self._conn, ref)

    def self_assessment(self) -> list[dict[str, Any]]:
        return kit_tables.self_assessment(self._conn)

    def evidence_index(self) -> list[dict[str, Any]]:
        return kit_tables.evidence_index(self._conn)

    # -- operations ---------------------------------------------------------------------------

    def _new_op(
        self, member_id: str, entity: str, entity_id: str, field_name: str, value: JSONValue
    ) -> Op:
        base = current_op_id(self._conn, entity, entity_id, field_name)
        # Another connection (a command-line import while the window is open) may have stored
        # ops from a laptop whose clock is ahead: move past its clock, and past the op this
        # edit replaces, so an edit made after seeing a value always wins over it.
        stored = self._get_meta("hlc")
        if isinstance(stored, str):
            self._clock.observe(stored)
        if base is not None:
            seen = self._conn.execute("SELECT hlc FROM ops WHERE op_id = ?", (base,)).fetchone()
            if seen is not None:
                self._clock.observe(str(seen[0]))
        import uuid  # noqa: PLC0415 (uuid brings platform: 1 ms of start-up)

        return Op(
            str(uuid.uuid4()),
            self._clock.tick(),
            self.device_id,
            member_id,
            entity,
            entity_id,
            field_name,
            value,
            base,
        )

    def _commit_local(self, ops: list[Op]) -> None:
        insert_ops(self._conn, ops)
        self._set_meta("hlc", self._clock.last)

    def record(
        self, member_id: str, entity: str, entity_id: str, changes: Mapping[str, JSONValue]
    ) -> list[Op]:
        """Record local edits of one record's fields: one transaction, durable on return.

        Each op's ``base`` is the field's current winner, so edits made after seeing a value never
        conflict with it. A value JSON cannot hold raises ``ValueError`` and nothing is recorded.
        """
        for name, text in (("member_id", member_id), ("entity", entity), ("entity_id", entity_id)):
            if not isinstance(text, str) or not text:
                raise ValueError(f"{name} must be a non-empty string, not {text!r}")
        if not changes:
            return []
        with self._write():
            ops = [self._new_op(member_id, entity, entity_id, f, v) for f, v in changes.items()]
            self._commit_local(ops)
        return ops

    def delete(self, member_id: str, entity: str, entity_id: str) -> Op:
        """Delete a record (a tombstone op on its ``_deleted`` field)."""
        return self.record(member_id, entity, entity_id, {DELETED: True})[0]

    def apply_ops(
        self, ops: Iterable[Op], *, accept: Callable[[Op], str | None] | None = None
    ) -> ApplyResult:
        """Merge ops from other laptops in one transaction; applying them again changes nothing.

        ``accept(op)`` returns why an op is refused, or ``None`` to take it. Refused ops are not
        stored. The clock moves past the newest op received.
        """
        taken: list[Op] = []
        refused: list[tuple[Op, str]] = []
        for op in ops:
            if not HLC_PATTERN.match(op.hlc):
                refused.append((op, f"hlc {op.hlc!r} is not an HLC timestamp"))
                continue
            reason = accept(op) if accept is not None else None
            if reason is None:
                taken.append(op)
            else:
                refused.append((op, reason))
        if not taken:
            return ApplyResult(0, 0, refused)
        with self._write() as conn:
            new = insert_ops(conn, taken)
            stored = self._get_meta("hlc")  # never write back a clock older than another's
            if isinstance(stored, str):
                self._clock.observe(stored)
            self._clock.observe(max(op.hlc for op in taken))
            self._set_meta("hlc", self._clock.last)
        return ApplyResult(new, len(taken) - new, refused)

    def ops(self, since_seq: int = 0) -> Iterator[Op]:
        """Every op that arrived here after ``since_seq`` (see ``last_seq``), in arrival order."""
        return iter_ops(self._conn, since_seq)

    def op(self, op_id: str) -> Op | None:
        return get_op(self._conn, op_id)

    def attachment_hashes(self) -> list[str]:
        """The SHA-256 of every attachment an op names (a field called ``sha256``), once each."""
        rows = self._conn.execute("SELECT DISTINCT value FROM ops WHERE field = 'sha256'")
        found = (json.loads(value) for (value,) in rows)
        return sorted({v for v in found if isinstance(v, str) and len(v) == 64})

    def op_count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM ops").fetchone()[0])

    def last_seq(self) -> int:
        """The arrival number of the newest op here (0 for none): pass to ``ops`` later."""
        return int(self._conn.execute("SELECT coalesce(max(seq), 0) FROM ops").fetchone()[0])

    # -- derived state ------------------------------------------------------------------------

    def field(self, entity: str, entity_id: str, field_name: str) -> JSONValue:
        """The winning value of one field, or ``None`` if nobody has written it."""
        row = self._conn.execute(
            "SELECT value FROM field_state WHERE entity = ? AND entity_id = ? AND field = ?",
            (entity, entity_id, field_name),
        ).fetchone()
        return None if row is None else load_value(row[0])

    def entity(self, entity: str, entity_id: str) -> dict[str, JSONValue] | None:
        """A record's fields (winning values), or ``None`` when it is missing or deleted."""
        rows = self._conn.execute(
            "SELECT field, value FROM field_state WHERE entity = ? AND entity_id = ?",
            (entity, entity_id),
        ).fetchall()
        values = {f: load_value(v) for f, v in rows}
        if not values or values.pop(DELETED, False) is True:
            return None
        return values

    def entities(
        self, entity: str, fields: Sequence[str] | None = None
    ) -> dict[str, dict[str, JSONValue]]:
        """Every live (not deleted) record of one kind: ``{entity_id: {field: value}}``; with
        ``fields``, only those fields of each (a record none of them is set on is left out)."""
        out: dict[str, dict[str, JSONValue]] = {}
        deleted: set[str] = set()
        only = "" if fields is None else f"AND field IN ({', '.join('?' for _ in fields)}, ?)"
        for entity_id, f, v in self._conn.execute(
            f"SELECT entity_id, field, value FROM field_state WHERE entity = ? {only} "
            "ORDER BY entity_id, field",
            (entity,) if fields is None else (entity, *fields, DELETED),
        ):
            value = load_value(v)
            if f == DELETED:
                if value is True:
                    deleted.add(entity_id)
                continue
            out.setdefault(entity_id, {})[f] = value
        for entity_id in deleted:
            out.pop(entity_id, None)
        return out

    def conflicts(self) -> list[Conflict]:
        """Unresolved conflicts: concurrent edits where the loser is kept until someone decides."""
        return list_conflicts(self._conn)

    def resolve_conflict(
        self, member_id: str, loser_op_id: str, value: JSONValue = KEEP_WINNER
    ) -> list[Op]:
        """Mark a conflict resolved; with ``value``, also set the field to it (based on the
        winner). Returns the ops recorded. An unknown op id raises ``KeyError``."""
        loser = self.op(loser_op_id)
        if loser is None:
            raise KeyError(f"no operation {loser_op_id!r} in this workspace")
        with self._write():
            ops = [self._new_op(member_id, CONFLICT_ENTITY, loser_op_id, RESOLVED, True)]
            if value is not KEEP_WINNER:
                ops.append(
                    self._new_op(member_id, loser.entity, loser.entity_id, loser.field, value)
                )
            self._commit_local(ops)
        return ops

    def canonical_state(self) -> bytes:
        """Sorted UTF-8 JSON of the derived state; equal bytes on replicas with equal ops."""
        return canonical_state(self._conn)

    # -- finalised snapshots (storage/snapshots.py; never changed once written) -----------------

    def snapshots(self) -> list[SnapshotRow]:
        """Every finalised snapshot of the visit, version 1 first."""
        return snapshot_rows.list_snapshots(self._conn)

    def snapshot(self, snapshot_id: str) -> SnapshotRow | None:
        return snapshot_rows.get_snapshot(self._conn, snapshot_id)

    def latest_snapshot(self) -> SnapshotRow | None:
        return snapshot_rows.latest_snapshot(self._conn)

    def add_snapshot(
        self, row: SnapshotRow, *, before_commit: Callable[[], object] | None = None
    ) -> None:
        """Store a new snapshot, its signature (``row.public_key``, ``row.signature``) and its
        outbox item in one durable transaction.

        ``SnapshotRefused`` unless it is the next version and supersedes the latest (the
        database checks, so two finalisations cannot both win). ``before_commit`` runs inside
        the transaction, after the rows are written (the crash tests pause there).
        """
        with self._write() as conn:
            snapshot_rows.insert_snapshot(conn, row, snapshot_rows.utc_now())
            if before_commit is not None:
                before_commit()

    def unsigned_snapshots(self) -> list[str]:
        """Ids of snapshots an older app finalised without a signature, version 1 first."""
        return snapshot_rows.unsigned(self._conn)

    def sign_snapshot(self, snapshot_id: str, public_key: str, signature: str) -> SnapshotRow:
        """Record the signature of a snapshot that has none (a signature already there is
        kept); the snapshot as stored afterwards. Durable on return."""
        with self._write() as conn:
            snapshot_rows.add_signature(conn, snapshot_id, public_key, signature)
        row = self.snapshot(snapshot_id)
        if row is None:
            raise KeyError(snapshot_id)
        return row

    def snapshot_outbox(self, *, pending: bool = False) -> list[snapshot_rows.OutboxEntry]:
        """The snapshots' outbox items, version 1 first; ``pending``: not yet handed over to
        the installation's sending queue."""
        return snapshot_rows.outbox_entries(self._conn, pending=pending)

    def mark_handed_over(self, snapshot_id: str) -> None:
        """Record that the snapshot is in the installation's sending queue; durable on return."""
        with self._write() as conn:
            snapshot_rows.mark_handed_over(conn, snapshot_id, snapshot_rows.utc_now())

    def _queue_orphaned_snapshots(self) -> None:
        """On open: give an outbox item to every snapshot without one (an older app wrote the
        snapshot and queued it afterwards, and could be stopped in between). Writes only when
        there is something to do, so opening a healthy workspace stays read-only."""
        if snapshot_rows.has_outbox_table(self._conn) and not snapshot_rows.orphans(self._conn):
            return
        with self._write() as conn:
            snapshot_rows.queue_orphans(conn, snapshot_rows.utc_now())

    # -- health and backups -------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """What ``quick_check`` and ``foreign_key_check`` report; empty when the file is sound."""
        return _check_rows(self._conn)

    def check_contents(self) -> None:
        """Read every stored text and JSON value: ``WorkspaceDamaged`` when one cannot be read
        (``quick_check`` checks the file's structure, not what its records hold). Reads the
        whole file: for listings and before a backup, not on every open."""
        problem = _check_contents(self._conn)
        if problem is not None:
            raise WorkspaceDamaged(self.path, problem, list_backups(self.path))

    def backups(self) -> list[Path]:
        """This workspace's rolling backups, newest first."""
        return list_backups(self.path)

    def backup(self, reason: str = "manual") -> Path:
        """Copy the workspace (SQLite's online backup API) into ``backups/`` and return it.

        ``reason`` goes into the name: "open", "edits", "import" (before a bundle import),
        FINALISE (before finalising) or any short word. The newest N backups are kept, plus the
        newest one taken before finalising, which is never rotated out. The copy is written to a
        temporary name, flushed and renamed: a killed backup never leaves a file that looks like
        a backup. A workspace whose records cannot be read is not copied: ``WorkspaceDamaged``.
        """
        folder = self.folder / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        self.check_contents()
        with _backup_lock(folder, wait=True):
            _remove_leftovers(folder)
            target = self._write_backup(folder, reason)
            self._rotate_backups(folder)
        self._edited_since = None
        return target

    def _write_backup(self, folder: Path, reason: str) -> Path:
        suffix = "" if not reason else f"-{reason}"
        while True:
            stamp = datetime.now(UTC).strftime(_BACKUP_STAMP)
            target = folder / f"workspace-{stamp}{suffix}.sqlite"
            if not target.exists():
                break
        # A full disk, say: no half backup left behind (nor SQLite's journal beside it).
        tmp = folder / f".{target.name}.tmp"
        with replacing(target, temp=tmp, leftovers=("-journal",)):
            # Encrypted with the workspace's own key: a backup is as private as the workspace.
            # Pages of the workspace's size: the online backup copies pages as they are.
            dest = encrypted_sqlite.connect(tmp, self._key, page_size=self._page_size)
            try:
                self._conn.backup(dest)
            finally:
                dest.close()
        return target

    def _rotate_backups(self, folder: Path) -> None:
        """Keep the newest ``keep_backups`` and the newest backup taken before finalising."""
        backups = sorted(folder.glob(BACKUP_GLOB), reverse=True)
        kept_apart = [b for b in backups if backup_made(b)[1] == FINALISE][:1]
        rolling = [b for b in backups if b not in kept_apart]
        for old in rolling[max(self.keep_backups, 1) :]:
            old.unlink(missing_ok=True)
        for old in backups:
            if backup_made(old)[1] == FINALISE and old not in kept_apart:
                old.unlink(missing_ok=True)

    def backup_if_changed(self, reason: str = "open") -> Path | None:
        """``backup(reason)`` when the file changed since the newest backup (else ``None``), so
        opening or listing a visit again and again does not push real backups out."""
        return self.backup(reason) if self._changed_since_backup() else None

    def backup_if_due(self) -> Path | None:
        """Call after each edit: backs up once ``BACKUP_EVERY_SECONDS`` have passed since the
        first edit after the last backup (by ``self.clock``), else only notes the edit."""
        now = self.clock()
        if self._edited_since is None:
            self._edited_since = now
            return None
        if now - self._edited_since < BACKUP_EVERY_SECONDS:
            return None
        return self.backup("edits")

    def _changed_since_backup(self) -> bool:
        backups = self.backups()
        if not backups:
            return True
        newest = backups[0].stat().st_mtime_ns
        wal = Path(f"{self.path}-wal")
        wal_changed = wal.exists() and wal.stat().st_size > 0 and wal.stat().st_mtime_ns > newest
        return self.path.stat().st_mtime_ns > newest or wal_changed
