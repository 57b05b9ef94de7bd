"""Attachments stored by content: each file once, named by its SHA-256, however many records use it.

``BlobStore(root)`` keeps ``<root>/<sha[:2]>/<sha>``. Every write goes to a temporary file in the
store, is flushed to disk (fsync) and then renamed into place, so a blob that exists is whole.
Photos are re-encoded before they are stored (``reencode_photo``): turned upright, stripped of
every piece of metadata (EXIF with GPS position, XMP, comments, colour profile after conversion
to sRGB) and capped in size.

A write killed before its rename leaves its ``.incoming-*`` temporary file behind; the store's
first write after it is made removes those untouched for ``STALE_INCOMING_SECONDS``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from storage.files import fsync_dir, fsync_file, write_atomic

if TYPE_CHECKING:
    from hashlib import _Hash

    from PIL import Image

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
    """Content-addressed files under ``root``. Safe to share between threads and processes:
    writes are atomic renames of complete, fsynced files, and equal content has one name."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = Path(root)
        self._key = key  # the visit's: every blob is sealed with it (storage.blob_crypto)
        self._swept = False  # stale temporary files removed (on this store's first write)

    def path(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives (whether or not it is there)."""
        if not SHA256_PATTERN.match(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The blob for reading; ``FileNotFoundError`` names the missing hash."""
        path = self.path(sha256)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"attachment {sha256} is not in {self.root}") from None

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256."""
        sha = new_sha256(data).hexdigest()
        if not self.has(sha):
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(final, data, temp=self._temp())
        return sha

    def put_file(self, source: Path) -> str:
        """Store a copy of the file ``source`` (hashing while copying) and return its SHA-256."""
        tmp = self._temp()
        try:
            digest = new_sha256()
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            sha = digest.hexdigest()
            if self.has(sha):
                tmp.unlink()
            else:
                self._place(tmp, sha)
            return sha
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_verified(
        self, source: Path, expected_sha256: str, expected_size: int, *, move: bool = False
    ) -> str:
        """Store a file whose hash and size are already known (from a manifest), checking both.

        With ``move=True`` the file is moved rather than copied when it is on the same disk. A file
        whose size or hash differs raises ``BlobMismatch`` and nothing is stored.
        """
        self.path(expected_sha256)  # validates the hash's format
        actual_size = os.path.getsize(source)
        if actual_size != expected_size:
            raise BlobMismatch(
                f"{source.name} is {actual_size} bytes, but {expected_size} were expected"
            )
        if self.has(expected_sha256):
            return expected_sha256
        if move:
            sha, _ = sha256_file(source)
            self._check(source, sha, expected_sha256)
            tmp = self._temp()
            try:
                os.replace(source, tmp)
            except OSError:  # another disk: copy instead
                shutil.copyfile(source, tmp)
            fsync_file(tmp)
            self._place(tmp, sha)
            return sha
        sha = self.put_file(source)
        if sha != expected_sha256:
            # put_file stored what the file really holds; it is harmless (content-addressed)
            # but it is not what was announced.
            self._check(source, sha, expected_sha256)
        return sha

    def adopt(self, files: Sequence[tuple[Path, str, int]]) -> int:
        """Move files the caller has already hashed into the store; return how many were new.

        For bulk imports whose bytes were hashed while they were written (a kit's evidence is
        hashed against its signed manifest during extraction): each ``(path, sha256, size)`` has
        its size checked, is renamed into place (same disk: no copy, no second hash), and then
        all of them are flushed to disk together, which lets the file system batch the work.
        Files already in the store are left where they are. Sources must be on the same disk.
        """
        placed: list[Path] = []
        for source, sha, size in files:
            final = self.path(sha)
            actual = os.path.getsize(source)
            if actual != size:
                raise BlobMismatch(f"{source.name} is {actual} bytes, but {size} were expected")
            if final.exists():
                continue
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, final)
            placed.append(final)
        if not placed:  # nothing new (or a kit with no evidence): the store may not exist yet
            return 0
        folders = sorted({f.parent for f in placed})
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(fsync_file, placed))
            list(pool.map(fsync_dir, [*folders, self.root]))
        return len(placed)

    def add_photo(self, data: bytes, max_side: int = 2560, quality: int = 85) -> str:
        """Re-encode a photo (``reencode_photo``) and store the result; return its SHA-256."""
        return self.put_bytes(reencode_photo(data, max_side=max_side, quality=quality))

    @staticmethod
    def _check(source: Path, actual: str, expected: str) -> None:
        if actual != expected:
            raise BlobMismatch(
                f"{source.name} does not match its recorded SHA-256 "
                f"(expected {expected[:12]}..., found {actual[:12]}...): the file is damaged"
            )

    def remove_stale_incoming(self, older_than: float | None = None) -> int:
        """Remove temporary files of killed writes untouched for ``older_than`` seconds (default
        ``STALE_INCOMING_SECONDS``, read at the call); return how many. The change time counts
        too: a file just renamed in (``put_verified`` with ``move``) keeps its source's old
        modification time while it is still in use."""
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
        self.root.mkdir(parents=True, exist_ok=True)
        if not self._swept:
            self._swept = True
            self.remove_stale_incoming()
        fd, name = tempfile.mkstemp(prefix=INCOMING_PREFIX, dir=self.root)
        os.close(fd)
        return Path(name)

    def _place(self, tmp: Path, sha: str) -> None:
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        fsync_dir(final.parent)


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
