"""Content-addressed files on the service, and resumable uploads into them.

Layout under the blob folder (beside the SQLite file by default: ``<db stem>-blobs/``; a
folder every service process can reach when the database is PostgreSQL)::

    <sha256[:2]>/<sha256>      complete, hash-checked content (never changes)
    partial/<sha256>           bytes received so far for an upload that has not finished
    tmp/                       kits being checked, and other scratch files

Resume protocol (documented in docs/architecture.md): ``HEAD /v1/blobs/{sha}`` answers 200 when
the blob is complete, else 404 with ``Upload-Offset: N`` (bytes already received). ``PUT`` with no
``Content-Range`` sends the whole content from byte 0; ``PUT`` with
``Content-Range: bytes N-M/TOTAL`` writes from ``N``, which must not be past the current offset
(else 409 with the right ``Upload-Offset``); bytes from ``N`` on are replaced. ``HEAD`` waits for
an upload of the same blob still under way, so the offset it gives is settled. Bytes that arrive
before a dropped connection are kept.
When the partial file reaches its full size it is hashed as a whole; only a match becomes
visible, with the file fsynced before the ``blobs`` row is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from storage.files import fsync_dir, fsync_file

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
CHUNK = 1024 * 1024


class UploadProblem(Exception):
    """An upload the service refuses: status, one sentence, and the offset to resume from."""

    def __init__(self, status: int, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class ContentRange:
    start: int
    end: int  # inclusive
    total: int


def parse_content_range(value: str | None) -> ContentRange | None:
    """``bytes N-M/TOTAL`` or None; UploadProblem(400) for anything malformed."""
    if value is None:
        return None
    match = _RANGE_RE.match(value.strip())
    if not match:
        raise UploadProblem(400, "Content-Range must look like 'bytes START-END/TOTAL'.")
    start, end, total = (int(g) for g in match.groups())
    if end < start or end >= total:
        raise UploadProblem(400, "Content-Range's END must be at least START and below TOTAL.")
    return ContentRange(start, end, total)


class BlobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def create(self) -> None:
        for sub in ("partial", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def partial(self, sha: str) -> Path:
        return self.root / "partial" / sha

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def complete(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def offset(self, sha: str) -> int:
        try:
            return self.partial(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def lock(self, sha: str) -> asyncio.Lock:
        """One upload of a given blob at a time (in this process)."""
        return self._locks.setdefault(sha, asyncio.Lock())

    def adopt(self, source: Path, sha: str) -> Path:
        """Move ``source`` (already hash-checked and fsynced) into place; idempotent."""
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            source.unlink(missing_ok=True)
        else:
            os.replace(source, target)
            fsync_dir(target.parent)
        return target

    async def receive(
        self,
        sha: str,
        chunks: AsyncIterator[bytes],
        content_range: ContentRange | None,
        length: int | None,
        max_size: int,
    ) -> int:
        """Append the request's bytes to the partial file; the blob's size once complete.

        Returns -1 when the upload is still incomplete (the client sent a range that stops
        short). Raises UploadProblem for a wrong offset, a size over ``max_size`` or content
        whose hash is not ``sha`` (the partial file is then discarded: it can never match).
        """
        partial = self.partial(sha)
        partial.parent.mkdir(parents=True, exist_ok=True)
        if content_range is None:
            start, total = 0, length
        else:
            start, total = content_range.start, content_range.total
        if total is not None and total > max_size:
            raise UploadProblem(413, f"A file may be at most {max_size} bytes.")
        current = self.offset(sha)
        if start > current:  # from further back is fine: what follows is written again
            raise UploadProblem(
                409, f"This upload continues from byte {current}, not {start}.", current
            )
        hasher = hashlib.sha256()
        mode = "r+b" if start else "wb"
        if start:
            await asyncio.to_thread(_hash_prefix, partial, start, hasher)
        received = start
        with open(partial, mode) as f:
            f.seek(start)
            f.truncate()
            try:
                async for chunk in chunks:
                    received += len(chunk)
                    if received > max_size or (total is not None and received > total):
                        raise UploadProblem(413, "More bytes arrived than the upload declared.")
                    f.write(chunk)
                    hasher.update(chunk)
            finally:
                f.flush()  # keep what arrived, even when the connection dropped
        if total is None or received < total:
            return -1 if content_range is not None else await self._finish(sha, hasher, received)
        return await self._finish(sha, hasher, received)

    async def _finish(self, sha: str, hasher: hashlib._Hash, size: int) -> int:
        partial = self.partial(sha)
        if hasher.hexdigest() != sha:
            partial.unlink(missing_ok=True)
            raise UploadProblem(422, "The bytes received do not have the SHA-256 in the address.")
        await asyncio.to_thread(fsync_file, partial)
        await asyncio.to_thread(self.adopt, partial, sha)
        return size

    def discard_partial(self, sha: str) -> None:
        with contextlib.suppress(OSError):
            self.partial(sha).unlink()

    def clear_tmp(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True, exist_ok=True)


def _hash_prefix(path: Path, size: int, hasher: hashlib._Hash) -> None:
    with open(path, "rb") as f:
        left = size
        while left:
            data = f.read(min(CHUNK, left))
            if not data:
                raise UploadProblem(409, "The partial upload is shorter than it was.", 0)
            hasher.update(data)
            left -= len(data)
