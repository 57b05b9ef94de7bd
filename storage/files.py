"""Writing a file so that it is always whole: after a crash, a kill or a full disk the file holds
what it held before or everything that was written, never part of it.

``write_atomic(path, data)`` writes bytes (or whatever a function writes to the open binary
file) to a temporary file in the same folder, flushes it to disk (fsync), renames it over
``path`` and flushes the folder, so that the rename itself survives a power cut.
``replacing(path)`` is the same for writers that need a file name rather than an open file (a
PDF library, SQLite's backup API): it yields the temporary path to write.

Temporary files are named ``.<name>.<random>.tmp`` unless the caller names one (``temp=``):
callers whose leftovers are cleaned by name (a report's ``.<name>.part`` is written over by the
next render; a backup's ``.workspace-*.tmp`` is removed under the backup lock; a blob store's
``.incoming-*`` once stale) pass that name. A write that fails removes its temporary file.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], object]
"""Writes the file's content to the open binary file it is given."""
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def write_atomic(
    path: Path,
    data: bytes | Writer,
    *,
    temp: Path | None = None,
    mode: int = 0o666,
    exclusive: bool = False,
) -> Path:
    """Put ``data`` at ``path`` whole, or leave ``path`` as it was; return ``path``.

    ``data``: the bytes, or a function that writes them to the open binary file (whatever it
    raises is raised, and nothing is written). ``mode``: the new file's permissions before the
    umask (0o600: only this user may read it). ``exclusive``: only create, never replace: raises
    ``FileExistsError`` when ``path`` exists (another process made it first).
    """
    path = Path(path)
    tmp, fd = _create(path, temp, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes | bytearray | memoryview):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
        _put_in_place(tmp, path, exclusive=exclusive)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextmanager
def replacing(
    path: Path,
    *,
    temp: Path | None = None,
    leftovers: Sequence[str] = (),
    mode: int = 0o666,
) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that writes by name (the file is
    there, empty, with ``mode``'s permissions: a writer that truncates it keeps them). When the
    block ends, the file written there is flushed to disk and renamed over ``path``, and the
    folder flushed. When it raises, the temporary file is removed (with any ``leftovers``:
    suffixes of files the writer makes beside it, such as SQLite's ``"-journal"``) and
    ``path`` is left as it was."""
    path = Path(path)
    tmp, fd = _create(path, temp, mode)
    os.close(fd)
    try:
        yield tmp
        fsync_file(tmp)
        _put_in_place(tmp, path, exclusive=False)
    except BaseException:
        for left in (tmp, *(tmp.with_name(tmp.name + s) for s in leftovers)):
            left.unlink(missing_ok=True)
        raise


def fsync_file(path: Path) -> None:
    """Flush a file that was written and closed to disk."""
    with open(path, "rb+") as f:  # writable: Windows flushes only a handle that may write
        os.fsync(f.fileno())


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")


def temp_leftovers(path: Path) -> list[Path]:
    """The temporary files that writes of ``path`` by :func:`write_atomic` (without ``temp``)
    killed half way left beside it: nothing of them was put in place."""
    return sorted(Path(path).parent.glob(f".{glob.escape(Path(path).name)}.*.tmp"))


def _create(path: Path, temp: Path | None, mode: int) -> tuple[Path, int]:
    """Open the temporary file for writing: a named one is written over (a leftover of a
    killed write), a random name is created afresh."""
    if temp is not None:
        return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, mode)
    while True:
        tmp = _temp_name(path)
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, mode)
        except FileExistsError:  # four random bytes met another writer's: pick again
            continue


def _put_in_place(tmp: Path, path: Path, *, exclusive: bool) -> None:
    if exclusive:
        os.link(tmp, path)  # FileExistsError when path exists: never replaced
        tmp.unlink()
    else:
        os.replace(tmp, path)
    fsync_dir(path.parent)
