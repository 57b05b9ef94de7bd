"""SQLite files encrypted with SQLCipher: opened with a visit's 256-bit key, and plain files
encrypted in place, crash-safe.

``connect(path, key)`` opens (creating when missing) a SQLCipher database with a raw key
(``PRAGMA key = "x'<64 hex>'"``: no passphrase, so no PBKDF2 run on each open; the key is
already random and 256 bits) and checks the key at once by reading the schema, so a wrong
key raises ``WrongKey`` with a sentence here rather than "file is not a database" on some later
query. Cipher settings are pinned to SQLCipher 4's (``PRAGMA cipher_compatibility = 4``:
AES-256-CBC per 4096-byte page, a random IV per page write, HMAC-SHA512 over each page, a
random 16-byte salt at the start of the file, no plaintext header), so a later SQLCipher whose
defaults change still opens our files; a new file may be given 16 KB pages instead
(``page_size``: the workspaces are), and a file of either size opens (``PAGE_SIZES``). The
connection is a ``sqlcipher3`` connection: the same DB-API as ``sqlite3``
(``sqlite_utils.Database(conn)`` works over it, as do WAL, JSON and FTS5), but its exceptions
are ``sqlcipher3``'s classes, not subclasses of ``sqlite3``'s: ``except`` clauses that must see
both use the tuples below (``DatabaseError`` ...).

``encrypt_plain_database(plain, encrypted, key, progress)`` makes the encrypted copy with
``sqlcipher_export`` into a temporary file beside ``encrypted``, checks it (``integrity_check``,
the rows of every table, the schema, ``user_version``), flushes it to disk and renames it into
place; only then is the plain file removed. ``plain`` and ``encrypted`` may be the same path
(encrypting in place): the rename replaces the plain file in one step. A kill at any moment
leaves the plain file as it was, or the checked encrypted one (and, with two paths, perhaps the
plain one too, which the next call removes).

``is_encrypted(path)`` says whether a file is not a plain SQLite file (a plain one starts with
"SQLite format 3"; an encrypted one with its random salt). Imports nothing of ours but
``storage.files``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import sqlcipher3

from storage.files import fsync_dir, fsync_file

KEY_BYTES = 32
SQLITE_HEADER = b"SQLite format 3\x00"
CIPHER_COMPATIBILITY = 4
BUSY_TIMEOUT_MS = 5000
TEMP_SUFFIX = ".encrypting.tmp"
_SIDE_FILES = ("-journal", "-wal", "-shm")
DEFAULT_PAGE_SIZE = 4096
"""SQLCipher 4's page size: every file made before ``LARGE_PAGE_SIZE``, and most files still."""
LARGE_PAGE_SIZE = 16_384
"""The page size of new workspaces (``connect(..., page_size=LARGE_PAGE_SIZE)``): each page
written is encrypted, given a random IV and an HMAC of its own, and SQLite's work is per page;
a merge writes thousands, and a quarter as many made importing 8 bundles of 5,000 operations
~10% faster (an edit, a few pages, takes ~0.2 ms more)."""
PAGE_SIZES = (DEFAULT_PAGE_SIZE, LARGE_PAGE_SIZE)
"""The page sizes a file of ours may have. Nothing in a SQLCipher 4 file says which it has (no
plaintext header): ``connect`` tries the one it is given, then the others (a try that fails
reads the first page and writes nothing: a quarter of a millisecond)."""
_CACHE_KIB = 32_000  # the page cache while encrypting and checking, as the workspace's
_PROGRESS_EVERY = 1000  # SQLite VM steps between two looks at the copy's size while exporting

Progress = Callable[[str, int, int], object]
"""``progress(stage, done, total)``: stage is "encrypting", "verifying", "replacing", "removing"
(the plain file, when it had another name) or "done";
``done``/``total`` are bytes (an estimate while encrypting)."""

# sqlcipher3's exception classes are its own; an ``except`` that must catch an error from
# either kind of connection names both.
Error = (sqlite3.Error, sqlcipher3.Error)
DatabaseError = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)
OperationalError = (sqlite3.OperationalError, sqlcipher3.OperationalError)
IntegrityError = (sqlite3.IntegrityError, sqlcipher3.IntegrityError)
Row = sqlcipher3.Row
"""The row factory for a connection made here (``sqlite3.Row`` takes only sqlite3's cursors)."""


class WrongKey(Exception):
    """The key given does not open the file (a wrong key, or its first page is damaged)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} cannot be opened with the key kept for it: either the key is not the one "
            "it was encrypted with, or the start of the file is damaged."
        )
        self.path = path


class NotEncrypted(Exception):
    """A plain SQLite file was opened as an encrypted one."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is not encrypted yet: encrypt it first.")
        self.path = path


class EncryptionFailed(Exception):
    """The encrypted copy did not match the plain file; the plain file was left as it was."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"{path} could not be encrypted ({detail}); it was left as it was, unencrypted."
        )
        self.path, self.detail = path, detail


def key_literal(key: bytes) -> str:
    """SQLCipher's raw-key form of ``key`` (32 bytes): ``x'<64 hex digits>'``."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"an encryption key is {KEY_BYTES} bytes, not {len(key)}")
    return f"x'{key.hex()}'"


