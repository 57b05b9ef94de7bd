"""Sealed attachments: the file shows nothing of the photo or document, its name (the plaintext's
SHA-256) is computed while sealing, every change to the file is refused with a sentence (a
changed, dropped, swapped or cut-off chunk, another key), and a large file is sealed and read
with a few MB of memory."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.blob_crypto import (
    HEADER_BYTES,
    TAG_BYTES,
    BlobDamaged,
    SealingWriter,
    WrongBlobKey,
    decrypt_bytes,
    decrypt_to,
    encrypt_bytes,
    encrypt_file,
    is_sealed,
    open_decrypted,
    plaintext_size,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SENTENCE = b"The ward sister said the resuscitation trolley was not checked on Tuesday"
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
CHUNK = 4096  # small chunks, so that a small file has several


def photo_like(size: int = 5 * CHUNK + 123) -> bytes:
    body = (SENTENCE + b" " + os.urandom(200)) * (size // (len(SENTENCE) + 201) + 1)
    return (JPEG_START + body)[:size]


def chunk_at(index: int) -> slice:
    start = HEADER_BYTES + index * (CHUNK + TAG_BYTES)
    return slice(start, start + CHUNK + TAG_BYTES)


def test_a_sealed_photo_shows_none_of_it_and_is_named_by_its_plaintext(tmp_path: Path) -> None:
    data = photo_like()
    src, dst = tmp_path / "photo.jpg", tmp_path / "sealed"
    src.write_bytes(data)
    sealed = encrypt_file(src, dst, KEY, chunk_size=CHUNK)
    assert sealed.sha256 == hashlib.sha256(data).hexdigest() and sealed.size == len(data)
    raw = dst.read_bytes()
    assert SENTENCE not in raw and b"trolley" not in raw
    assert JPEG_START not in raw and not raw.startswith(b"\xff\xd8\xff")
    assert is_sealed(dst) and not is_sealed(src)
    assert dst.stat().st_mode & 0o077 == 0  # only this user may read it
    assert plaintext_size(len(raw), CHUNK) == len(data)

    back = decrypt_to(tmp_path / "back.jpg", dst, KEY)
    assert back == sealed and (tmp_path / "back.jpg").read_bytes() == data
    assert decrypt_bytes(raw, KEY) == data
    # Sealed twice, the same photo gives different bytes (a random nonce prefix each time).
    assert encrypt_bytes(data, KEY, chunk_size=CHUNK) != encrypt_bytes(data, KEY, chunk_size=CHUNK)


@given(data=st.binary(max_size=600), chunk_size=st.integers(1, 70))
def test_any_content_comes_back_as_it_was(data: bytes, chunk_size: int) -> None:
    sealed = encrypt_bytes(data, KEY, chunk_size=chunk_size)
    assert len(sealed) == HEADER_BYTES + len(data) + TAG_BYTES * max(1, -(-len(data) // chunk_size))
    assert decrypt_bytes(sealed, KEY) == data


def test_the_decrypted_file_can_be_read_from_anywhere(tmp_path: Path) -> None:
    data = photo_like(7 * CHUNK + 5)
    path = tmp_path / "sealed"
    path.write_bytes(encrypt_bytes(data, KEY, chunk_size=CHUNK))
    with open_decrypted(path, KEY) as f:
        assert f.seekable()
        for start, n in [(0, 10), (CHUNK - 3, 9), (3 * CHUNK, CHUNK * 2 + 1), (len(data) - 4, 99)]:
            f.seek(start)
            assert f.read(n) == data[start : start + n]
        f.seek(-5, io.SEEK_END)
        assert f.read() == data[-5:] and f.tell() == len(data)
        f.seek(0)
        assert f.read() == data


def refused(sealed: bytes, key: bytes = KEY) -> str:
    with pytest.raises((BlobDamaged, WrongBlobKey)) as caught:
        decrypt_bytes(sealed, key, what="photo 3f2a")
    return str(caught.value)


def test_a_changed_swapped_dropped_or_added_chunk_is_refused() -> None:
    sealed = bytearray(encrypt_bytes(photo_like(), KEY, chunk_size=CHUNK))  # 6 chunks
    changed = bytearray(sealed)
    changed[chunk_at(2).start + 7] ^= 0x01
    assert refused(bytes(changed)) == (
        "The encrypted file photo 3f2a is damaged (part 3 was changed); it cannot be read."
    )
    swapped = bytearray(sealed)
    swapped[chunk_at(0)], swapped[chunk_at(1)] = (
        sealed[chunk_at(1)],
        sealed[chunk_at(0)],
    )
    assert "part 1 was changed" in refused(bytes(swapped))
    dropped = sealed[: chunk_at(1).start] + sealed[chunk_at(2).start :]
    assert "part 2 was changed" in refused(bytes(dropped))
    repeated = sealed + sealed[chunk_at(4)]  # a chunk added after the last one
    assert "damaged" in refused(bytes(repeated))
    header = bytearray(sealed)
    header[11] ^= 0x01  # the chunk size the header gives
    assert "damaged" in refused(bytes(header))


def test_a_file_cut_short_is_refused_wherever_it_was_cut() -> None:
    sealed = encrypt_bytes(photo_like(), KEY, chunk_size=CHUNK)
    at_boundary = sealed[: chunk_at(5).start]  # the last chunk gone whole
    assert "its end is missing or was changed" in refused(at_boundary)
    assert "damaged" in refused(sealed[:-1])
    assert "damaged" in refused(sealed[: HEADER_BYTES + 10])
    assert "shorter than its header" in refused(sealed[:20])
    empty = encrypt_bytes(b"", KEY)
    assert decrypt_bytes(empty, KEY) == b""
    assert "cut short" in refused(empty[:HEADER_BYTES])


def test_another_key_or_a_plain_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    sealed = encrypt_bytes(photo_like(), KEY, chunk_size=CHUNK)
    assert refused(sealed, OTHER_KEY) == (
        "The encrypted file photo 3f2a was not encrypted with this visit's key; it cannot be read."
    )
    assert "not an encrypted file of Reviewer App" in refused(photo_like())


def test_nothing_is_written_to_a_path_when_a_chunk_is_refused(tmp_path: Path) -> None:
    sealed = bytearray(encrypt_bytes(photo_like(), KEY, chunk_size=CHUNK))
    sealed[-3] ^= 0x01
    src = tmp_path / "sealed"
    src.write_bytes(bytes(sealed))
    with pytest.raises(BlobDamaged):
        decrypt_to(tmp_path / "out.jpg", src, KEY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sealed"]


class Discard:
    """A writable binary file that keeps nothing (the test checks the hash it is given)."""

    def write(self, data: bytes) -> int:
        return len(data)


@pytest.mark.slow
def test_a_300_mb_file_is_sealed_and_read_back_with_a_few_mb_of_memory(tmp_path: Path) -> None:
    size = 300 * 1024 * 1024 + 12345
    src, dst = tmp_path / "video.mp4", tmp_path / "sealed"
    block = os.urandom(1024 * 1024)
    expected = hashlib.sha256()
    with open(src, "wb") as f:
        written = 0
        while written < size:
            part = block[: size - written]
            f.write(part)
            expected.update(part)
            written += len(part)

    tracemalloc.start()
    try:
        sealed = encrypt_file(src, dst, KEY)
        _, sealing_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        held, _ = tracemalloc.get_traced_memory()  # (sealing's buffers, kept for the next file)
        opened = decrypt_to(Discard(), dst, KEY)  # type: ignore[arg-type]
        _, opening_peak = tracemalloc.get_traced_memory()
        opening_peak -= held
    finally:
        tracemalloc.stop()
    assert sealed.sha256 == expected.hexdigest() == opened.sha256
    assert sealed.size == size == opened.size
    # Whole-file reading would take 300 MB; a few 1 MB chunks are all that is ever held.
    assert sealing_peak < 8 * 1024 * 1024, sealing_peak
    assert opening_peak < 8 * 1024 * 1024, opening_peak


def test_an_image_reader_decodes_a_sealed_photo_and_its_sealed_thumbnail_shows_nothing(
    tmp_path: Path,
) -> None:
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(photo, "JPEG", quality=90)
    path = tmp_path / "sealed"
    path.write_bytes(encrypt_bytes(photo.getvalue(), KEY, chunk_size=CHUNK))
    with open_decrypted(path, KEY) as f, Image.open(f) as img:  # Pillow seeks and reads
        assert img.size == (640, 480)
        img.thumbnail((160, 160))
        thumbnail = io.BytesIO()
        img.save(thumbnail, "JPEG")
    sealed_thumbnail = encrypt_bytes(thumbnail.getvalue(), KEY)
    assert not sealed_thumbnail.startswith(b"\xff\xd8\xff") and b"JFIF" not in sealed_thumbnail
    assert decrypt_bytes(sealed_thumbnail, KEY) == thumbnail.getvalue()


@given(
    st.binary(max_size=5 * CHUNK + 7),
    st.lists(st.integers(min_value=1, max_value=2 * CHUNK), min_size=1, max_size=8),
)
def test_a_file_written_in_pieces_is_sealed_as_a_file_read_whole(
    data: bytes, pieces: list[int]
) -> None:
    """``SealingWriter``: a zip writer's small writes and big ones, ending on a chunk's edge
    or inside one, give a file that opens to what was written."""
    out = io.BytesIO()
    with SealingWriter(out, KEY, chunk_size=CHUNK) as writer:
        at, i = 0, 0
        while at < len(data):
            n = pieces[i % len(pieces)]
            assert writer.write(data[at : at + n]) == len(data[at : at + n])
            at, i = at + n, i + 1
    assert writer.sealed.sha256 == hashlib.sha256(data).hexdigest()
    assert writer.sealed.size == len(data)
    assert decrypt_bytes(out.getvalue(), KEY) == data
    assert len(out.getvalue()) == len(encrypt_bytes(data, KEY, chunk_size=CHUNK))
