"""Attachments, thumbnails and backups sealed with AES-256-GCM under the visit key, in chunks,
so that a file of hundreds of MB is encrypted and read with a few MB of memory.

A sealed file is a 32-byte header, then the plaintext in chunks of ``chunk_size`` bytes (the
last one shorter, perhaps empty), each followed by its 16-byte GCM tag::

    header  "RVBLOB" | version 1 | 0 | chunk size (u32, big-endian) | nonce prefix (8 random
            bytes) | key check (8) | 0 0 0 0
    chunk i AES-256-GCM(key, nonce = prefix | i (u32), plaintext[i], aad = header | i (u64)
            | final (1 byte: 1 for the last chunk, else 0))

The chunk's index is in its nonce and its associated data, and so is whether it is the last:
chunks cannot be swapped, dropped, repeated or cut off at a chunk boundary without the reader
noticing (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizar). The header is in
every chunk's associated data, so its chunk size cannot be changed either. The key check
(HMAC-SHA256 of the nonce prefix, first 8 bytes) tells a wrong key (``WrongBlobKey``) from a
damaged file (``BlobDamaged``); it says nothing a GCM tag does not already say about the key.

A blob keeps its name, the SHA-256 of its *plaintext*, so merging and deduplication are as
before: ``seal_stream`` hashes the plaintext in the same pass as it encrypts (one read of the
source). Nonce prefixes are random per file: two files sealed under one visit key share a
nonce only by a 64-bit collision (after ~4 billion files, 1 in 2^33).

``encrypt_file(src, dst, key)``, ``decrypt_to(dst, src, key)``, ``open_decrypted(path, key)``
(a seekable binary reader), ``encrypt_bytes``/``decrypt_bytes`` for small things (thumbnails),
``is_sealed_with(path, key)`` (a header made with this key: what an old plain store is told by).
Imports nothing of ours but ``storage.files``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from storage.files import write_atomic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
MAGIC = b"RVBLOB"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
TAG_BYTES = 16
_HEADER = struct.Struct(">6sBBI8s8s4x")
HEADER_BYTES = _HEADER.size  # 32
_MAX_CHUNKS = 2**32  # the counter in the nonce
_MAX_CHUNK_SIZE = 64 * 1024 * 1024  # a header asking for more is damaged, not obeyed
_KEY_CHECK_LABEL = b"reviewer-app blob key check v1"
_CACHED_CHUNKS = 3  # decrypted chunks a reader keeps


class BlobCryptoError(Exception):
    """A sealed file cannot be read; the message says why in a sentence."""


class BlobDamaged(BlobCryptoError):
    """The file was changed, cut short or is not a sealed file at all."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"The encrypted file {what} is damaged ({detail}); it cannot be read.")
        self.what, self.detail = what, detail


class WrongBlobKey(BlobCryptoError):
    """The file was sealed with another key (another visit's, or a key that was replaced)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The encrypted file {what} was not encrypted with this visit's key; it cannot be read."
        )
        self.what = what


@dataclass(frozen=True, slots=True)
class Sealed:
    """What sealing or opening a file found out about its plaintext."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class _Header:
    raw: bytes
    chunk_size: int
    prefix: bytes