def is_encrypted(path: Path) -> bool:
    """True when ``path`` holds something that is not a plain SQLite file: an encrypted one
    (or something damaged beyond its header). False for a plain file, an empty one, or none."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return False
    return len(head) > 0 and head != SQLITE_HEADER


def is_plain(path: Path) -> bool:
    """True when ``path`` is a plain (unencrypted) SQLite file with something in it."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except FileNotFoundError:
        return False


def connect(
    path: Path,
    key: bytes,
    *,
    check_same_thread: bool = True,
    timeout: float = BUSY_TIMEOUT_MS / 1000,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> sqlite3.Connection:
    """Open (creating when missing) the encrypted database at ``path`` with ``key``, in
    autocommit mode (``isolation_level=None``), and check the key.

    ``page_size``: the page size of a new file (none at ``path``, or an empty one), one of
    ``PAGE_SIZES``; an existing file is opened whatever its page size, ``page_size`` tried
    first (see ``PAGE_SIZES``). Raises ``WrongKey`` when the key does not open it and
    ``NotEncrypted`` for a plain file. The result is typed as ``sqlite3.Connection`` because it
    has the same API; it is a ``sqlcipher3`` connection (see the module's note on exceptions).
    """
    path = Path(path)
    if page_size not in PAGE_SIZES:
        raise ValueError(f"a page size is one of {PAGE_SIZES}, not {page_size}")
    for size in (page_size, *(s for s in PAGE_SIZES if s != page_size)):
        conn: Any = sqlcipher3.connect(
            str(path), isolation_level=None, check_same_thread=check_same_thread, timeout=timeout
        )
        try:
            apply_key(conn, key, path, page_size=size)
        except WrongKey:
            conn.close()
            if not _has_pages(path):  # (a new file opens with any size: not this)
                raise
            continue  # perhaps written with another page size
        except BaseException:
            conn.close()
            raise
        return cast(sqlite3.Connection, conn)
    raise WrongKey(path)


def apply_key(conn: Any, key: bytes, path: Path, *, page_size: int | None = None) -> None:
    """Give ``conn`` (a fresh sqlcipher3 connection to ``path``) its key, SQLCipher 4's
    settings with ``page_size``, and check that the key opens the file (``WrongKey``: it does
    not, or not with this page size). ``None``: the file's own page size, found by trying each
    on connections of its own (a connection that failed to read cannot try another)."""
    if page_size is None:
        page_size = _page_size_of(path, key)
    conn.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher logs a wrong key on stderr
    conn.execute(f'PRAGMA key = "{key_literal(key)}"')
    conn.execute(f"PRAGMA cipher_compatibility = {CIPHER_COMPATIBILITY}")
    if page_size != DEFAULT_PAGE_SIZE:
        conn.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        if "not a database" not in str(exc):
            raise
        if is_plain(path):
            raise NotEncrypted(path) from None
        raise WrongKey(path) from None


def _page_size_of(path: Path, key: bytes) -> int:
    """The page size ``key`` opens ``path`` with (the default when none does, or for a new
    file): each tried, read-only, on a connection of its own."""
    if not _has_pages(path):
        return DEFAULT_PAGE_SIZE
    for size in PAGE_SIZES:
        probe: Any = sqlcipher3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            apply_key(probe, key, path, page_size=size)
        except (WrongKey, NotEncrypted, sqlcipher3.Error):
            continue
        finally:
            probe.close()
        return size
    return DEFAULT_PAGE_SIZE


def _has_pages(path: Path) -> bool:
    """Whether the file at ``path`` (or its write-ahead log) holds a page."""
    for name in (str(path), f"{path}-wal"):
        with contextlib.suppress(OSError):
            if os.stat(name).st_size > 0:
                return True
    return False


def encrypt_plain_database(
    plain: Path, encrypted: Path, key: bytes, progress: Progress | None = None
) -> Path:
    """Encrypt the plain SQLite file ``plain`` into ``encrypted`` (which may be the same path)
    with ``key``; return ``encrypted``.

    Call it while nothing else has ``plain`` open. When ``encrypted`` is already there and opens
    with ``key`` (a run killed after its rename), the plain file is only removed. Raises
    ``EncryptionFailed`` when the check of the copy fails, ``WrongKey`` when an encrypted file
    already at ``encrypted`` does not open with ``key``; in every case the plain file is kept.
    """
    plain, encrypted = Path(plain), Path(encrypted)
    report: Progress = progress or (lambda _stage, _done, _total: None)
    in_place = plain.resolve() == encrypted.resolve()
    tmp = encrypted.with_name(f".{encrypted.name}{TEMP_SUFFIX}")
    _remove_with_side_files(tmp)  # a leftover of a run that was killed
    if is_encrypted(encrypted):  # done already (checked before its rename); WrongKey if not ours
        connect(encrypted, key).close()
        if not in_place:  # killed before the plain file was removed
            _remove_plain(plain)
        report("done", 1, 1)
        return encrypted
    if not is_plain(plain):
        raise FileNotFoundError(f"there is no plain SQLite file at {plain} to encrypt")
    size = plain.stat().st_size
    expected = _export(plain, tmp, key, report, size)
    report("verifying", 0, size)
    _verify(tmp, key, expected, plain)
    report("replacing", size, size)
    fsync_file(tmp)
    if in_place:
        _check_no_wal(plain)
        for side in ("-wal", "-shm", "-journal"):  # empty ones: the plain file's, now stale
            Path(f"{plain}{side}").unlink(missing_ok=True)
    os.replace(tmp, encrypted)
    fsync_dir(encrypted.parent)
    if not in_place:
        report("removing", size, size)
        _remove_plain(plain)
    report("done", size, size)
    return encrypted


_Expected = tuple[dict[str, int], list[tuple[str, str, str]], int, int]
"""Rows per table, the schema (type, name, sql), user_version and application_id."""


def _export(plain: Path, tmp: Path, key: bytes, report: Progress, size: int) -> _Expected:
    """Copy ``plain`` into the new encrypted file ``tmp``; return what the copy must hold."""
    src: Any = sqlcipher3.connect(str(plain), isolation_level=None)
    try:
        src.execute("PRAGMA cipher_log_level = NONE")
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if src.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        src.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(tmp), key_literal(key)))
        src.execute(f"PRAGMA encrypted.cipher_compatibility = {CIPHER_COMPATIBILITY}")
        # The copy is a new file, thrown away on any failure and flushed to disk before its
        # rename: no journal and no fsync of its own while it is written (half the time).
        src.execute("PRAGMA encrypted.journal_mode = OFF")
        src.execute("PRAGMA encrypted.synchronous = OFF")
        src.execute("BEGIN IMMEDIATE")  # no writer may change the plain file meanwhile
        try:
            expected = _contents(src)
            report("encrypting", 0, size)

            last = [0]

            def step() -> int:  # reported only when the copy grew (a stat is ~1 us)
                written = tmp.stat().st_size if tmp.exists() else 0
                if written != last[0]:
                    last[0] = written
                    report("encrypting", min(written, size), size)
                return 0

            src.set_progress_handler(step, _PROGRESS_EVERY)
            src.execute("SELECT sqlcipher_export('encrypted')")
            src.set_progress_handler(None, 0)
            _tables, _schema, version, app_id = expected
            src.execute(f"PRAGMA encrypted.user_version = {int(version)}")
            src.execute(f"PRAGMA encrypted.application_id = {int(app_id)}")
            src.execute("COMMIT")
        except BaseException:
            if src.in_transaction:
                src.execute("ROLLBACK")
            raise
        src.execute("DETACH DATABASE encrypted")
    except BaseException:
        src.close()
        _remove_with_side_files(tmp)
        raise
    src.close()
    return expected


