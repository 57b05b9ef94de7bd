"""Copies for another program: the only plaintext of a visit the app writes to disk.

Everything of a visit is sealed at rest (docs/encryption.md). Reports and documents the app shows
itself are read into memory (a ``QBuffer`` for Qt PDF). When the reviewer asks for the system's
viewer ("Open in the PDF viewer", "Open in the system viewer"), another program must read a file:
that file is written here, in ``cache/open``, at that moment and for that reason only, and the
folder is emptied when the visit locks, when the app closes and when it starts (whatever a crash
left). No Qt.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from storage.files import write_atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PdfInMemory:
    """A PDF the app shows from memory: its bytes and the file name a viewer would give it."""

    name: str
    data: bytes


def outside_folder(paths: AppPaths) -> Path:
    return paths.cache / "open"


def outside_copy(paths: AppPaths, name: str, data: bytes, *, group: str = "reports") -> Path:
    """``data`` written as ``cache/open/<group>/<name>`` for another program to read."""
    target = outside_folder(paths) / group / Path(name).name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data, mode=0o600)
    return target


def remove_outside_copies(paths: AppPaths) -> None:
    """Remove every copy made for another program (a program still showing one keeps its open
    file on Linux and macOS; on Windows a file in use stays until the next time)."""
    folder = outside_folder(paths)
    if folder.exists():
        shutil.rmtree(folder, onerror=_not_removed)
    # Older versions kept the draft preview and reports' copies here.
    for old in ("preview", "reports"):
        if (paths.cache / old).exists():
            shutil.rmtree(paths.cache / old, onerror=_not_removed)


def _not_removed(_function: object, path: str, exc_info: object) -> None:
    log.info("a copy for another program could not be removed yet: %s (%s)", path, exc_info)