def _aead(key: bytes) -> AESGCM:
    """The cipher for ``key``. cryptography is imported at the first blob sealed or opened,
    not with this module: it is 20 ms of the window's start, which needs no blob before its
    first paint."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 (see above)

    return AESGCM(key)


def _into(aead: AESGCM) -> bool:
    """Whether ``aead`` encrypts and decrypts into a given buffer (cryptography >= 45)."""
    return hasattr(aead, "encrypt_into")


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"an encryption key is {KEY_BYTES} bytes, not {len(key)}")


def _key_check(key: bytes, prefix: bytes) -> bytes:
    return hmac.new(key, _KEY_CHECK_LABEL + prefix, hashlib.sha256).digest()[:8]


def _new_header(key: bytes, chunk_size: int) -> _Header:
    if not 0 < chunk_size <= _MAX_CHUNK_SIZE:
        raise ValueError(f"a chunk is 1 byte to {_MAX_CHUNK_SIZE} bytes, not {chunk_size}")
    prefix = os.urandom(8)
    raw = _HEADER.pack(MAGIC, VERSION, 0, chunk_size, prefix, _key_check(key, prefix))
    return _Header(raw, chunk_size, prefix)


def _read_header(raw: bytes, key: bytes, what: str) -> _Header:
    if len(raw) < HEADER_BYTES:
        raise BlobDamaged(what, "it is shorter than its header")
    magic, version, flags, chunk_size, prefix, check = _HEADER.unpack(raw[:HEADER_BYTES])
    if magic != MAGIC:
        raise BlobDamaged(what, "it is not an encrypted file of Reviewer App")
    if version != VERSION or flags != 0:
        raise BlobDamaged(what, f"it was written in format {version}, which this app cannot read")
    if not 0 < chunk_size <= _MAX_CHUNK_SIZE:
        raise BlobDamaged(what, "its header is damaged")
    if not hmac.compare_digest(check, _key_check(key, prefix)):
        raise WrongBlobKey(what)
    return _Header(raw[:HEADER_BYTES], chunk_size, prefix)


def _nonce(header: _Header, index: int) -> bytes:
    if index >= _MAX_CHUNKS:
        raise ValueError("a file of more than 2^32 chunks cannot be sealed")
    return header.prefix + struct.pack(">I", index)


def _aad(header: _Header, index: int, final: bool) -> bytes:
    return header.raw + struct.pack(">QB", index, 1 if final else 0)


def seal_stream(
    source: BinaryIO, out: BinaryIO, key: bytes, *, chunk_size: int = CHUNK_SIZE
) -> Sealed:
    """Encrypt everything ``source`` yields into ``out``; return the plaintext's SHA-256 and
    size, hashed in the same pass. Memory: three buffers of a chunk, reused (a fresh 1 MB
    object per chunk costs more in page faults than the encryption itself). One write a chunk,
    the header with the first (``out`` may be an unbuffered file: a kit's 200 small files
    cost 200 write calls fewer)."""
    _check_key(key)
    header = _new_header(key, chunk_size)
    aead = _aead(key)
    encrypt_into = _into(aead)
    digest = hashlib.sha256()
    buffers, sealed = _seal_buffers(chunk_size)
    sealed[:HEADER_BYTES] = header.raw
    start = 0  # where the bytes to write begin in ``sealed``: the header's, for the first chunk
    size, index, current = 0, 0, 0
    n = _fill(source, buffers[0])
    while True:
        following = _fill(source, buffers[1 - current]) if n == chunk_size else 0
        final = following == 0
        chunk = memoryview(buffers[current])[:n]
        digest.update(chunk)
        size += n
        nonce, aad = _nonce(header, index), _aad(header, index, final)
        end = HEADER_BYTES + n + TAG_BYTES
        if encrypt_into:
            aead.encrypt_into(nonce, chunk, aad, sealed[HEADER_BYTES:end])
        else:  # cryptography < 45
            sealed[HEADER_BYTES:end] = aead.encrypt(nonce, bytes(chunk), aad)
        _write_all(out, sealed[start:end])
        if final:
            return Sealed(digest.hexdigest(), size)
        n, index, current, start = following, index + 1, 1 - current, HEADER_BYTES


def _write_all(out: BinaryIO, data: memoryview) -> None:
    """Write all of ``data`` (an unbuffered file may take less than it is given)."""
    while data:
        n = out.write(data)
        if n is None:  # a non-blocking file that would block: not one of ours
            raise BlockingIOError("the file took nothing")
        data = data[n:]


_per_thread = threading.local()


def _seal_buffers(chunk_size: int) -> tuple[tuple[bytearray, bytearray], memoryview]:
    """This thread's chunk buffers for sealing, made once: two for the plaintext, one for
    the header and a sealed chunk (a kit of 200 small files would otherwise zero 600 MB of
    fresh buffers, more time than their encryption)."""
    kept = getattr(_per_thread, "buffers", None)
    if kept is None or len(kept[0][0]) != chunk_size:
        kept = (
            (bytearray(chunk_size), bytearray(chunk_size)),
            memoryview(bytearray(HEADER_BYTES + chunk_size + TAG_BYTES)),
        )
        _per_thread.buffers = kept
    return kept


def _fill(source: BinaryIO, buffer: bytearray | memoryview) -> int:
    """Fill ``buffer`` from ``source`` (less only at its end); return how much was read."""
    view, got = memoryview(buffer), 0
    readinto = getattr(source, "readinto", None)
    while got < len(buffer):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            data = source.read(len(buffer) - got)
            n = len(data)
            view[got : got + n] = data
        if not n:
            break
        got += n
    return got


def encrypt_file(
    src: Path | BinaryIO, dst: Path | BinaryIO, key: bytes, *, chunk_size: int = CHUNK_SIZE
) -> Sealed:
    """Seal ``src`` (a path or an open binary file) into ``dst``; return the plaintext's
    SHA-256 and size. A path ``dst`` is written whole or not at all (a temporary file, flushed,
    renamed); an open one is written from where it stands and left open."""
    if isinstance(src, Path | str):
        with open(src, "rb") as f:
            return encrypt_file(f, dst, key, chunk_size=chunk_size)
    if not isinstance(dst, Path | str):
        return seal_stream(src, dst, key, chunk_size=chunk_size)
    sealed: list[Sealed] = []
    write_atomic(
        Path(dst),
        lambda out: sealed.append(seal_stream(src, out, key, chunk_size=chunk_size)),
        mode=0o600,
    )
    return sealed[0]


def encrypt_bytes(data: bytes, key: bytes, *, chunk_size: int = CHUNK_SIZE) -> bytes:
    """``data`` sealed (for small things: a thumbnail, a key file)."""
    out = io.BytesIO()
    seal_stream(io.BytesIO(data), out, key, chunk_size=chunk_size)
    return out.getvalue()


def decrypt_bytes(sealed: bytes, key: bytes, *, what: str = "given") -> bytes:
    """The plaintext of ``sealed``; ``BlobDamaged`` or ``WrongBlobKey`` when it cannot be read."""
    reader = _DecryptingReader(io.BytesIO(sealed), key, what, len(sealed))
    with io.BufferedReader(reader) as f:
        return f.read()


def decrypt_to(dst: Path | BinaryIO, src: Path, key: bytes) -> Sealed:
    """Write the plaintext of the sealed file ``src`` to ``dst`` (a path, written whole or not
    at all, or an open binary file); return its SHA-256 and size. Nothing is written to a path
    ``dst`` unless every chunk was authentic; an open one may have received the chunks before
    the one that failed (check the result's hash before trusting it, as a blob's name allows)."""
    if isinstance(dst, Path | str):
        sealed: list[Sealed] = []
        write_atomic(Path(dst), lambda out: sealed.append(decrypt_to(out, src, key)), mode=0o600)
        return sealed[0]
    digest = hashlib.sha256()
    size = 0
    with open_decrypted(src, key) as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return Sealed(digest.hexdigest(), size)


def open_decrypted(path: Path, key: bytes) -> BinaryIO:
    """The plaintext of the sealed file at ``path`` as a seekable binary file (for callers that
    stream: a PDF reader, an upload, an image decoder). Each chunk is checked as it is read;
    ``BlobDamaged``/``WrongBlobKey`` are raised on open (header, key, length) or on the read
    that meets a changed chunk."""
    path = Path(path)
    raw = open(path, "rb")  # noqa: SIM115 (owned by the reader, closed with it)
    try:
        reader = _DecryptingReader(raw, key, str(path), os.fstat(raw.fileno()).st_size)
    except BaseException:
        raw.close()
        raise
    return cast(BinaryIO, io.BufferedReader(reader, buffer_size=reader.chunk_size))


def plaintext_size(sealed_size: int, chunk_size: int = CHUNK_SIZE) -> int | None:
    """The plaintext size a sealed file of ``sealed_size`` bytes holds, or None when no
    plaintext gives that size (the file was cut short)."""
    body = sealed_size - HEADER_BYTES
    step = chunk_size + TAG_BYTES
    if body < TAG_BYTES:
        return None
    chunks = -(-body // step)
    last = body - (chunks - 1) * step
    if last < TAG_BYTES:
        return None
    return body - chunks * TAG_BYTES


def is_sealed(path: Path) -> bool:
    """Whether the file starts as a sealed file does. A plain file could start so too: a plain
    blob is one whose SHA-256 is its name."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except FileNotFoundError:
        return False


