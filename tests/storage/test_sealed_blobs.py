"""The blob store seals everything it keeps: a photo or document on disk shows none of its bytes,
comes back whole however it is read, a damaged file is refused with a sentence, and a store an
older version kept in the clear is sealed in place, surviving a kill -9 at any point."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from storage import BlobMismatch, BlobStore
from storage.attachments import INCOMING_PREFIX
from storage.blob_crypto import BlobDamaged, WrongBlobKey, is_sealed_with
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
JPEG_MARKER = b"\xff\xd8\xff"
NOTE = b"Controlled drugs cupboard left unlocked on ward 7 overnight"


def camera_photo() -> bytes:
    img = Image.new("RGB", (320, 240), (180, 40, 40))
    img.paste((20, 20, 220), (0, 0, 80, 240))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def document(size: int = 3 * 1024 * 1024 + 17) -> bytes:
    """A document bigger than a chunk, its sentence repeated all through it."""
    body = (NOTE + b" " + os.urandom(64)) * (size // (len(NOTE) + 65) + 1)
    return (b"%PDF-1.7\n" + body)[:size]


def shows_any_of(raw: bytes, plain: bytes, window: int = 16) -> bool:
    """Whether any ``window`` consecutive bytes of ``plain`` appear in ``raw``."""
    step = max(1, len(plain) // 4000)
    return any(plain[i : i + window] in raw for i in range(0, len(plain) - window, step))


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_photo_on_disk_shows_no_jpeg_marker_and_none_of_its_bytes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    photo_sha = store.add_photo(camera_photo())
    photo = store.read_bytes(photo_sha)
    assert photo.startswith(JPEG_MARKER)  # the plaintext is a JPEG
    doc = document()
    src = tmp_path / "policy.pdf"
    src.write_bytes(doc)
    doc_sha = store.put_file(src)
    assert doc_sha == hashlib.sha256(doc).hexdigest()  # named by its plaintext
    for path in files_under(tmp_path / "blobs"):
        raw = path.read_bytes()
        # (A 3-byte marker turns up in a megabyte of ciphertext about one time in sixteen:
        # the plaintext's first 16 bytes cannot by chance.)
        assert photo[:16] not in raw and doc[:16] not in raw and NOTE not in raw
        assert not shows_any_of(raw, photo) and not shows_any_of(raw, doc)
        assert path.stat().st_mode & 0o077 == 0  # only this user may read it
    assert {p.name for p in files_under(tmp_path / "blobs")} == {photo_sha, doc_sha}


def test_every_way_in_and_out_gives_the_same_bytes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    doc = document()
    sha = hashlib.sha256(doc).hexdigest()
    assert store.put_bytes(doc) == sha
    assert store.put_stream(io.BytesIO(doc), expected_sha256=sha, expected_size=len(doc)) == sha
    source = tmp_path / "copy.pdf"
    source.write_bytes(doc)
    assert store.put_verified(source, sha, len(doc), move=True) == sha and not source.exists()
    assert store.read_bytes(sha) == doc and store.size(sha) == len(doc)
    with store.open(sha) as f:
        f.seek(2 * 1024 * 1024 - 5)  # across a chunk's end
        assert f.read(10) == doc[2 * 1024 * 1024 - 5 : 2 * 1024 * 1024 + 5]
    out = tmp_path / "out.pdf"
    store.copy_to(sha, out)
    assert out.read_bytes() == doc
    buffer = io.BytesIO()
    store.copy_to(sha, buffer)
    assert buffer.getvalue() == doc
    with store.decrypted_copy(sha, suffix=".pdf") as copy:
        assert copy.suffix == ".pdf" and copy.read_bytes() == doc
        assert copy.parent.stat().st_mode & 0o077 == 0  # a private folder
    assert not copy.exists() and not copy.parent.exists()
    assert store.put_bytes(b"") == hashlib.sha256(b"").hexdigest()
    assert store.read_bytes(hashlib.sha256(b"").hexdigest()) == b""
    assert len(files_under(tmp_path / "blobs")) == 2  # stored once each, no temporary files


def test_content_not_as_announced_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    doc = document(5000)
    sha = hashlib.sha256(doc).hexdigest()
    with pytest.raises(BlobMismatch, match="more than the 4,999 bytes"):
        store.put_stream(io.BytesIO(doc), expected_size=4999, what="policy.pdf")
    with pytest.raises(BlobMismatch, match="does not match its recorded SHA-256"):
        store.put_stream(io.BytesIO(doc), expected_sha256="0" * 64, what="policy.pdf")
    with store.incoming() as batch:
        batch.put_stream(io.BytesIO(doc), expected_sha256=sha, expected_size=len(doc))
        with pytest.raises(BlobMismatch):
            batch.put_stream(io.BytesIO(b"other"), expected_sha256=sha, expected_size=5)
    assert not store.has(sha) and files_under(tmp_path / "blobs") == []
    with store.incoming() as batch:
        batch.put_stream(io.BytesIO(doc), expected_sha256=sha, expected_size=len(doc))
        batch.put_stream(io.BytesIO(b"unused"))
        assert batch.place(only=[sha]) == 1
    assert [p.name for p in files_under(tmp_path / "blobs")] == [sha]


def test_a_refused_batch_leaves_no_store_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "visit" / "blobs", TEST_KEY)
    with store.incoming() as batch:
        batch.put_stream(io.BytesIO(document(100)))
        assert len(batch) == 1
    assert not (tmp_path / "visit").exists()


def test_a_batch_leaves_a_kept_store_as_it_found_it_but_for_what_it_placed(
    tmp_path: Path,
) -> None:
    # A re-issued kit refused, or a document of it not wanted: the store of a visit already
    # here keeps no folder made for it (folders are made ahead, while the batch is sealed).
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    kept = store.put_bytes(b"kept")
    before = sorted(p.relative_to(store.root) for p in store.root.rglob("*"))
    with store.incoming() as batch:
        batch.seal(io.BytesIO(document(100)))
        batch.seal(io.BytesIO(b"another"))
    assert sorted(p.relative_to(store.root) for p in store.root.rglob("*")) == before
    with store.incoming() as batch:
        wanted = batch.seal(io.BytesIO(document(100))).sha256
        batch.seal(io.BytesIO(b"unwanted"))
        assert batch.place([wanted]) == 1
    assert sorted(p.name for p in files_under(store.root)) == sorted([kept, wanted])
    assert sorted(p.name for p in store.root.iterdir()) == sorted({kept[:2], wanted[:2]})


def test_a_damaged_or_foreign_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    sha = store.put_bytes(document())
    path = store.path(sha)
    raw = bytearray(path.read_bytes())
    raw[1024 * 1024 + 100] ^= 1  # a byte of the second part
    path.write_bytes(bytes(raw))
    with pytest.raises(BlobDamaged) as damaged:
        store.read_bytes(sha)
    assert str(damaged.value).endswith("is damaged (part 2 was changed); it cannot be read.")
    path.write_bytes(bytes(raw[: len(raw) // 2]))
    with pytest.raises(BlobDamaged, match="cut short|end is missing"):
        store.read_bytes(sha)
    other = BlobStore(tmp_path / "blobs", bytes(32))
    sha2 = store.put_bytes(b"a note")
    with pytest.raises(WrongBlobKey, match="was not encrypted with this visit's key"):
        other.read_bytes(sha2)
    with pytest.raises(FileNotFoundError, match="a" * 64):
        store.open("a" * 64)


def write_plain_store(root: Path, contents: list[bytes]) -> list[str]:
    """Blobs as an older version kept them: plain files named by their SHA-256."""
    shas = []
    for data in contents:
        sha = hashlib.sha256(data).hexdigest()
        (root / sha[:2]).mkdir(parents=True, exist_ok=True)
        (root / sha[:2] / sha).write_bytes(data)
        shas.append(sha)
    return shas


def test_an_old_plain_store_is_sealed_in_place(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    contents = [camera_photo(), document(), b"RVBLOB" + b"\x01\x00" + os.urandom(100), b""]
    shas = write_plain_store(root, contents)
    store = BlobStore(root, TEST_KEY)
    new_sha = store.put_bytes(b"added by the new version")  # a store half old, half new
    damaged = "d" * 64
    (root / "dd").mkdir()
    (root / "dd" / damaged).write_bytes(b"neither plain nor sealed")
    seen: list[tuple[int, int, str]] = []
    assert store.seal_plain(lambda *a: seen.append(a)) == 4  # the RVBLOB-looking one too
    assert seen[-1] == (6, 6, "Encrypting attachments")
    for sha, data in zip(shas, contents, strict=True):
        raw = store.path(sha).read_bytes()
        assert is_sealed_with(store.path(sha), TEST_KEY)
        assert not data or (data[:16] not in raw and not shows_any_of(raw, data))
        assert store.read_bytes(sha) == data
    assert store.read_bytes(new_sha) == b"added by the new version"
    assert (root / "dd" / damaged).read_bytes() == b"neither plain nor sealed"  # left alone
    assert store.seal_plain() == 0  # done: nothing more to seal
    assert list(root.glob(f"{INCOMING_PREFIX}*")) == []


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from storage import attachments
    from tests.keys import TEST_KEY

    stage, root = sys.argv[1], Path(sys.argv[2])
    calls = {"replace": 0}
    real_replace = os.replace

    def pause(what):
        print(what, flush=True)
        time.sleep(60)

    def replace(src, dst):
        calls["replace"] += 1
        if stage == "before_rename" and calls["replace"] == 3:
            pause("paused")
        real_replace(src, dst)

    def fsync_file(path):
        if stage == "before_flush" and calls["replace"] == 1:
            pause("paused")
        os.fsync(os.open(path, os.O_RDONLY))

    attachments.os.replace = replace
    attachments.fsync_file = fsync_file

    def progress(done, total, what):
        if stage == "between_blobs" and done == 2:
            pause("paused")

    attachments.BlobStore(root, TEST_KEY).seal_plain(progress)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("stage", ["between_blobs", "before_flush", "before_rename"])
def test_a_kill_while_sealing_leaves_every_blob_readable(tmp_path: Path, stage: str) -> None:
    root = tmp_path / "blobs"
    contents = [document(300_000 + i) for i in range(5)]
    shas = write_plain_store(root, contents)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, stage, str(root)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"paused"
    child.send_signal(signal.SIGKILL)
    child.wait()
    store = BlobStore(root, TEST_KEY)
    states = []
    for sha, data in zip(shas, contents, strict=True):
        path = store.path(sha)
        if is_sealed_with(path, TEST_KEY):  # sealed whole ...
            states.append("sealed")
            assert store.read_bytes(sha) == data
        else:  # ... or still plain and whole
            states.append("plain")
            assert path.read_bytes() == data
    assert "sealed" in states and "plain" in states  # the kill came halfway
    assert store.seal_plain() == states.count("plain")  # the next run finishes the job
    assert [store.read_bytes(sha) for sha in shas] == contents
    for left in root.glob(f"{INCOMING_PREFIX}*"):  # what the killed write left: sealed
        assert NOTE not in left.read_bytes()
