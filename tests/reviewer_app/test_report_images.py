"""Photos scaled for print: decoded at reduced size whatever their shape, never enlarged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from reviewer_app.report.images import ImageCache, _fitted


@pytest.mark.parametrize(
    ("size", "fitted"),
    [((2048, 1536), (900, 675)), ((1536, 2048), (675, 900)), ((640, 480), (640, 480))],
)
def test_fitted_keeps_the_shape_and_never_enlarges(
    size: tuple[int, int], fitted: tuple[int, int]
) -> None:
    assert _fitted(size, 900) == fitted


def test_a_landscape_photo_is_decoded_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (2048, 1536), (90, 120, 200)).save(photo, "JPEG")
    asked: list[tuple[int, int]] = []
    draft = JpegImageFile.draft

    def spy(self: JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        asked.append(size or (0, 0))
        return draft(self, mode, size)

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    loaded = ImageCache(lambda _sha: photo.open("rb")).load("a" * 64)
    assert loaded is not None
    assert loaded[1:] == (900, 675)
    assert asked == [(900, 675)]  # not (900, 900), which JPEG draft mode would not reduce
    assert Image.open(io.BytesIO(loaded[0])).size == (900, 675)
