"""A team bundle's content, encrypted: AES-256-GCM in chunks, keyed from the team key.

DESIGN.md "Team bundle": a lost stick shows nothing but the visit id. The content (a zip of the
manifest, operations, seals and photos) is encrypted in chunks of ``CHUNK`` bytes, each sealed
with AES-256-GCM (the STREAM construction): the nonce is the chunk's number and whether it is the
last, so a chunk moved, dropped or added, or a stream cut short, fails to decrypt. The key is
derived with HKDF-SHA256 from the kit's team key and a random salt per bundle; the clear manifest
is the associated data of every chunk, so it cannot be changed either.

Failures are :class:`ContentProblem` with a ``kind`` (``truncated``, ``reordered``, ``changed``)
that chooses the sentence the user reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHUNK = 1 << 20  # plaintext bytes per chunk
TAG = 16
SALT_SIZE = 16
_INFO = b"reviewer-app team bundle v2 content"
#: On a chunk that fails, how many other places are tried to tell "out of order" from "changed".
_REORDER_TRIES = 64


class ContentProblem(Exception):
    """The encrypted content does not decrypt: ``kind`` says how (see the module)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def new_salt() -> bytes:
    return os.urandom(SALT_SIZE)


def content_key(team_key: bytes, salt: bytes) -> bytes:
    """The bundle's 256-bit content key: HKDF-SHA256 of the team key with the bundle's salt."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(team_key)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypted_size(plain_size: int) -> int:
    chunks = max(1, -(-plain_size // CHUNK))
    return plain_size + chunks * TAG


def encrypt(
    src: BinaryIO, plain_size: int, write: Callable[[bytes], object], *, key: bytes, aad: bytes
) -> int:
    """Encrypt ``plain_size`` bytes of ``src`` into ``write``; return the bytes written."""
    aead = AESGCM(key)
    chunks = max(1, -(-plain_size // CHUNK))
    written = 0
    for index in range(chunks):
        data = src.read(CHUNK)
        last = index == chunks - 1
        if (len(data) != CHUNK and not last) or (last and src.read(1)):
            raise ValueError("the content changed size while it was being encrypted")
        sealed = aead.encrypt(_nonce(index, last), data, aad)
        write(sealed)
        written += len(sealed)
    return written


def decrypt(  # noqa: PLR0913 (each is needed, none has a default worth giving)
    read: Callable[[int], bytes],
    size: int,
    declared: int,
    write: Callable[[bytes], object],
    *,
    key: bytes,
    aad: bytes,
) -> int:
    """Decrypt ``size`` bytes (the stored content) from ``read`` into ``write``.

    ``declared`` is the content's size as the authenticated manifest gives it: less stored is
    ``truncated``, more is ``changed``. Returns the plaintext size.
    """
    if size < declared:
        raise ContentProblem("truncated", f"{size:,} of {declared:,} bytes")
    if size != declared or declared < TAG:
        raise ContentProblem("changed", f"{size:,} bytes where {declared:,} were written")
    aead = AESGCM(key)
    full = CHUNK + TAG
    chunks = -(-declared // full)
    plain = 0
    for index in range(chunks):
        last = index == chunks - 1
        data = read(full if not last else declared - index * full)
        try:
            out = aead.decrypt(_nonce(index, last), data, aad)
        except InvalidTag:
            kind = "reordered" if _fits_elsewhere(aead, data, aad, index, chunks) else "changed"
            raise ContentProblem(kind, f"part {index + 1} of {chunks}") from None
        write(out)
        plain += len(out)
    return plain


def _fits_elsewhere(aead: AESGCM, data: bytes, aad: bytes, index: int, chunks: int) -> bool:
    """Whether a chunk that failed at ``index`` decrypts at another place (it was moved)."""
    near = sorted(range(chunks + 1), key=lambda j: abs(j - index))[:_REORDER_TRIES]
    for j in near:
        for last in (False, True):
            if j == index and last == (index == chunks - 1):
                continue
            try:
                aead.decrypt(_nonce(j, last), data, aad)
            except InvalidTag:
                continue
            return True
    return False
