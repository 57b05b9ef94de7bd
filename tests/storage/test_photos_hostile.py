"""Photos a reviewer might really attach, and files that only pretend to be photos: HEIC from an
iPhone, a PNG that declares more pixels than any camera, a JPEG cut short by a bad copy."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image

from storage import NotAnImage, reencode_photo
from storage.attachments import MAX_PHOTO_PIXELS, PhotoDamaged, PhotoTooLarge

ROOT = Path(__file__).resolve().parents[2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def one_colour_png(width: int, height: int, *, bits: int = 8, colour_type: int = 2) -> bytes:
    """A real PNG of one colour (all zero bytes), written row by row: tiny on disk whatever its
    size, and made without ever holding its pixels in memory."""
    channels = {0: 1, 2: 3}[colour_type]
    row = b"\x00" + bytes((width * channels * bits + 7) // 8)  # filter byte + the pixels
    squeeze = zlib.compressobj(9)
    parts = [squeeze.compress(row * 100) for _ in range(height // 100)]
    parts += [squeeze.compress(row * (height % 100)), squeeze.flush()]
    header = struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "huge.png"
    path.write_bytes(one_colour_png(12000, 12000))
    return path


def a_photo(fmt: str = "JPEG", size: tuple[int, int] = (800, 600)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    for x in range(0, size[0], 9):  # detail, so that the data is not all one run
        img.paste((x % 256, 120, 40), (x, 0, x + 4, size[1]))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def test_an_iphone_heic_photo_is_accepted() -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is a dependency")
    pillow_heif.register_heif_opener()  # only to write the test file
    img = Image.new("RGB", (640, 480), (20, 160, 90))
    out = io.BytesIO()
    img.save(out, format="HEIF")
    heic = out.getvalue()
    assert heic[4:12] == b"ftypheic"

    jpeg = reencode_photo(heic)

    with Image.open(io.BytesIO(jpeg)) as clean:
        assert clean.format == "JPEG" and clean.size == (640, 480)
        r, g, b = clean.convert("RGB").getpixel((320, 240))  # type: ignore[misc]
        assert abs(r - 20) < 12 and abs(g - 160) < 12 and abs(b - 90) < 12


def test_heic_support_is_loaded_only_when_a_heic_photo_is_met() -> None:
    """pillow-heif brings a native library: a JPEG does not need it, a HEIC does."""
    script = textwrap.dedent(
        """
        import io, sys
        from PIL import Image
        from storage import reencode_photo
        img = Image.new("RGB", (64, 48), (1, 2, 3))
        out = io.BytesIO(); img.save(out, format="JPEG")
        reencode_photo(out.getvalue())
        print("after jpeg:", "pillow_heif" in sys.modules)
        import pillow_heif
        heic = io.BytesIO()
        pillow_heif.from_pillow(img).save(heic, quality=80)  # written without registering
        assert "HEIF" not in Image.OPEN
        reencode_photo(heic.getvalue())
        print("after heic:", "HEIF" in Image.OPEN)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["after jpeg: False", "after heic: True"]


def test_a_huge_png_is_refused_before_decoding_with_its_size(huge_png: Path) -> None:
    data = huge_png.read_bytes()
    assert len(data) < 1_000_000  # the file: 420 KB on disk, 1.9 GB once decoded
    with pytest.raises(PhotoTooLarge) as refused:
        reencode_photo(data)
    assert str(refused.value).startswith(
        "This photo is too large (12000 x 12000 pixels); the most is 50 megapixels"
    )
    assert isinstance(refused.value, NotAnImage)  # shown to the user as one sentence


def test_refusing_a_huge_png_takes_little_memory(huge_png: Path) -> None:
    """Peak RSS of a fresh process that tries the photo: no pixel may be decoded."""
    script = textwrap.dedent(
        f"""
        from storage import reencode_photo
        from storage.attachments import PhotoTooLarge
        data = open({str(huge_png)!r}, "rb").read()
        try:
            reencode_photo(data)
        except PhotoTooLarge:
            pass
        # VmHWM, not ru_maxrss: Linux carries the parent's (the test run's) peak RSS across
        # fork and exec into ru_maxrss, so a big test process would be measured instead.
        print(next(int(line.split()[1]) for line in open("/proc/self/status")
                   if line.startswith("VmHWM:")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    peak_mb = int(done.stdout.strip()) / 1024  # VmHWM is in KiB
    assert peak_mb < 200, f"refusing a 12000 x 12000 PNG peaked at {peak_mb:.0f} MB"


def test_pillows_own_bomb_error_becomes_the_same_sentence() -> None:
    """Above ~179 megapixels Pillow refuses in ``Image.open`` itself; the user reads ours."""
    data = one_colour_png(20000, 20000, bits=1, colour_type=0)  # 400 megapixels, 1 bit each
    with pytest.raises(PhotoTooLarge) as refused:
        reencode_photo(data)
    assert str(refused.value).startswith(
        "This photo is too large (400,000,000 pixels); the most is 50 megapixels"
    )


def test_pillows_bomb_warning_is_not_left_for_the_user(huge_png: Path) -> None:
    """144 megapixels make Pillow warn; nothing but our refusal comes out."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(PhotoTooLarge):
            reencode_photo(huge_png.read_bytes())
    assert [str(w.message) for w in seen] == []


def test_a_photo_at_the_limit_is_accepted() -> None:
    side = int(MAX_PHOTO_PIXELS**0.5)
    data = one_colour_png(side, side, bits=1, colour_type=0)  # 1 bit a pixel: small to decode
    assert Image.open(io.BytesIO(data)).size == (side, side)
    with Image.open(io.BytesIO(reencode_photo(data))) as clean:
        assert clean.size == (2560, 2560)


def test_a_phones_big_jpeg_is_decoded_at_a_reduced_scale_and_accepted() -> None:
    """A phone's 75 MP (or 200 MP) JPEG counts at the scale it is decoded at, not in full."""
    img = Image.new("L", (10000, 7500), 90)  # 75 megapixels: decoded at half the size
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=50)
    del img
    with Image.open(io.BytesIO(reencode_photo(out.getvalue()))) as clean:
        assert clean.size == (2560, 1920)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_photo_cut_short_is_called_damaged(fmt: str) -> None:
    whole = a_photo(fmt)
    reencode_photo(whole)  # the photo itself is fine
    with pytest.raises(PhotoDamaged) as refused:
        reencode_photo(whole[: len(whole) * 2 // 3])
    assert str(refused.value) == (
        "This photo is damaged (the file is cut short): take or copy it again."
    )


def test_a_file_that_is_no_photo_is_still_called_so() -> None:
    with pytest.raises(NotAnImage, match="not a photo") as refused:
        reencode_photo(b"%PDF-1.7 minutes of the meeting")
    assert not isinstance(refused.value, PhotoDamaged | PhotoTooLarge)
