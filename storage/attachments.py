"""Attachments stored by content: each file once, named by its SHA-256, however many records use it.

``BlobStore(root, key)`` keeps ``<root>/<sha[:2]>/<sha>``, every file sealed with the visit's key
(AES-256-GCM in chunks: :mod:`storage.blob_crypto`) and named by the SHA-256 of its *plaintext*,
hashed in the same pass as it is sealed; nothing under ``root`` is readable without the key.
Every write goes to a temporary file in the store, is flushed to disk (fsync) and then renamed
into place, so a blob that exists is whole. Bulk imports seal into a batch of temporary files
(``incoming()``) placed together once everything was checked. Photos are re-encoded before they
are stored (``reencode_photo``): turned upright, stripped of every piece of metadata (EXIF with GPS
position, XMP, comments, colour profile after conversion to sRGB) and capped in size.

A write killed before its rename leaves its ``.incoming-*`` temporary file behind (sealed, like
everything here); the store's first write after it is made removes those untouched for
``STALE_INCOMING_SECONDS``. A store an older version wrote in the clear is sealed in place by
``seal_plain``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from storage.files import fsync_dir, fsync_file, write_atomic

if TYPE_CHECKING:
    from hashlib import _Hash

    from PIL import Image

    from storage import blob_crypto

log = logging.getLogger(__name__)
#: ``progress(done, total, what)``: the shape of ``sync.progress.Progress`` (storage imports
#: nothing of ours).
Progress = Callable[[int, int, str], None]
CHUNK = 1024 * 1024
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
INCOMING_PREFIX = ".incoming-"
#: A temporary file untouched this long belongs to a write that was killed. Not removed sooner:
#: another process (the command line beside the window) may be writing it right now.
STALE_INCOMING_SECONDS = 300.0


class NotAnImage(ValueError):
    """The bytes given as a photo are not an image Reviewer App can read."""


class BlobMismatch(ValueError):
    """A file's content does not match the hash or size it was announced with."""


def new_sha256(data: bytes = b"") -> _Hash:
    """A SHA-256 hash object. hashlib is imported on first use: it starts OpenSSL, 2 ms that
    opening a visit does not need (the store hashes only what is added or checked)."""
    import hashlib  # noqa: PLC0415 (see above)

    return hashlib.sha256(data)


