from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from storage import BlobMismatch, BlobStore, NotAnImage, reencode_photo
from tests.keys import TEST_KEY


def phone_photo(width: int = 400, height: int = 300, fmt: str = "JPEG") -> bytes:
    """A photo as a phone takes it: stored landscape, EXIF says 'rotate 90', with a GPS fix."""
    img = Image.new("RGB", (width, height), (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, width // 4, height))  # a blue band on the left
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 40.0)
    out = io.BytesIO()
    img.save(out, format=fmt, exif=exif, comment=b"taken at the hospital")
    return out.getvalue()


def test_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    sha = store.put_bytes(b"minutes of the meeting")
    assert store.put_bytes(b"minutes of the meeting") == sha
    source = tmp_path / "copy.txt"
    source.write_bytes(b"minutes of the meeting")
    assert store.put_file(source) == sha
    assert sha == hashlib.sha256(b"minutes of the meeting").hexdigest()
    assert store.path(sha) == tmp_path / "blobs" / sha[:2] / sha
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert files == [store.path(sha)]  # one copy, no temporary files left behind
    assert store.read_bytes(sha) == b"minutes of the meeting"


def test_put_verified_checks_size_and_hash(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    doc = tmp_path / "policy.pdf"
    doc.write_bytes(b"%PDF-1.7 policy" * 1000)
    sha = hashlib.sha256(doc.read_bytes()).hexdigest()
    with pytest.raises(BlobMismatch, match="bytes"):
        store.put_verified(doc, sha, 5)
    with pytest.raises(BlobMismatch, match="damaged"):
        store.put_verified(doc, "f" * 64, doc.stat().st_size, move=True)
    assert not store.has("f" * 64) and doc.exists()
    assert store.put_verified(doc, sha, doc.stat().st_size, move=True) == sha
    assert store.has(sha) and not doc.exists()


def test_missing_blob_says_which(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    with pytest.raises(FileNotFoundError, match="a" * 64):
        store.open("a" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        store.path("../../etc/passwd")


def test_photo_is_turned_upright_and_stripped_of_exif_and_gps() -> None:
    original = phone_photo(400, 300)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has a GPS fix
    clean = reencode_photo(original)
    with Image.open(io.BytesIO(clean)) as after:
        assert after.format == "JPEG"
        assert after.size == (300, 400)  # rotated as the EXIF said
        assert len(after.getexif()) == 0
        assert "exif" not in after.info and "comment" not in after.info
        assert "icc_profile" not in after.info and "xmp" not in after.info
        # the blue band that was on the left is now at the top
        r, g, b = after.convert("RGB").getpixel((150, 10))  # type: ignore[misc]
        assert b > 150 and r < 100
    assert b"GPS" not in clean and b"PhoneCo" not in clean and b"hospital" not in clean


def test_photo_size_is_capped() -> None:
    clean = reencode_photo(phone_photo(3000, 1000), max_side=1200)
    with Image.open(io.BytesIO(clean)) as after:
        assert after.size == (400, 1200)


def test_transparent_png_becomes_a_jpeg() -> None:
    img = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")
    with Image.open(io.BytesIO(reencode_photo(out.getvalue()))) as after:
        assert after.format == "JPEG" and after.mode == "RGB" and after.size == (50, 40)
        assert after.getpixel((10, 10)) == (255, 255, 255)  # flattened onto white


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7 not a photo", phone_photo()[:200]])
def test_not_an_image_says_so(data: bytes) -> None:
    with pytest.raises(NotAnImage, match="not a photo Reviewer App can read"):
        reencode_photo(data)


def test_add_photo_stores_the_clean_version(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    sha = store.add_photo(phone_photo())
    assert store.add_photo(phone_photo()) == sha  # re-encoding is deterministic
    with Image.open(store.open(sha)) as img:
        assert len(img.getexif()) == 0


def test_adopt_seals_hashed_files_in_and_removes_them(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    staging = tmp_path / "blobs-staging"
    staging.mkdir()
    files = []
    for i, data in enumerate([b"policy", b"audit", b"policy"]):
        src = staging / f"doc{i}.pdf"
        src.write_bytes(data)
        files.append((src, hashlib.sha256(data).hexdigest(), len(data)))
    assert store.adopt(files) == 2  # the third is the same content as the first
    for _, sha, _ in files:
        assert store.has(sha)
    assert list(staging.iterdir()) == []  # plaintext: none left, stored or not
    assert store.read_bytes(files[1][1]) == b"audit"


def test_adopt_refuses_a_file_of_the_wrong_size(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", TEST_KEY)
    src = tmp_path / "doc.pdf"
    src.write_bytes(b"short")
    with pytest.raises(BlobMismatch, match="5 bytes"):
        store.adopt([(src, hashlib.sha256(b"short").hexdigest(), 99)])
    assert not store.has(hashlib.sha256(b"short").hexdigest())


def test_adopting_nothing_needs_no_store_folder(tmp_path: Path) -> None:
    """A kit with no evidence files: nothing to adopt, and the store was never made."""
    store = BlobStore(tmp_path / "never-made", TEST_KEY)
    assert store.adopt([]) == 0
    assert not (tmp_path / "never-made").exists()
