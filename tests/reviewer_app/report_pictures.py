"""Copies and pictures of rendered reports in tests/artifacts, for people to look at.

Only tests marked ``screenshots`` call these (``make screenshots``); the main suite checks the
same files without saving anything.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def keep(file: Path, name: str) -> Path:
    """A copy of ``file`` as tests/artifacts/``name``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(file, ARTIFACTS / name))


def pdf_pictures(pdf: Path, stem: str, *, dpi: int, pages: tuple[int, int] | None = None) -> None:
    """PNGs of ``pdf``'s pages (all, or ``pages`` first to last) as tests/artifacts/``stem``-N.png;
    skips the test where pdftoppm (poppler-utils) is not installed."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (poppler-utils)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chosen = ["-f", str(pages[0]), "-l", str(pages[1])] if pages else []
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", *chosen, str(pdf), str(ARTIFACTS / stem)], check=True
    )
