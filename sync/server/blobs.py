"""Content-addressed files on the service, and resumable uploads into them.

Layout under the blob folder (beside the SQLite file by default: ``<db stem>-blobs/``; a
folder every service process can reach when the database is PostgreSQL)::

    <sha256[:2]>/<sha256>              complete, hash-checked content (never changes)
    partial/<user id>/<sha256>         bytes one user has sent so far of an unfinished upload
    partial/<user id>/<sha256>.total   the size that upload declared (its Content-Range total)
    tmp/                               kits being checked, and other scratch files

A partial upload belongs to the user sending it: another user's upload of the same content has
its own partial file, so nobody can reset or append to someone else's. Several service
processes may share the folder, so nothing here is a lock held in one process: an upload holds
an ``flock`` on its own partial file while it writes (released with the file, never kept), and a
finished upload is hashed, fsynced and renamed into place (atomic; the same content renamed by
two uploads is the same bytes either way).

Resume protocol (documented in docs/architecture.md): ``HEAD /v1/blobs/{sha}`` answers 200 when
the blob is complete (and the asker may read it), else 404 with ``Upload-Offset: N`` (bytes of
the asker's own upload received so far). ``PUT`` with no ``Content-Range`` sends the whole content
from byte 0; ``PUT`` with ``Content-Range: bytes N-M/TOTAL`` writes from ``N``, which must not be
past the current offset (else 409 with the right ``Upload-Offset``); bytes from ``N`` on are
replaced. The body must be exactly ``M - N + 1`` bytes and ``TOTAL`` must be the total the
upload declared before. ``HEAD`` waits for an upload of the same blob by the same user still
under way, so the offset it gives is settled. Bytes that arrive before a dropped connection are
kept; partial uploads untouched for :data:`ABANDONED_AFTER` are removed (:meth:`BlobFiles.cleanup`,
on start and then at most every :data:`CLEANUP_EVERY` as uploads arrive).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import logging
import mmap
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from storage.files import fsync_dir
from sync.server.limits import BodyTooLarge

log = logging.getLogger(__name__)

SHA256_RE = re.compile(r"[0-9a-f]{64}")  # use fullmatch: "$" would let a newline through
_RANGE_RE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")
CHUNK = 1024 * 1024
BATCH = 2 * CHUNK  # received bytes handed to an idle writer thread (see _Writer)
STAGE = 4 * CHUNK  # a staging buffer; two an upload: received bytes wait for the disk in one
WRITEBACK_EVERY = CHUNK  # how often the disk is asked to start on what was written
ABANDONED_AFTER = 24 * 3600.0  # seconds without a byte before a partial upload is removed
CLEANUP_EVERY = 3600.0
LOCK_WAIT = 30.0  # how long a request waits for another upload of the same file by its user
_TOTAL = ".total"
# Threads that write and hash uploads' bytes (:class:`_Writer`), apart from the ones requests
# use for the database, so that a busy database never holds up bytes arriving.
_WRITERS = ThreadPoolExecutor(thread_name_prefix="blob-writer")


def is_sha256(text: str) -> bool:
    return SHA256_RE.fullmatch(text) is not None


class UploadProblem(Exception):
    """An upload the service refuses: status, one sentence, and the offset to resume from
    (None: the uploader's offset as it now is)."""

    def __init__(self, status: int, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class ContentRange:
    start: int
    end: int  # inclusive
    total: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_content_range(value: str | None) -> ContentRange | None:
    """``bytes N-M/TOTAL`` or None; UploadProblem(400) for anything malformed."""
    if value is None:
        return None
    match = _RANGE_RE.fullmatch(value.strip())
    if not match:
        raise UploadProblem(400, "Content-Range must look like 'bytes START-END/TOTAL'.")
    start, end, total = (int(g) for g in match.groups())
    if end < start or end >= total:
        raise UploadProblem(400, "Content-Range's END must be at least START and below TOTAL.")
    return ContentRange(start, end, total)


@dataclass(frozen=True, slots=True)
class Upload:
    """One request's bytes for one blob: who sends them, where they go, and what is allowed."""

    user_id: int
    sha: str
    content_range: ContentRange | None
    length: int | None  # Content-Length, when the request declared one
    max_size: int  # the largest blob the service stores
    room: int  # bytes this user may still add (quota less stored and other unfinished bytes)


class BlobFiles:
    def __init__(self, root: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.clock = clock
        self._last_cleanup = float("-inf")

    def create(self) -> None:
        for sub in ("partial", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.cleanup()

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def partial(self, user_id: int, sha: str) -> Path:
        return self.root / "partial" / str(user_id) / sha

    def _total_file(self, user_id: int, sha: str) -> Path:
        return self.root / "partial" / str(user_id) / (sha + _TOTAL)

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def complete(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def size(self, sha: str) -> int:
        return self.path(sha).stat().st_size

    def offset(self, user_id: int, sha: str) -> int:
        try:
            return self.partial(user_id, sha).stat().st_size
        except FileNotFoundError:
            return 0

    def unfinished_bytes(self, user_id: int, *, besides: str | None = None) -> int:
        """What a user's unfinished uploads hold (all but ``besides``'s), for their quota."""
        folder = self.root / "partial" / str(user_id)
        total = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                if entry.name.endswith(_TOTAL) or entry.name == besides:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    total += entry.stat().st_size
        return total

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

    async def settled_offset(self, user_id: int, sha: str) -> int:
        """The user's offset once any upload of theirs still writing this blob has stopped."""
        path = self.partial(user_id, sha)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below, after the lock
        except FileNotFoundError:
            return 0
        with f:
            await _lock(f, fcntl.LOCK_SH, LOCK_WAIT)
            if not _same_file(f, path):  # finished (renamed into place) or discarded meanwhile
                return self.offset(user_id, sha)
            return os.fstat(f.fileno()).st_size

    async def receive(self, upload: Upload, chunks: AsyncIterator[bytes]) -> int:
        """Write the request's bytes to the user's partial file; the blob's size once complete.

        Returns -1 when the upload is still incomplete (a range that stops short of the total,
        or a connection that dropped). Raises UploadProblem for a wrong offset or range, a size
        over the limit or the user's quota, or content whose hash is not ``sha`` (the partial
        file is then discarded: it can never match).
        """
        rng = upload.content_range
        start = rng.start if rng is not None else 0
        total = rng.total if rng is not None else upload.length
        if rng is not None and upload.length is not None and upload.length != rng.length:
            raise UploadProblem(
                400,
                f"Content-Range names {rng.length} bytes but Content-Length is {upload.length}.",
            )
        if total is not None and total > upload.max_size:
            raise UploadProblem(413, f"A file may be at most {upload.max_size} bytes.")
        if total is not None and total > upload.room:
            raise _over_quota()
        async with self._partial_locked(upload.user_id, upload.sha) as f:
            current = os.fstat(f.fileno()).st_size
            if start > current:  # from further back is fine: what follows is written again
                raise UploadProblem(
                    409, f"This upload continues from byte {current}, not {start}.", current
                )
            declared = self._declared_total(upload.user_id, upload.sha)
            if start > 0 and declared is not None and total is not None and total != declared:
                raise UploadProblem(
                    400,
                    f"This upload was declared as {declared} bytes, not {total}; "
                    "start again from byte 0 to send other content.",
                    current,
                )
            if start == 0 or declared is None:
                self._declare_total(upload.user_id, upload.sha, total)
            hasher = hashlib.sha256()
            if start:
                await asyncio.to_thread(_hash_prefix, f, start, hasher)
            received = await _write_from(f, start, chunks, hasher, upload=upload, total=total)
            if rng is not None and received - start != rng.length:
                # Cut back to where this request began: a lying range keeps nothing.
                os.ftruncate(f.fileno(), start)
                raise UploadProblem(
                    400,
                    f"Content-Range names {rng.length} bytes but {received - start} arrived.",
                    start,
                )
            if rng is not None and received < rng.total:
                return -1
            # The whole content (or all a PUT without a range sent): it is that hash or nothing.
            return await self._finish(upload.user_id, upload.sha, f, hasher, received)

    async def _finish(
        self, user_id: int, sha: str, f: BinaryIO, hasher: hashlib._Hash, size: int
    ) -> int:
        partial = self.partial(user_id, sha)
        self._total_file(user_id, sha).unlink(missing_ok=True)
        if hasher.hexdigest() != sha:
            partial.unlink(missing_ok=True)
            raise UploadProblem(422, "The bytes received do not have the SHA-256 in the address.")
        await asyncio.to_thread(os.fsync, f.fileno())
        await asyncio.to_thread(self.adopt, partial, sha)
        return size

    def _declared_total(self, user_id: int, sha: str) -> int | None:
        try:
            return int(self._total_file(user_id, sha).read_text("ascii"))
        except (FileNotFoundError, ValueError):
            return None

    def _declare_total(self, user_id: int, sha: str, total: int | None) -> None:
        target = self._total_file(user_id, sha)
        if total is None:  # a body of unknown length: nothing declared
            target.unlink(missing_ok=True)
            return
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(str(total), "ascii")
        os.replace(tmp, target)

    @contextlib.asynccontextmanager
    async def _partial_locked(self, user_id: int, sha: str) -> AsyncIterator[BinaryIO]:
        """The user's partial file for ``sha``, opened and exclusively locked (created empty).

        The lock is the file's own ``flock``: it lasts as long as the file is open, in any
        process. A file renamed into place or removed while we waited is not the partial file
        any more: open the one now at the path instead.
        """
        path = self.partial(user_id, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            f = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
            try:
                await _lock(f, fcntl.LOCK_EX, deadline - time.monotonic())
                if _same_file(f, path):
                    break
            except BaseException:
                f.close()
                raise
            f.close()
        try:
            yield f
        finally:
            f.close()

    def cleanup(self, max_age: float = ABANDONED_AFTER) -> int:
        """Remove partial uploads (and scratch files) untouched for ``max_age`` seconds.

        Safe while other processes upload: a partial file being written is locked and kept.
        Returns how many partial uploads were removed.
        """
        self._last_cleanup = self.clock()
        cutoff = self._last_cleanup - max_age
        removed = 0
        for path in _files_under(self.root / "partial"):
            if path.name.endswith(_TOTAL):
                data = path.with_name(path.name.removesuffix(_TOTAL))
                if not data.exists() and _older(path, cutoff):
                    path.unlink(missing_ok=True)
                continue
            if _older(path, cutoff) and _remove_unlocked(path, cutoff):
                path.with_name(path.name + _TOTAL).unlink(missing_ok=True)
                removed += 1
        for path in _files_under(self.tmp):
            if _older(path, cutoff):
                path.unlink(missing_ok=True)
        if removed:
            log.info("removed %d abandoned partial uploads", removed)
        return removed

    def cleanup_due(self) -> bool:
        return self.clock() - self._last_cleanup >= CLEANUP_EVERY

    def clear_tmp(self) -> None:
        """Scratch files of this or another process that were abandoned (see :meth:`cleanup`).

        Only old ones: another process sharing the folder may be checking a kit right now.
        """
        cutoff = self.clock() - ABANDONED_AFTER
        self.tmp.mkdir(parents=True, exist_ok=True)
        for path in _files_under(self.tmp):
            if _older(path, cutoff):
                path.unlink(missing_ok=True)


async def _lock(f: BinaryIO, kind: int, wait: float) -> None:
    """Take ``flock(kind)`` on ``f`` without blocking the event loop; 409 after ``wait``."""
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fcntl.flock(f.fileno(), kind | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        if time.monotonic() >= deadline:
            raise UploadProblem(
                409,
                "Another upload of this file from your account is still under way; "
                "try again shortly.",
                os.fstat(f.fileno()).st_size,
            )
        await asyncio.sleep(0.02)


def _same_file(f: BinaryIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(f.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


async def _write_from(
    f: BinaryIO,
    start: int,
    chunks: AsyncIterator[bytes],
    hasher: hashlib._Hash,
    *,
    upload: Upload,
    total: int | None,
) -> int:
    """Write the body from ``start``; the offset reached. What arrived is kept on a drop.

    The bytes are written and hashed on worker threads (both release the GIL) while the event
    loop receives what follows (:class:`_Writer`): done one after the other, receiving, hashing,
    writing and the final fsync added up to more than four times the upload itself.
    """
    os.ftruncate(f.fileno(), start)
    writer = _Writer(f.fileno(), start, hasher)
    received = start
    try:
        async for chunk in chunks:
            received += len(chunk)
            problem = _too_much(received, upload, total, start)
            if problem is not None:
                await writer.cut(start)
                raise problem
            await writer.add(chunk)
    except BodyTooLarge:
        await writer.cut(start)  # over the service's limit: none of it can be used
        raise
    finally:
        await writer.close()  # writes what arrived, even when the connection dropped
    return received


def _too_much(received: int, upload: Upload, total: int | None, start: int) -> UploadProblem | None:
    if received > upload.max_size or (total is not None and received > total):
        return UploadProblem(413, "More bytes arrived than the upload declared.", start)
    if received > upload.room:
        return _over_quota(start)
    return None


class _Writer:
    """Writes and hashes one upload's bytes on worker threads while the event loop receives.

    The event loop copies what arrives into one of two staging buffers (page-aligned, of
    :data:`STAGE` bytes, reused from upload to upload); a full buffer, or :data:`BATCH` bytes
    when the worker is idle, is handed to a worker thread, which hashes it on a second thread
    while it writes it, so that the two take the time of the longer rather than of both. The
    loop meanwhile fills the other buffer, and waits only when that one is full too. The
    workers take the GIL for a few calls a buffer: copying each piece that arrived on a worker
    had it wait for the event loop, busy receiving, and the loop for it, piece after piece.

    The file is written with ``O_DIRECT`` where the system allows it (:func:`_open_direct`):
    straight from the buffer to the disk, in whole blocks (:data:`ALIGN`), with no page cache
    in between. Written through the page cache, each upload's pages had first to be found and
    filled, then written back by the final fsync or the writeback asked for as they landed; on
    the service's machine that took from a fifth of the upload's time to several times all of
    it, from run to run, where the direct write took the same each time. The end of a buffer
    short of a whole block goes at the start of the next one; the end of the upload (and the
    bytes before the first whole block of an upload resumed mid-block) go through the page
    cache. Where ``O_DIRECT`` is refused, everything does, and the kernel is asked to start
    writing every :data:`WRITEBACK_EVERY` bytes so that the fsync before the answer finds
    little left to do. Durability still comes from that fsync either way: a direct write may
    sit in the disk's own cache until then.

    It writes through its own duplicates of the partial file's descriptor, closed once the
    last buffer is written: the upload's ``flock`` (shared by duplicates) holds until then, even
    if the request is cancelled while a buffer is still being written.
    """

    def __init__(self, fd: int, start: int, hasher: hashlib._Hash) -> None:
        self._fd = os.dup(fd)
        self._direct = _open_direct(fd)
        self._buffers = (_STAGING.take(), _STAGING.take())
        self._fill = memoryview(self._buffers[0])  # being filled by the event loop
        self._spare = memoryview(self._buffers[1])  # being written, or free
        self._at = start  # where _fill[0] goes in the file
        self._filled = 0  # bytes in _fill
        self._hashed = 0  # of which the first are hashed already (carried from the last one)
        self._flushed = start  # writeback asked for up to here (through the page cache)
        self._hasher = hasher
        self._pending: Future[None] | None = None
        self._released = False

    @property
    def idle(self) -> bool:
        return self._pending is None or self._pending.done()

    async def add(self, chunk: bytes) -> None:
        """Take ``chunk`` (copied: the caller may drop it), handing buffers over as they fill."""
        view = memoryview(chunk)
        while view:
            n = min(len(view), STAGE - self._filled)
            self._fill[self._filled : self._filled + n] = view[:n]
            self._filled += n
            view = view[n:]
            if self._filled == STAGE:
                await self._hand_over()
        if self._filled - self._hashed >= BATCH and self.idle:
            await self._hand_over()

    async def _hand_over(self, *, last: bool = False) -> None:
        """Once the buffer before is written, give the worker ``_fill`` to hash and write:
        whole blocks of it (all of it when ``last``); the rest starts the other buffer."""
        await self.settle()
        buffer, at, filled, hashed = self._fill, self._at, self._filled, self._hashed
        end = filled if last or self._direct is None else _whole_blocks_end(at, filled)
        rest = filled - end
        self._spare[:rest] = buffer[end:filled]
        self._fill, self._spare = self._spare, buffer
        self._at, self._filled, self._hashed = at + end, rest, rest
        self._pending = _WRITERS.submit(self._store, buffer, at, filled, hashed, end)

    async def settle(self) -> None:
        """Wait for the buffer being written; its error, if it had one."""
        pending = self._pending
        if pending is None:
            return
        try:
            await asyncio.wrap_future(pending)
        finally:
            if pending.done():  # (not when this request was cancelled while it was written)
                self._pending = None

    async def cut(self, size: int) -> None:
        """Settle, then cut the file back to ``size`` bytes (what follows is written again)."""
        await self.settle()
        self._filled = self._hashed = 0
        os.ftruncate(self._fd, size)
        self._at = self._flushed = size

    async def close(self) -> None:
        """Hash and write what is still in the buffer, then let the file go."""
        try:
            if self._filled:
                await self._hand_over(last=True)
            await self.settle()
        finally:
            # A buffer a cancelled request left being written lets go of the file once written
            # (its callback runs on the writing thread, or here at once when it is done).
            pending = self._pending
            if pending is None:
                self._release()
            else:
                pending.add_done_callback(lambda _done: self._release())

    def _release(self) -> None:
        if self._released:
            return
        self._released = True
        os.close(self._fd)
        if self._direct is not None:
            os.close(self._direct)
        self._fill.release()
        self._spare.release()
        for buffer in self._buffers:
            _STAGING.give(buffer)

    def _store(self, buffer: memoryview, at: int, filled: int, hashed: int, end: int) -> None:
        """Hash ``buffer[hashed:filled]`` (the bytes before were hashed already) on another
        thread while writing ``buffer[:end]`` at file offset ``at``."""
        hashing = _HASHERS.submit(self._hasher.update, buffer[hashed:filled])
        try:
            self._write(buffer[:end], at)
        finally:
            hashing.result()

    def _write(self, view: memoryview, at: int) -> None:
        if self._direct is None:
            _pwrite_all(self._fd, view, at)
            end = at + len(view)
            if end - self._flushed >= WRITEBACK_EVERY:
                _start_writeback(self._fd, self._flushed, end - self._flushed)
                self._flushed = end
            return
        # Before the first whole block and after the last, through the page cache.
        head = min(len(view), -at % ALIGN)
        tail = head + (len(view) - head) // ALIGN * ALIGN
        _pwrite_all(self._fd, view[:head], at)
        try:
            _pwrite_all(self._direct, view[head:tail], at + head)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            # Refused after all (a file system that opens O_DIRECT but cannot do it here):
            # the page cache from now on.
            os.close(self._direct)
            self._direct = None
            _pwrite_all(self._fd, view[head:tail], at + head)
        _pwrite_all(self._fd, view[tail:], at + tail)


def _whole_blocks_end(at: int, filled: int) -> int:
    """Of ``filled`` bytes that go at file offset ``at``, how many reach the last whole block."""
    return max(0, filled - (at + filled) % ALIGN)


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    while view:
        n = os.pwrite(fd, view, offset)
        offset += n
        view = view[n:]


def _open_direct(fd: int) -> int | None:
    """A second descriptor of the file open as ``fd``, writing with ``O_DIRECT``, or None
    where the system has no such thing or the file system refuses it (tmpfs, some network
    file systems): everything then goes through the page cache."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        return os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | flag)
    except OSError:
        return None


class _Buffers:
    """Page-aligned staging buffers (anonymous mappings), kept for the next upload: fresh ones
    cost a page fault per page as they are first filled, which the service's machine made
    dear, and ``O_DIRECT`` needs the alignment."""

    def __init__(self, size: int, keep: int) -> None:
        self._size = size
        self._keep = keep
        self._free: list[mmap.mmap] = []
        self._lock = threading.Lock()

    def take(self) -> mmap.mmap:
        with self._lock:
            if self._free:
                return self._free.pop()
        return mmap.mmap(-1, self._size)

    def give(self, buffer: mmap.mmap) -> None:
        with self._lock:
            if len(self._free) < self._keep:
                self._free.append(buffer)
                return
        with contextlib.suppress(BufferError):  # a view still held: unmapped once collected
            buffer.close()


ALIGN = 4096  # O_DIRECT: offsets, lengths and memory in whole blocks of this (or a divisor)
_STAGING = _Buffers(STAGE, keep=4)  # two uploads at once (CentralClient.push_blobs)
# Threads that hash a batch while a writer thread writes it.
_HASHERS = ThreadPoolExecutor(thread_name_prefix="blob-hasher")


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range just written to disk now, without waiting.

    Without it the final fsync started the whole file's writeback itself, after the last byte
    arrived, and the answer waited for all of it. Advice only (Linux; elsewhere the fsync does it
    all): durability still comes from the fsync. ``DONTNEED`` also drops pages already clean,
    which nothing here reads again.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _over_quota(offset: int | None = None) -> UploadProblem:
    return UploadProblem(
        413,
        "This upload would take your stored and unfinished uploads past your quota; "
        "ask the service's administrator for more room.",
        offset,
    )


def _hash_prefix(f: BinaryIO, size: int, hasher: hashlib._Hash) -> None:
    f.seek(0)
    left = size
    while left:
        data = f.read(min(CHUNK, left))
        if not data:
            raise UploadProblem(409, "The partial upload is shorter than it was.", 0)
        hasher.update(data)
        left -= len(data)


def _files_under(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            yield Path(dirpath) / name


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _remove_unlocked(path: Path, cutoff: float) -> bool:
    """Remove ``path`` unless an upload holds it (or wrote to it since we looked)."""
    try:
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return False
    with f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        if not _same_file(f, path) or os.fstat(f.fileno()).st_mtime >= cutoff:
            return False
        path.unlink(missing_ok=True)
        return True