def sha256_file(path: Path) -> tuple[str, int]:
    """``(sha256 hex, size)`` of a file, read in chunks."""
    digest = new_sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class BlobStore:
    """Content-addressed files under ``root``, each sealed with the visit's ``key``
    (:mod:`storage.blob_crypto`). Safe to share between threads and processes: writes are
    atomic renames of complete, fsynced files, and equal content has one name.

    Callers never read :meth:`path` themselves (it is the sealed file): :meth:`open`,
    :meth:`read_bytes`, :meth:`copy_to` give the plaintext, checked chunk by chunk as it is
    read; a changed file raises ``BlobDamaged``, another key's ``WrongBlobKey``, each with a
    sentence."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = Path(root)
        self._key = key  # the visit's: every blob is sealed with it (storage.blob_crypto)
        self._swept = False  # stale temporary files removed (on this store's first write)

    def path(self, sha256: str) -> Path:
        """Where the sealed blob ``sha256`` lives (whether or not it is there): for
        :meth:`has` and housekeeping only."""
        if not SHA256_PATTERN.match(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    # -- reading ---------------------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        """The blob's plaintext as a seekable binary file; ``FileNotFoundError`` names the
        missing hash."""
        from storage import blob_crypto  # noqa: PLC0415 (kept off the window's start)

        path = self.path(sha256)
        try:
            return blob_crypto.open_decrypted(path, self._key)
        except FileNotFoundError:
            raise FileNotFoundError(f"attachment {sha256} is not in {self.root}") from None

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def size(self, sha256: str) -> int:
        """The size of the blob's plaintext (the sealed file is bigger)."""
        with self.open(sha256) as f:
            return f.seek(0, io.SEEK_END)

    def copy_to(self, sha256: str, dst: Path | BinaryIO) -> None:
        """Write the blob's plaintext to ``dst``: a path is written whole (mode 0600) or not
        at all; an open file is written from where it stands."""
        with self.open(sha256) as src:
            if isinstance(dst, Path | str):
                write_atomic(Path(dst), lambda out: shutil.copyfileobj(src, out, CHUNK), mode=0o600)
            else:
                shutil.copyfileobj(src, dst, CHUNK)

    @contextlib.contextmanager
    def decrypted_copy(self, sha256: str, suffix: str = "") -> Iterator[Path]:
        """A plaintext copy of the blob in a private (0700) temporary folder, removed on
        leaving the block: only for libraries that want a file name, not a file."""
        with tempfile.TemporaryDirectory(prefix="rv-blob-") as folder:  # made 0700
            target = Path(folder) / f"{sha256[:16]}{suffix}"
            self.copy_to(sha256, target)
            yield target

    # -- writing ---------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256."""
        from storage import blob_crypto  # noqa: PLC0415 (as in open)

        sha = new_sha256(data).hexdigest()
        if not self.has(sha):
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(
                final,
                lambda out: blob_crypto.seal_stream(io.BytesIO(data), out, self._key),
                temp=self._temp(),
                mode=0o600,
            )
        return sha

    def put_file(self, source: Path) -> str:
        """Store a copy of the file ``source`` (hashed while it is sealed); return its SHA-256."""
        with open(source, "rb") as f:
            return self.put_stream(f)

    def put_stream(
        self,
        source: BinaryIO,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        what: str = "the file",
    ) -> str:
        """Store what ``source`` yields, sealed while it is read; return its SHA-256. Given
        an expected hash or size, content that differs raises ``BlobMismatch`` (``what``
        names it) and nothing is stored; never more than ``expected_size`` + 1 bytes are read."""
        tmp, sha = self._seal_to_temp(source, expected_sha256, expected_size, what)
        try:
            if self.has(sha):
                tmp.unlink()
            else:
                fsync_file(tmp)
                self._place(tmp, sha)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return sha

    def put_verified(
        self, source: Path, expected_sha256: str, expected_size: int, *, move: bool = False
    ) -> str:
        """Store a file whose hash and size are already known (from a manifest), checking both.

        With ``move=True`` the plaintext ``source`` is removed once it is stored. A file whose
        size or hash differs raises ``BlobMismatch``, nothing is stored and ``source`` stays.
        """
        self.path(expected_sha256)  # validates the hash's format
        actual_size = os.path.getsize(source)
        if actual_size != expected_size:
            raise BlobMismatch(
                f"{source.name} is {actual_size} bytes, but {expected_size} were expected"
            )
        if not self.has(expected_sha256):
            with open(source, "rb") as f:
                self.put_stream(
                    f, expected_sha256=expected_sha256, expected_size=expected_size,
                    what=source.name,
                )  # fmt: skip
        if move:
            source.unlink(missing_ok=True)
        return expected_sha256

    def incoming(self) -> IncomingBlobs:
        """A batch of blobs sealed into this store's temporary files, put in place together
        (:meth:`IncomingBlobs.place`) or not at all (:meth:`IncomingBlobs.discard`)."""
        return IncomingBlobs(self)

    def adopt(self, files: Sequence[tuple[Path, str, int]]) -> int:
        """Seal plaintext files whose hash and size are known into the store; return how many
        were new. Every source is removed (it is plaintext), stored or already there.

        Each ``(path, sha256, size)`` is sealed into a temporary file of the store (its hash
        and size checked in the same read: a mismatch raises ``BlobMismatch`` and nothing of
        the batch is stored), then all are flushed to disk together and renamed into place.
        """
        with self.incoming() as batch:
            for source, sha, size in files:
                actual = os.path.getsize(source)
                if actual != size:
                    raise BlobMismatch(f"{source.name} is {actual} bytes, but {size} were expected")
                if not self.has(sha) and sha not in batch:
                    with open(source, "rb") as f:
                        batch.put_stream(
                            f, expected_sha256=sha, expected_size=size, what=source.name
                        )
            placed = batch.place()
        for source, _sha, _size in files:
            source.unlink(missing_ok=True)
        return placed

    def place_sealed(self, files: Mapping[str, Path]) -> int:
        """Rename sealed files a batch handed over (:meth:`IncomingBlobs.hand_over`, flushed
        to disk already, perhaps by another process) into place; return how many were new.
        A file that is not sealed with this store's key is refused (``BlobMismatch``) before
        any is placed; one whose blob is already here is removed."""
        from storage import blob_crypto  # noqa: PLC0415 (as in open)

        for sha, tmp in files.items():
            self.path(sha)  # validates the hash's format
            if tmp.parent != self.root or not tmp.name.startswith(INCOMING_PREFIX):
                raise BlobMismatch(f"{tmp} is not one of the temporary files of {self.root}")
            if not blob_crypto.is_sealed_with(tmp, self._key):
                raise BlobMismatch(f"{tmp.name} is not sealed with this visit's key")
        folders: set[Path] = set()
        placed = 0
        for sha, tmp in files.items():
            final = self.path(sha)
            if final.exists():
                tmp.unlink(missing_ok=True)
                continue
            if final.parent not in folders:
                final.parent.mkdir(parents=True, exist_ok=True)
                folders.add(final.parent)
            os.replace(tmp, final)
            placed += 1
        if placed:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(fsync_dir, [*sorted(folders), self.root]))
        return placed

    def add_photo(self, data: bytes, max_side: int = 2560, quality: int = 85) -> str:
        """Re-encode a photo (``reencode_photo``) and store the result; return its SHA-256."""
        return self.put_bytes(reencode_photo(data, max_side=max_side, quality=quality))

    # -- an old plain store ----------------------------------------------------------------

    def seal_plain(self, progress: Progress | None = None) -> int:
        """Seal, in place, the blobs an older version stored in the clear; return how many.

        A blob is plain when the SHA-256 of the file is its name (a file that merely starts
        like a sealed one is not taken for one: only a header made with this store's key
        is). Each is sealed into a temporary file of the store, flushed, and renamed over
        the plain one, so a kill at any moment leaves each blob whole, plain or sealed, and
        the next call finishes the job. A file that is neither (damaged) is left as it is.
        ``progress(done, total, "Encrypting attachments")`` is called once per blob.
        """
        from storage import blob_crypto  # noqa: PLC0415 (as in open)

        blobs = sorted(self._blob_files())
        sealed = 0
        for done, path in enumerate(blobs, start=1):
            if not blob_crypto.is_sealed_with(path, self._key) and self._seal_in_place(path):
                sealed += 1
            if progress is not None:
                progress(done, len(blobs), "Encrypting attachments")
        if sealed:
            fsync_dir(self.root)
        return sealed

    def _blob_files(self) -> Iterator[Path]:
        with contextlib.suppress(OSError):  # no store yet: nothing to seal
            for folder in self.root.iterdir():
                if len(folder.name) == 2 and folder.is_dir():
                    for entry in folder.iterdir():
                        if SHA256_PATTERN.match(entry.name) and entry.name[:2] == folder.name:
                            yield entry

    def _seal_in_place(self, path: Path) -> bool:
        """Seal the plain blob at ``path`` over itself; False if it is not plain (damaged)."""
        try:
            with open(path, "rb") as f:
                tmp, _sha = self._seal_to_temp(f, path.name, None, path.name)
        except BlobMismatch:
            log.warning("blob %s is neither sealed with this key nor plain: left as it is", path)
            return False
        try:
            fsync_file(tmp)
            os.replace(tmp, path)
            fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True

    # -- the parts -------------------------------------------------------------------------

    def _seal_to_temp(
        self,
        source: BinaryIO,
        expected_sha256: str | None,
        expected_size: int | None,
        what: str,
    ) -> tuple[Path, str]:
        """``source`` sealed into a new temporary file of the store (not yet flushed), and
        its plaintext's SHA-256; ``BlobMismatch`` (the file removed) when it is not what was
        expected."""
        if expected_sha256 is not None:
            self.path(expected_sha256)  # validates the hash's format
        limit = None if expected_size is None else expected_size + 1
        tmp, sealed = self._seal(source, limit)
        try:
            if expected_size is not None and sealed.size != expected_size:
                more = "more" if sealed.size > expected_size else "fewer"
                raise BlobMismatch(
                    f"{what} holds {more} than the {expected_size:,} bytes it was announced with"
                )
            if expected_sha256 is not None:
                self._check(what, sealed.sha256, expected_sha256)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, sealed.sha256

    def _seal(self, source: BinaryIO, limit: int | None) -> tuple[Path, blob_crypto.Sealed]:
        """At most ``limit`` bytes of ``source`` sealed into a new temporary file of the
        store (not yet flushed to disk)."""
        tmp, fd, sealed = self._seal_open(source, limit)
        os.close(fd)
        return tmp, sealed

    def _seal_open(
        self, source: BinaryIO, limit: int | None
    ) -> tuple[Path, int, blob_crypto.Sealed]:
        """As :meth:`_seal`, the temporary file's descriptor left open (for its flush)."""
        from storage import blob_crypto  # noqa: PLC0415 (as in open)

        reader = source if limit is None else _AtMost.of(source, limit)
        tmp, fd = self._new_temp()
        try:
            with open(fd, "wb", buffering=0, closefd=False) as out:  # one write a chunk
                return tmp, fd, blob_crypto.seal_stream(reader, out, self._key)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    def _check(what: str, actual: str, expected: str) -> None:
        if actual != expected:
            raise BlobMismatch(
                f"{what} does not match its recorded SHA-256 "
                f"(expected {expected[:12]}..., found {actual[:12]}...): the file is damaged"
            )

    def remove_stale_incoming(self, older_than: float | None = None) -> int:
        """Remove temporary files of killed writes untouched for ``older_than`` seconds (default
        ``STALE_INCOMING_SECONDS``, read at the call); return how many. The change time counts
        too: a file just renamed keeps its source's old modification time."""
        limit = STALE_INCOMING_SECONDS if older_than is None else older_than
        removed = 0
        now = time.time()
        with contextlib.suppress(OSError):  # no store yet, or it cannot be listed: nothing to do
            for entry in self.root.glob(f"{INCOMING_PREFIX}*"):
                with contextlib.suppress(OSError):  # gone already, or not ours to remove
                    st = entry.lstat()
                    if now - max(st.st_mtime, st.st_ctime) >= limit:
                        entry.unlink()
                        removed += 1
        return removed

    def _temp(self) -> Path:
        tmp, fd = self._new_temp()
        os.close(fd)
        return tmp

    def _new_temp(self) -> tuple[Path, int]:
        """A new temporary file of the store (mode 0600) and its descriptor, open to write."""
        if not self._swept:
            self._swept = True
            self.root.mkdir(parents=True, exist_ok=True)
            self.remove_stale_incoming()
        try:
            return _create_temp(self.root)
        except FileNotFoundError:  # the store was removed since (an emptied batch's folder)
            self.root.mkdir(parents=True, exist_ok=True)
            return _create_temp(self.root)

    def _place(self, tmp: Path, sha: str) -> None:
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        fsync_dir(final.parent)


