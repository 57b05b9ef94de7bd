"""How a SQLite file of ours is opened and its schema brought up to date.

``open_durable(path)`` is the one durable open (the visit workspace and the staff workspace
use it; anything later should): autocommit mode, so every transaction is explicit
(``BEGIN IMMEDIATE ... COMMIT``); ``busy_timeout``; ``PRAGMA quick_check`` before anything is
written, raising ``FileDamaged`` with a phrase for the user; then WAL with
``synchronous=FULL`` (a committed transaction survives a power cut) and foreign keys on.

``migrate(conn, steps)`` runs ordered ``(version, sql)`` steps keyed on ``PRAGMA
user_version``: each step in its own transaction together with its new ``user_version``, so a
crash or a failing step leaves the file at one version or the next, never in between. A file
newer than the steps raises ``SchemaTooNew``. Add steps; never edit a released one.

``open_migrated(path, steps, what=...)`` is the two together, closing the file again when the
migration fails (the outbox, the staff store and the document index open that way).

``damage_detail(exc)`` says what an error raised by SQLite means for the user when it is
about a damaged file. Imports nothing of ours.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from storage import encrypted_sqlite

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another connection's write lock before failing."""

UNREADABLE_TEXT = "some of the text in it cannot be read"
_SHORT_READ = 522  # SQLITE_IOERR_SHORT_READ: the file is shorter than its header says
FIRST_PAGE_DAMAGED = "it is not a database file any more: its first page is damaged"
_DAMAGE_BY_CODE = {  # SQLite's primary result codes
    11: "part of the file cannot be read (SQLite: database disk image is malformed)",
    26: FIRST_PAGE_DAMAGED,
}


class FileDamaged(Exception):
    """``PRAGMA quick_check`` found damage; ``detail`` says what, as a phrase for the user."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"{path} is damaged ({detail})")
        self.path, self.detail = path, detail


class SchemaTooNew(Exception):
    """The file was written by a newer Reviewer App than this one."""

    def __init__(self, what: str, found: int, known: int) -> None:
        super().__init__(
            f"this {what} was written by a newer Reviewer App (schema {found}, this app "
            f"knows up to {known}); update Reviewer App to open it"
        )
        self.found, self.known = found, known


def open_durable(
    path: Path,
    *,
    key: bytes | None,
    cache_kib: int | None = None,
    check_same_thread: bool = True,
    page_size: int = encrypted_sqlite.DEFAULT_PAGE_SIZE,
) -> sqlite3.Connection:
    """Open (creating when missing) the SQLite file at ``path`` for durable use.

    ``key``: the file's 256-bit key (SQLCipher, ``storage.encrypted_sqlite``): every file the
    app keeps on the laptop is encrypted; ``None`` only for files that hold nothing of a visit
    (the central service's own). A wrong key raises ``encrypted_sqlite.WrongKey``, a plain file
    opened with a key ``encrypted_sqlite.NotEncrypted``.

    Raises ``FileDamaged`` when its check finds damage, or SQLite's own error when the file
    cannot be read at all (``damage_detail`` words it). ``cache_kib``: the page cache, when
    SQLite's default (2 MB) is too small. ``check_same_thread=False`` only lets a worker open it
    on one thread and close it on another; a connection is never safe for concurrent use.
    ``page_size``: an encrypted file's when it is new (``encrypted_sqlite.connect``).
    """
    if key is not None:
        conn = encrypted_sqlite.connect(
            path, key, check_same_thread=check_same_thread, page_size=page_size
        )
    else:
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=check_same_thread,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        problems = quick_check(conn)
        if problems:
            found = "; ".join(p.replace("\n", " ") for p in problems[:2])[:300]
            raise FileDamaged(path, f"its check found damage: {found}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if cache_kib is not None:
            conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    except BaseException:
        conn.close()
        raise
    return conn


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA quick_check`` reports (empty when the file is sound)."""
    conn.text_factory = _lenient_text
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    finally:
        conn.text_factory = str
    return [] if rows == ["ok"] else rows


def _lenient_text(raw: bytes) -> str:
    """What ``quick_check`` reports quotes damaged bytes: never fail to read its report."""
    return raw.decode("utf-8", "replace")


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


Step = tuple[int, str | Callable[[sqlite3.Connection], object]]
"""One migration: its version and either a SQL script or a function run on the connection
inside the step's transaction (for changes SQL says badly: sqlite-utils' ``transform``)."""


def open_migrated(
    path: Path,
    steps: Sequence[Step],
    *,
    what: str,
    key: bytes | None,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """``open_durable`` then ``migrate``: the file at ``path`` opened and brought up to date,
    or closed again and the error raised (``FileDamaged``, ``SchemaTooNew``, SQLite's own)."""
    conn = open_durable(path, key=key, check_same_thread=check_same_thread)
    try:
        migrate(conn, steps, what=what)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, steps: Sequence[Step], *, what: str = "file") -> list[int]:
    """Run every step of ``steps`` (ascending versions) newer than the file; return the
    versions applied (often none).

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step runs in its own
    ``BEGIN IMMEDIATE ... COMMIT`` with its ``user_version`` and is rolled back whole if it
    fails; a new file (version 0) gets all of them (SQL scripts) in one transaction. ``what``
    names the file in ``SchemaTooNew``'s message ("workspace").
    """
    latest = steps[-1][0] if steps else 0
    current = user_version(conn)
    if current > latest:
        raise SchemaTooNew(what, current, latest)
    pending = [(v, c) for v, c in steps if v > current]
    scripts = [(v, c) for v, c in pending if isinstance(c, str)]
    if current == 0 and len(pending) > 1 and len(scripts) == len(pending):
        return _create(conn, scripts)
    applied: list[int] = []
    for version, change in pending:
        try:
            if isinstance(change, str):
                conn.executescript(
                    f"BEGIN IMMEDIATE;\n{change}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
            else:
                conn.execute("BEGIN IMMEDIATE")
                change(conn)
                conn.execute(f"PRAGMA user_version = {int(version)}")
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _create(conn: sqlite3.Connection, steps: Sequence[tuple[int, str]]) -> list[int]:
    """A new file's schema: every step in one transaction, one commit (a commit is an fsync,
    and a kit's import creates its workspace while the evidence is being written). A crash
    before the commit leaves version 0 and no tables: the next open creates it from scratch."""
    script = "\n".join(change for _, change in steps)
    try:
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {int(steps[-1][0])};\nCOMMIT;"
        )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return [version for version, _ in steps]


def damage_detail(exc: BaseException) -> str | None:
    """What ``exc`` says about a damaged file, as a phrase for the user; ``None`` when it is
    not about damage (a locked file, a full disk, a fault of ours)."""
    text = str(exc)
    if isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, encrypted_sqlite.DatabaseError)
        and text.startswith("Could not decode to UTF-8")
    ):
        return UNREADABLE_TEXT
    if isinstance(exc, json.JSONDecodeError):
        return "a value stored in it cannot be read"
    if not isinstance(exc, encrypted_sqlite.DatabaseError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code == _SHORT_READ:
        return "it is shorter than it should be: the end of the file is missing"
    if code is None:  # raised without a code (rare): judge by the message
        code = 26 if "not a database" in text else 11 if "malformed" in text else 0
    return _DAMAGE_BY_CODE.get(code & 0xFF)