class SealingWriter(io.RawIOBase):
    """A file to write plaintext to, sealed into ``out`` as it comes (for writers that push:
    a zip being written). Closing it seals the last chunk; :attr:`sealed` then gives the
    plaintext's SHA-256 and size. Not seekable. A full chunk is held until more arrives (it
    is sealed as the last one if nothing does)."""

    def __init__(
        self, out: BinaryIO, key: bytes, *, chunk_size: int = CHUNK_SIZE, hashed: bool = True
    ) -> None:
        super().__init__()
        _check_key(key)
        self._out, self._header = out, _new_header(key, chunk_size)
        self._aead = _aead(key)
        self._digest = hashlib.sha256() if hashed else None  # (not hashed: sealed.sha256 "")
        self._pending = bytearray()
        self._index = self._size = 0
        self._sealed: Sealed | None = None
        out.write(self._header.raw)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        self._pending += view
        if self._digest is not None:
            self._digest.update(view)
        self._size += len(view)
        step = self._header.chunk_size
        if len(self._pending) > step:  # only chunks known not to be the last
            done = 0
            while len(self._pending) - done > step:
                self._seal(memoryview(self._pending)[done : done + step], final=False)
                done += step
            del self._pending[:done]
        return len(view)

    def _seal(self, chunk: memoryview, *, final: bool) -> None:
        nonce = _nonce(self._header, self._index)
        self._out.write(
            self._aead.encrypt(nonce, bytes(chunk), _aad(self._header, self._index, final))
        )
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(memoryview(self._pending), final=True)
            self._pending = bytearray()
            digest = "" if self._digest is None else self._digest.hexdigest()
            self._sealed = Sealed(digest, self._size)
        super().close()

    @property
    def sealed(self) -> Sealed:
        """The plaintext's SHA-256 and size (once closed)."""
        if self._sealed is None:
            raise ValueError("the sealing writer is still open")
        return self._sealed


