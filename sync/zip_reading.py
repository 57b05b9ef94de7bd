"""Reading entries of an untrusted zip archive: shared by the kit reader and the bundle reader.

The zip directory is judged first (:func:`sync.kit_archive.check_directory`); these helpers then
read entries without believing their headers: never more than the caller's limit plus one byte,
hashing as they go, so a lying header or a zip bomb costs at most one chunk more than expected.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

CHUNK = 1024 * 1024

#: What zipfile and zlib raise for an archive that is damaged or crafted.
DAMAGED_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    ValueError,
    NotImplementedError,
)


def read_at_most(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The entry's bytes, but never more than ``limit + 1`` of them, whatever its header says."""
    with zf.open(info) as f:
        return f.read(limit + 1)


def stream_entry(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    expected_size: int,
    sink: Callable[[bytes], object],
) -> tuple[int, str]:
    """Read an entry expected to hold ``expected_size`` bytes, giving them to ``sink`` in chunks.

    Returns ``(bytes read, SHA-256 hex of them)``. Reading stops one byte past
    ``expected_size`` (so a size above it means "bigger than announced"), and bytes past it are
    never given to ``sink``. The caller compares both figures with what it expected.
    """
    digest = hashlib.sha256()
    size = 0
    with zf.open(info) as src:
        while size <= expected_size:
            chunk = src.read(min(CHUNK, expected_size + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
            if size <= expected_size:
                sink(chunk)
    return size, digest.hexdigest()


class Staged:
    """What a reader unpacked into its own staging folder: removed by ``cleanup()`` or on
    leaving a ``with`` block. Shared by the verified kit and the verified bundle."""

    __slots__ = ()
    folder: Path

    def cleanup(self) -> None:
        """Remove the staging folder and whatever is left in it."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
