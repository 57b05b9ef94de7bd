"""Photos scaled for print, shared by the PDF and DOCX renderers.

Camera images can be 2,560 pixels a side; printed at 6 cm they need far fewer. Each photo is
decoded at reduced size (JPEG draft mode: fast) and re-encoded once per render, which keeps the
documents small and the render quick however many findings use the same photo.

Photos are read through ``open_blob`` (the visit's ``BlobStore.open``: decrypted as it is read)
and kept in memory: nothing of them, not even the scaled copy, is written to disk.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from PIL import Image

from storage.blob_crypto import BlobCryptoError

if TYPE_CHECKING:
    from reportlab.lib.utils import ImageReader

log = logging.getLogger(__name__)

#: Opens a stored file by its SHA-256 for reading (``BlobStore.open``); ``FileNotFoundError``
#: when it is not on this laptop.
OpenBlob = Callable[[str], BinaryIO]


def no_blobs(sha256: str) -> BinaryIO:
    """An ``OpenBlob`` for a visit with no files here: every photo is "not available"."""
    raise FileNotFoundError(f"attachment {sha256} is not on this laptop")


class ImageCache:
    """``load`` gives a photo's scaled JPEG bytes and size; ``reader`` the same for reportlab."""

    MAX_SIDE = 900  # a 6 cm print at 300 dpi is 709 pixels

    def __init__(self, open_blob: OpenBlob) -> None:
        self._open_blob = open_blob
        self._cache: dict[str, tuple[bytes, int, int] | None] = {}
        self._readers: dict[str, Any] = {}

    def load(self, sha256: str) -> tuple[bytes, int, int] | None:
        """(JPEG bytes, width, height), or None when the photo is missing, damaged or not an
        image."""
        if sha256 not in self._cache:
            self._cache[sha256] = self._read(sha256)
        return self._cache[sha256]

    def reader(self, sha256: str) -> ImageReader | None:
        """The scaled photo for reportlab, one per photo however often it is drawn (see
        ``_JpegReader``), or None as for ``load``."""
        loaded = self.load(sha256)
        if loaded is None:
            return None
        if sha256 not in self._readers:
            self._readers[sha256] = _jpeg_reader(loaded[0])
        reader: ImageReader = self._readers[sha256]
        return reader

    def _read(self, sha256: str) -> tuple[bytes, int, int] | None:
        try:
            with self._open_blob(sha256) as f, Image.open(f) as img:
                # Ask for the size it will end at, not a square: JPEG draft mode scales only
                # while both sides stay at least as asked, so (900, 900) would decode a
                # 2048 x 1536 photo at full size.
                img.draft("RGB", _fitted(img.size, self.MAX_SIDE))
                rgb = img.convert("RGB")
                rgb.thumbnail((self.MAX_SIDE, self.MAX_SIDE))
                out = io.BytesIO()
                rgb.save(out, "JPEG", quality=82)
                return out.getvalue(), rgb.width, rgb.height
        except FileNotFoundError:
            return None
        except BlobCryptoError:
            log.warning("photo %s is damaged and is left out of the document", sha256)
            return None
        except (OSError, ValueError, Image.DecompressionBombError):
            return None


def _jpeg_reader(jpeg: bytes) -> ImageReader:
    """An in-memory JPEG that reportlab embeds as it is.

    reportlab names an ``ImageReader``'s image by a digest of its decoded pixels, decoding it on
    every draw; the JPEG's own bytes name it as well, and need no decoding. (A file name would
    too, but a file of the photo is what must not be written.)"""
    from reportlab.lib.utils import ImageReader  # noqa: PLC0415 (the DOCX needs no reportlab)

    class _JpegReader(ImageReader):  # type: ignore[misc]  # reportlab has no type hints
        def getRGBData(self) -> bytes:  # noqa: N802 - reportlab's name
            self._dataA = None  # no alpha: a JPEG has none
            return jpeg

    return _JpegReader(io.BytesIO(jpeg))


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit a ``side`` x ``side`` square, shape kept."""
    width, height = size
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))