def is_sealed_with(path: Path, key: bytes) -> bool:
    """Whether the file at ``path`` starts with a sealed file's header made with ``key``: the
    magic and the key check (an HMAC under ``key``), which a plain file cannot carry by chance
    or by design without the key. Its chunks are not read."""
    try:
        with open(path, "rb") as f:
            _read_header(f.read(HEADER_BYTES), key, str(path))
    except (BlobCryptoError, FileNotFoundError):
        return False
    return True


class _DecryptingReader(io.RawIOBase):
    """A sealed file read as its plaintext, one chunk decrypted at a time."""

    def __init__(self, raw: BinaryIO, key: bytes, what: str, sealed_size: int) -> None:
        super().__init__()
        _check_key(key)
        self._raw, self._what = raw, what
        self._header = _read_header(raw.read(HEADER_BYTES), key, what)
        self.chunk_size = self._header.chunk_size
        size = plaintext_size(sealed_size, self.chunk_size)
        if size is None:
            raise BlobDamaged(what, "it was cut short")
        self._size = size
        self._chunks = max(1, -(-size // self.chunk_size))  # an empty file: one empty chunk
        self._aead = _aead(key)
        self._decrypt_into = _into(self._aead)
        self._pos = 0
        # A few chunks kept decrypted, in buffers reused from chunk to chunk (see seal_stream),
        # no bigger than the file (a report reads hundreds of small photos): a zip reader
        # reads two entries in turn (a bundle's ops and their seal references), and one chunk
        # kept would be decrypted again at every turn.
        self._largest = min(self.chunk_size, size)
        self._sealed = memoryview(bytearray(self._largest + TAG_BYTES))
        self._cache: dict[int, tuple[memoryview, int]] = {}  # oldest first

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            if self._size == 0:
                self._chunk(0)  # an empty file is one empty final chunk: check it all the same
            return 0
        index, offset = divmod(self._pos, self.chunk_size)
        plain = self._chunk(index)
        n = min(len(buffer), len(plain) - offset)
        buffer[:n] = plain[offset : offset + n]
        self._pos += n
        return n

    def _chunk(self, index: int) -> memoryview:
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415 (imported by _aead)

        kept = self._cache.pop(index, None)
        if kept is not None:
            self._cache[index] = kept  # the most recent now
            return kept[0][: kept[1]]
        if len(self._cache) < _CACHED_CHUNKS:
            buffer = memoryview(bytearray(self._largest))
        else:  # the oldest chunk's buffer takes this one
            buffer, _ = self._cache.pop(next(iter(self._cache)))
        final = index == self._chunks - 1
        self._raw.seek(HEADER_BYTES + index * (self.chunk_size + TAG_BYTES))
        got = _fill(self._raw, self._sealed)
        nonce, aad = _nonce(self._header, index), _aad(self._header, index, final)
        try:
            if self._decrypt_into and got >= TAG_BYTES:
                size = got - TAG_BYTES
                self._aead.decrypt_into(nonce, self._sealed[:got], aad, buffer[:size])
            else:  # cryptography < 45, or a chunk too short to hold its tag
                plain = self._aead.decrypt(nonce, bytes(self._sealed[:got]), aad)
                size = len(plain)
                buffer[:size] = plain
        except InvalidTag:
            detail = (
                "its end is missing or was changed" if final else f"part {index + 1} was changed"
            )
            raise BlobDamaged(self._what, detail) from None
        self._cache[index] = (buffer, size)
        return buffer[:size]

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
