"""Whether a visit kit's zip archive is safe to look inside, before any content is trusted.

Judged from the zip directory alone, before a byte of any entry is read (step 2 of
:mod:`sync.kit_reader`): not too many entries; no absolute paths, ``..``, backslashes, drive
letters or colons, control characters, links, duplicate names (ignoring case, as Windows and
macOS do), names used both as a file and a folder, encrypted entries or unknown compression;
declared sizes within the total limit; no entry inflating beyond the ratio limit; a small manifest.

:class:`KitRefused` lives here, below the reader that re-exports it, so that both can raise it.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Mapping
from typing import NoReturn

from sync.kit_format import MANIFEST_NAME, KitLimits

#: The end of most refusals: what the user can do about a kit that is damaged or not genuine.
FRESH_COPY = "ask programme staff for a fresh copy"

_DRIVE = re.compile(r"^[A-Za-z]:")


class KitRefused(Exception):
    """A kit that will not be opened. ``str(exc)`` is one sentence for the user.

    ``reason`` is a short fixed word for programs and tests: ``not_found``, ``not_zip``,
    ``damaged``, ``unsafe``, ``too_big``, ``unsigned``, ``untrusted``, ``tampered``,
    ``newer_version``, ``invalid``, ``missing_file``, ``extra_file`` or ``disk``.
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def refuse(message: str, reason: str) -> NoReturn:
    """Raise :class:`KitRefused` with ``message`` and ``reason``."""
    raise KitRefused(message, reason=reason)


def check_directory(zf: zipfile.ZipFile, kit: str, limits: KitLimits) -> dict[str, zipfile.ZipInfo]:
    """The archive's file entries by name, after every check that needs only the directory.

    ``kit`` is the kit's file name, for the messages. Raises :class:`KitRefused` (``unsafe`` or
    ``too_big``) at the first entry, or total, that fails.
    """
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        refuse(
            f"{kit} has {len(infos):,} entries, more than a visit kit may have "
            f"({limits.max_entries:,}); it is not a kit this app will open.",
            "too_big",
        )
    unsafe = f"{kit} is not a safe visit kit: it has an entry named"
    files: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.orig_filename
        problem = _name_problem(name, info.is_dir())
        if problem:
            refuse(f"{unsafe} {name!r}, {problem}; do not open it, and {FRESH_COPY}.", "unsafe")
        if stat.S_ISLNK(info.external_attr >> 16):
            refuse(f"{unsafe} {name!r} that is a link; do not open it, and {FRESH_COPY}.", "unsafe")
        folded = name.rstrip("/").casefold()
        if folded in seen:
            refuse(f"{unsafe} {name!r} more than once; do not open it, and {FRESH_COPY}.", "unsafe")
        seen.add(folded)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            refuse(
                f"{kit} has an encrypted entry ({name!r}); visit kits are never encrypted, "
                f"so {FRESH_COPY}.",
                "unsafe",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            refuse(
                f"{kit} uses a kind of compression this app does not read ({name!r}); "
                f"{FRESH_COPY}.",
                "unsafe",
            )
        if limits.inflates_too_far(info.file_size, info.compress_size):
            refuse(
                f"{kit} is not a safe visit kit: {name!r} would inflate from "
                f"{info.compress_size:,} to {info.file_size:,} bytes (a 'zip bomb'); "
                f"do not open it, and {FRESH_COPY}.",
                "too_big",
            )
        total += info.file_size
        files[name] = info
    if total > limits.max_total_size:
        refuse(
            f"{kit} would unpack to {total:,} bytes, more than a visit kit may hold "
            f"({limits.max_total_size:,}); it is not a kit this app will open.",
            "too_big",
        )
    _check_file_folder_clash(files, unsafe)
    manifest = files.get(MANIFEST_NAME)
    if manifest is not None and manifest.file_size > limits.max_manifest_size:
        refuse(
            f"{kit} has a manifest.json of {manifest.file_size:,} bytes, more than a visit kit's "
            f"manifest may be ({limits.max_manifest_size:,}); it is not a kit this app will open.",
            "too_big",
        )
    return files


def _name_problem(name: str, is_dir: bool) -> str | None:
    """Why ``name`` is unsafe to extract anywhere (Windows, macOS or Linux), or None."""
    segments = (name[:-1] if is_dir else name).split("/")
    rules: tuple[tuple[bool, str], ...] = (
        (not name, "which is empty"),
        ("\\" in name, "with a backslash (a Windows path)"),
        (name.startswith("/"), "which is an absolute path"),
        (bool(_DRIVE.match(name)), "which starts with a drive letter"),
        (":" in name, "with a colon"),
        (any(ord(c) < 32 or ord(c) == 127 for c in name), "with a control character"),
        (".." in segments, "with '..', which points outside its folder"),
        (any(s in ("", ".") for s in segments), "with an empty or '.' folder name"),
    )
    return next((message for broken, message in rules if broken), None)


def _check_file_folder_clash(files: Mapping[str, zipfile.ZipInfo], unsafe: str) -> None:
    """A file named like a folder other files are in ('a' and 'a/b') cannot be extracted."""
    folders = {
        "/".join(parts[:i]).casefold()
        for parts in (n.split("/") for n in files)
        for i in range(1, len(parts))
    }
    for name in files:
        if name.casefold() in folders:
            refuse(f"{unsafe} {name!r} both as a file and as a folder; {FRESH_COPY}.", "unsafe")