_TEMP_FLAGS = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def _create_temp(folder: Path) -> tuple[Path, int]:
    """A new file of ``folder`` (mode 0600), named ``.incoming-`` and 16 random hex digits,
    and its descriptor, open to write: ``tempfile.mkstemp``, without its Python-made names
    (a kit's 200 documents each made one on the thread every import waits for)."""
    while True:
        path = folder / f"{INCOMING_PREFIX}{os.urandom(8).hex()}"
        try:
            return path, os.open(path, _TEMP_FLAGS, 0o600)
        except FileExistsError:  # 1 in 2^64
            continue


class IncomingBlobs:
    """Blobs sealed into a store's ``.incoming-*`` files, not yet in the store (``with``:
    what was not placed is removed on leaving the block).

    For bulk imports (a kit's evidence, a bundle's photos) that are checked whole before
    anything is kept: each blob is sealed as it is read (:meth:`put_stream`, :meth:`seal`)
    and flushed to disk on other threads while the next is read (its writeback started at
    once, then fsync: they wait on the disk, not the CPU), its folder made then too; once
    all passed, :meth:`place` renames them in and flushes their folders;
    :meth:`discard` removes them. Several threads may seal into it at once; placing and
    discarding are for one, once they are done."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self._pending: dict[str, Path] = {}
        self._flushing: dict[Path, Future[None]] = {}
        self._flushes: list[_Flush] = []  # each closes its file's descriptor, once
        self._pool: ThreadPoolExecutor | None = None  # fsync
        self._writeback: ThreadPoolExecutor | None = None  # the writeback started, in order
        self._lock = threading.Lock()  # sealing threads keep their files at once
        self._made: set[Path] = set()  # the blobs' folders made for the batch, ahead of place
        self._made_root: Path | None = None  # the first folder of the store's path made here
        if not store.root.exists():
            self._made_root = store.root
            while not self._made_root.parent.exists():
                self._made_root = self._made_root.parent

    def __contains__(self, sha256: object) -> bool:
        return sha256 in self._pending

    def __len__(self) -> int:
        return len(self._pending)

    def put_stream(
        self,
        source: BinaryIO,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        what: str = "the file",
    ) -> str:
        """As :meth:`BlobStore.put_stream`, into the batch; return the plaintext's SHA-256."""
        tmp, sha = self.store._seal_to_temp(source, expected_sha256, expected_size, what)
        self._keep(sha, tmp)
        return sha

    def seal(self, source: BinaryIO, *, limit: int | None = None) -> blob_crypto.Sealed:
        """Seal at most ``limit`` bytes of ``source`` into the batch, unchecked; return the
        plaintext's SHA-256 and size for the caller to compare with what it expected (a
        reader that refuses then discards the batch)."""
        tmp, fd, sealed = self.store._seal_open(source, limit)
        self._keep(sealed.sha256, tmp, fd)
        return sealed

    def _keep(self, sha: str, tmp: Path, fd: int | None = None) -> None:
        """Keep ``tmp`` for ``sha`` and start flushing it to disk (through ``fd``, its open
        descriptor, which the batch then owns: no second open of the file)."""
        with self._lock:
            previous = self._pending.pop(sha, None)
            if previous is not None:
                self._flushing.pop(previous, None)
                previous.unlink(missing_ok=True)
            self._pending[sha] = tmp
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="blob-flush")
                self._writeback = ThreadPoolExecutor(1, thread_name_prefix="blob-writeback")
            assert self._writeback is not None
            flush = _Flush(tmp, fd, self._writeback, self.store.path(sha).parent, self._made)
            self._flushes.append(flush)
            self._flushing[tmp] = self._pool.submit(flush.run)

    def place(self, only: Iterable[str] | None = None) -> int:
        """Put the batch's blobs (or those of ``only`` it holds) in the store, flushed to
        disk; the rest are removed. Return how many were new."""
        wanted = set(self._pending) if only is None else set(only) & set(self._pending)
        moving = {sha: tmp for sha, tmp in self._pending.items() if sha in wanted}
        moving = {sha: tmp for sha, tmp in moving.items() if not self.store.has(sha)}
        self._made_root = None  # the store is kept, whatever this batch holds
        if moving:
            for tmp in moving.values():
                self._flushing[tmp].result()  # whole on disk before it has its name
            folders: set[Path] = set()
            for sha, tmp in moving.items():
                final = self.store.path(sha)
                if final.parent not in folders:
                    final.parent.mkdir(parents=True, exist_ok=True)  # made ahead, mostly
                    folders.add(final.parent)
                os.replace(tmp, final)
                del self._pending[sha]
            self._made -= folders
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(fsync_dir, [*sorted(folders), self.store.root]))
        self.discard()
        return len(moving)

    def hand_over(self) -> dict[str, Path]:
        """The batch's sealed files, flushed to disk, for another process (or later) to put
        in place with :meth:`BlobStore.place_sealed`: ``{sha256: temporary file}``. The batch
        forgets them (leaving the block no longer removes them)."""
        for future in self._flushing.values():
            future.result()
        handed, self._pending = self._pending, {}
        self._made_root = None
        self.discard()
        return handed

    def discard(self) -> None:
        """Remove what the batch holds; a store folder the batch made is removed too."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._writeback is not None:
            self._writeback.shutdown(wait=True, cancel_futures=True)
            self._writeback = None
        for flush in self._flushes:
            flush.close()  # those cancelled before they ran
        self._flushes.clear()
        self._flushing.clear()
        for tmp in self._pending.values():
            tmp.unlink(missing_ok=True)
        self._pending.clear()
        for folder in self._made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        self._made.clear()
        if self._made_root is not None:
            made, self._made_root = self._made_root, None
            for folder in (self.store.root, *self.store.root.parents):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if empty
                if folder == made:
                    break

    def __enter__(self) -> IncomingBlobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


class _Flush:
    """Flushing one sealed file of a batch to disk, off the thread that seals: its writeback
    started at once (on the batch's writeback thread, in the order files come: the advice
    can wait on the disk's queue, and sealing should not), then fsync (on a flush thread).
    Given the descriptor the file was written through, it uses it and closes it (no second
    open of the file). The blob's folder is made then too (noted in ``made``), so that
    placing the batch only renames."""

    def __init__(  # noqa: PLR0913, PLR0917 (what the two threads need)
        self,
        path: Path,
        fd: int | None,
        writeback: ThreadPoolExecutor,
        folder: Path,
        made: set[Path],
    ) -> None:
        self._path, self._fd = path, fd
        self._folder, self._made = folder, made
        self._lock = threading.Lock()
        self._started = writeback.submit(self._start)

    def _start(self) -> None:
        try:
            os.mkdir(self._folder)
            self._made.add(self._folder)
        except OSError:  # there already; or not, and placing will say why
            pass
        with self._lock:
            if self._fd is None:
                _start_writeback(self._path)
            else:
                _advise_writeback(self._fd)

    def run(self) -> None:
        with contextlib.suppress(CancelledError):  # the batch was discarded
            self._started.result()
        with self._lock:
            if self._fd is None:
                fsync_file(self._path)
                return
            try:
                os.fsync(self._fd)
            finally:
                self._close()

    def close(self) -> None:
        """Close the file's descriptor if no flush did (the batch was discarded)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _start_writeback(path: Path) -> None:
    """:func:`_advise_writeback` of the file at ``path``."""
    with contextlib.suppress(OSError):  # advice only: the fsync still flushes the file
        fd = os.open(path, os.O_RDONLY)
        try:
            _advise_writeback(fd)
        finally:
            os.close(fd)


def _advise_writeback(fd: int) -> None:
    """Ask the kernel to start writing a just-written file to disk now, without waiting: the
    fsync that follows then waits only for what is left. Without it, each fsync starts its
    file's writeback itself and the disk idles between them: 100 MB in 200 files took 0.67 s
    to be written and flushed here, 0.42 s with it. Linux only (elsewhere the fsync does it
    all); ``DONTNEED`` also drops pages already clean, which nothing reads again. Durability
    still comes from the fsync."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):  # advice only
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


class _AtMost:
    """A reader of ``source`` that yields at most ``limit`` bytes (a lying header, a zip bomb
    cost one chunk more than announced, no more)."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source, self._left = source, limit
        self._readinto = getattr(source, "readinto", None)

    @classmethod
    def of(cls, source: BinaryIO, limit: int) -> BinaryIO:
        return cast(BinaryIO, cls(source, limit))  # what seal_stream uses of a file: read(into)

    def readinto(self, buffer: memoryview | bytearray) -> int:
        view = memoryview(buffer)[: self._left]
        if not len(view):
            return 0
        if self._readinto is not None:
            n = int(self._readinto(view))
        else:
            data = self._source.read(len(view))
            n = len(data)
            view[:n] = data
        self._left -= n
        return n

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        data = self._source.read(want) if want else b""
        self._left -= len(data)
        return data


PHOTO_FORMATS = "JPEG, PNG, HEIC, WebP, TIFF, GIF or BMP"

#: The most pixels a photo may be decoded at: 50 megapixels, above the 48 MP of the largest
#: iPhone photos. A JPEG counts at the reduced scale it is decoded at (``Image.draft``), so a
#: phone's 200 MP JPEG is read at a quarter of its size; other formats count in full. The
#: limit is checked on the size the file's header declares, before a single pixel is decoded:
#: a 420 KB PNG of one colour can declare 12000 x 12000 pixels (1.9 GB once decoded).
MAX_PHOTO_PIXELS = 50_000_000

#: Major brands of the ISO base media file that iPhones (and other cameras) write as HEIC/HEIF.
_HEIF_BRANDS = frozenset(
    (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")
)
_heif_registered = False
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


class PhotoTooLarge(NotAnImage):
    """A photo with more pixels than :data:`MAX_PHOTO_PIXELS` (refused before decoding)."""


class PhotoDamaged(NotAnImage):
    """A file that is a photo by its header, but whose pixels cannot all be read."""


def reencode_photo(data: bytes, max_side: int = 2560, quality: int = 85) -> bytes:
    """A clean JPEG of the photo ``data``: upright, without metadata, long side <= ``max_side``.

    EXIF orientation is applied to the pixels; EXIF (including GPS position), XMP, comments and
    the colour profile are dropped (pixels are converted to sRGB first when a profile is present);
    transparency is flattened onto white. Anything that is not a readable image raises
    ``NotAnImage`` with one sentence for the user: ``PhotoTooLarge`` for more pixels than
    :data:`MAX_PHOTO_PIXELS` (judged from the header, before decoding), ``PhotoDamaged`` for a
    photo whose data is cut short or broken.
    """
    # Imported here: opening a workspace should not pay for loading Pillow.
    from PIL import Image, ImageOps  # noqa: PLC0415

    _register_heif_if_needed(data)
    img = _open_photo(data)
    with img:
        _check_pixels(img, max_side)
        try:
            img.load()
            upright = ImageOps.exif_transpose(img)
            rgb = _to_srgb(upright)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise _damaged(exc) from exc
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", rgb.size)  # a fresh image carries no info, exif or profile
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=False)
    return out.getvalue()


def _looks_like_heif(data: bytes) -> bool:
    """Whether ``data`` starts like a HEIC/HEIF file: an ISO ``ftyp`` box with a HEIF brand."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _register_heif_if_needed(data: bytes) -> None:
    """Teach Pillow HEIC (pillow-heif), the first time a HEIC photo is met: importing it costs
    tens of milliseconds and its native library, which no other photo needs."""
    global _heif_registered  # noqa: PLW0603 (register once per process)
    if _heif_registered or not _looks_like_heif(data):
        return
    try:
        import pillow_heif  # noqa: PLC0415
    except ImportError:  # an installation without it: refused below as not a readable photo
        return
    pillow_heif.register_heif_opener()
    _heif_registered = True


def _open_photo(data: bytes) -> Image.Image:
    """The photo opened lazily (its header read, no pixels), or ``NotAnImage``."""
    from PIL import Image  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 megapixels; ours is the lower limit, checked next with
            # the photo's size in the sentence.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # far beyond our limit: Pillow refuses it first
        match = _BOMB_PIXELS.search(str(exc))
        size = f"{int(match.group(1)):,} pixels" if match else "too many pixels to count"
        raise PhotoTooLarge(_too_large(size)) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # UnidentifiedImageError: OSError
        raise NotAnImage(
            f"This file is not a photo Reviewer App can read ({PHOTO_FORMATS}). "
            "Choose a photo, or attach it as a document instead."
        ) from exc


def _check_pixels(img: Image.Image, max_side: int) -> None:
    """Refuse, before decoding, a photo that would decode to more than the limit."""
    width, height = img.size
    with contextlib.suppress(OSError, ValueError):
        img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale, faster
    decoded_width, decoded_height = img.size
    if decoded_width * decoded_height > MAX_PHOTO_PIXELS:
        raise PhotoTooLarge(_too_large(f"{width} x {height} pixels"))


def _too_large(size: str) -> str:
    return (
        f"This photo is too large ({size}); the most is {MAX_PHOTO_PIXELS // 1_000_000} "
        "megapixels: choose a smaller copy of it, or attach it as a document instead."
    )


def _damaged(exc: BaseException) -> PhotoDamaged:
    """The sentence for a photo whose header read but whose pixels did not."""
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text or "end of file" in text:
        return PhotoDamaged("This photo is damaged (the file is cut short): take or copy it again.")
    return PhotoDamaged(
        "This photo is damaged (its data cannot be decoded): take or copy it again."
    )


def _to_srgb(img: Image.Image) -> Image.Image:
    from PIL import Image, ImageCms  # noqa: PLC0415

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        img_rgb = background.convert("RGB")
    else:
        img_rgb = img.convert("RGB")
    icc = img.info.get("icc_profile")
    if icc:
        with contextlib.suppress(Exception):  # a broken profile: keep the pixels as they are
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                img_rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                img_rgb = converted
    return img_rgb
