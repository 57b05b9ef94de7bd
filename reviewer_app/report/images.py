"""Photos scaled for print, shared by the PDF and DOCX renderers.

Camera images can be 2,560 pixels a side; printed at 6 cm they need far fewer. Each photo is
decoded at reduced size (JPEG draft mode: fast) and re-encoded once per render, which keeps the
documents small and the render quick however many findings use the same photo.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


class ImageCache:
    """``load`` gives scaled JPEG bytes; ``file`` the same as a file in ``folder`` (reportlab
    embeds a JPEG *file* as it is, but decodes an in-memory image to name it, on every draw)."""

    MAX_SIDE = 900  # a 6 cm print at 300 dpi is 709 pixels

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._cache: dict[Path, tuple[bytes, int, int] | None] = {}
        self._files: dict[Path, Path] = {}

    def file(self, path: Path) -> tuple[Path, int, int] | None:
        """The scaled photo as a JPEG file in ``folder`` (written once), with its size."""
        loaded = self.load(path)
        if loaded is None or self.folder is None:
            return None
        if path not in self._files:
            target = self.folder / f"photo-{len(self._files) + 1}.jpg"
            target.write_bytes(loaded[0])
            self._files[path] = target
        return self._files[path], loaded[1], loaded[2]

    def load(self, path: Path) -> tuple[bytes, int, int] | None:
        """(JPEG bytes, width, height), or None when the file is missing or not an image."""
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: Path) -> tuple[bytes, int, int] | None:
        try:
            with Image.open(path) as img:
                # Ask for the size it will end at, not a square: JPEG draft mode scales only
                # while both sides stay at least as asked, so (900, 900) would decode a
                # 2048 x 1536 photo at full size.
                img.draft("RGB", _fitted(img.size, self.MAX_SIDE))
                rgb = img.convert("RGB")
                rgb.thumbnail((self.MAX_SIDE, self.MAX_SIDE))
                out = io.BytesIO()
                rgb.save(out, "JPEG", quality=82)
                return out.getvalue(), rgb.width, rgb.height
        except (OSError, ValueError, Image.DecompressionBombError):
            return None


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit a ``side`` x ``side`` square, shape kept."""
    width, height = size
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))
