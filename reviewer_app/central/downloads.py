"""Kits a sync downloaded, kept in ``<data>/downloads`` until they are opened (no Qt, no network).

A kit carries the provider's evidence pack, which can hold staff details, in the clear (it is
signed, not encrypted: the laptop that opens it has no key for it yet). Once the kit is opened,
its content is in the visit's encrypted workspace and sealed blob store, so the downloaded copy
goes (:func:`kit_opened`); a note of its SHA-256 (``<kit_id>.opened``, nothing else) stays, so the
next sync knows that kit is here already and does not fetch it again (:func:`already_opened`).

The way back when a visit's key is lost is unchanged: move the visit's folder aside, and the next
sync downloads the kit again (the service hands it out as often as asked), since its visit is no
longer here. A re-issued kit (another SHA-256) is downloaded as before. A kit the user opened from
a file of their own (a USB stick, an e-mail) is theirs: it is left where it is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from storage.attachments import sha256_file
from storage.files import fsync_dir, write_atomic

log = logging.getLogger(__name__)

DOWNLOADS = "downloads"
KIT_SUFFIX = ".rvkit"
OPENED_SUFFIX = ".opened"


def downloads_folder(paths: AppPaths) -> Path:
    return paths.data / DOWNLOADS


def kit_file(paths: AppPaths, kit_id: str) -> Path:
    return downloads_folder(paths) / f"{kit_id}{KIT_SUFFIX}"


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256; None when there is no such file."""
    return sha256_file(path)[0] if path.is_file() else None


def _opened_note(paths: AppPaths, kit_id: str) -> Path:
    return downloads_folder(paths) / f"{kit_id}{OPENED_SUFFIX}"


def already_opened(paths: AppPaths, kit_id: str, sha256: str) -> bool:
    """Whether the kit with this SHA-256 was downloaded here and opened (its file since removed)."""
    try:
        return _opened_note(paths, kit_id).read_text("ascii").strip() == sha256
    except (OSError, UnicodeDecodeError):
        return False


def kit_opened(paths: AppPaths, kit: Path) -> bool:
    """After ``kit`` was opened into its workspace (committed): when it is a kit a sync
    downloaded, note its SHA-256 and remove the file; True if it was removed.

    Best effort: the visit is open either way; a file that cannot be removed now is logged and
    removed the next time it is opened.
    """
    folder = downloads_folder(paths)
    kit = Path(kit)
    try:
        if kit.suffix != KIT_SUFFIX or kit.resolve().parent != folder.resolve():
            return False
        sha = file_sha256(kit)
        if sha is None:
            return False
        write_atomic(_opened_note(paths, kit.stem), sha.encode("ascii"), mode=0o600)
        kit.unlink()
        fsync_dir(folder)
    except OSError as exc:
        log.warning("the downloaded kit %s was opened but not removed: %s", kit.name, exc)
        return False
    log.info("the downloaded kit %s was opened, then removed: it is encrypted now", kit.name)
    return True
