"""A full disk, said as the user needs to hear it.

A laptop at the end of a visit day is often nearly full (photos, evidence packs, last month's
visits). SQLite then says "database or disk is full" or "disk I/O error", Python ``OSError:
[Errno 28] No space left on device``: none of which tells a reviewer that their work is safe or
what to do. Everything that writes goes through SQLite transactions or a temporary file that is
renamed into place, so a full disk never loses what was saved: the sentence can say so.

- :func:`disk_full_in` finds a full disk anywhere in an exception's chain; the window's and the
  command line's error reporting turn it into :class:`DiskFull`.
- :func:`ensure_space` is called before work that writes a lot (opening a kit, exporting a
  bundle, writing a report), so it is refused before it starts rather than half-way.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from reviewer_app.app.errors import UserError
from storage import encrypted_sqlite

MB = 1024 * 1024
DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
SQLITE_FULL = ("database or disk is full", "disk i/o error")
LOW_SPACE = 20 * MB
"""Below this much free space, an ambiguous "disk I/O error" is taken to be the full disk."""


class DiskFull(UserError):
    """The disk is full: nothing saved is lost; free some space and go on."""

    def __init__(self, free_bytes: int | None) -> None:
        self.free_bytes = free_bytes
        free = "" if free_bytes is None else f" ({free_bytes // MB} MB free)"
        super().__init__(
            f"The disk is full{free}; nothing you saved is lost. Free some space and go on."
        )


def free_space(path: Path) -> int | None:
    """Bytes free on the file system holding ``path`` (or its nearest existing parent)."""
    for candidate in (Path(path), *Path(path).parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def disk_full_in(exc: BaseException, where: Path) -> DiskFull | None:
    """The :class:`DiskFull` that ``exc`` (or what caused it) amounts to, or None.

    ``where`` is the folder the work was writing to (its free space goes in the sentence).
    """
    for e in _chain(exc):
        if isinstance(e, DiskFull):
            return e
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            return DiskFull(free_space(where))
        if isinstance(e, encrypted_sqlite.Error):  # a workspace's (sqlcipher3) or sqlite3's
            text = str(e).casefold()
            if SQLITE_FULL[0] in text:
                return DiskFull(free_space(where))
            free = free_space(where)
            if SQLITE_FULL[1] in text and free is not None and free < LOW_SPACE:
                return DiskFull(free)
    return None


def ensure_space(where: Path, needed: int, *, margin: int = LOW_SPACE) -> None:
    """Refuse, before it starts, work that will write about ``needed`` bytes under ``where``."""
    free = free_space(where)
    if free is not None and free < needed + margin:
        raise DiskFull(free)