def _contents(conn: Any, schema: str = "main") -> _Expected:
    """What a database holds, to compare a copy with: rows per table (virtual tables are
    left out: their shadow tables hold their rows), the schema, user_version, application_id."""
    rows = conn.execute(
        f"SELECT type, name, coalesce(sql, '') FROM {schema}.sqlite_master "
        "WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY type, name"
    ).fetchall()
    tables = {
        name: int(conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])
        for kind, name, sql in rows
        if kind == "table" and not sql.upper().startswith("CREATE VIRTUAL")
    }
    version = int(conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0])
    app_id = int(conn.execute(f"PRAGMA {schema}.application_id").fetchone()[0])
    return tables, [(str(k), str(n), str(s)) for k, n, s in rows], version, app_id


def _verify(tmp: Path, key: bytes, expected: _Expected, plain: Path) -> None:
    """Open the copy with the key and compare it with what the plain file held."""
    try:
        conn: Any = connect(tmp, key)
    except (WrongKey, NotEncrypted) as exc:
        _remove_with_side_files(tmp)
        raise EncryptionFailed(plain, "the encrypted copy does not open") from exc
    try:
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        detail = ""
        if problems != ["ok"]:
            detail = f"the encrypted copy failed its check: {'; '.join(problems[:2])}"
        else:
            found = _contents(conn)
            if found != expected:
                detail = "the encrypted copy does not hold the same rows"
    finally:
        conn.close()
    if detail:
        _remove_with_side_files(tmp)
        raise EncryptionFailed(plain, detail)


def _check_no_wal(path: Path) -> None:
    """Refuse to put a file in place under a write-ahead log that still holds pages: another
    connection has it open, and the log would be applied to the new file."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise EncryptionFailed(path, "it is open elsewhere; close the visit and try again")


def _remove_plain(plain: Path) -> None:
    _remove_with_side_files(plain)
    fsync_dir(plain.parent)


def _remove_with_side_files(path: Path) -> None:
    for name in (str(path), *(f"{path}{side}" for side in _SIDE_FILES)):
        Path(name).unlink(missing_ok=True)
