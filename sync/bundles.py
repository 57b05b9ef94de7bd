"""Team bundles (``.rvbundle``): everything one laptop knows about a visit, for the others.

A bundle is a zip archive (DESIGN.md, "Team bundle", format version 1)::

    manifest.json     canonical JSON: visit, kit, member, device, time, op count, hashes, blobs
    manifest.hmac     hex HMAC-SHA256 of the exact manifest bytes, keyed with the kit's team key
    ops.jsonl         every operation of the workspace, one ``Op.to_json_line()`` a line, seq order
    blobs/<sha256>    every attachment an operation names (a field called ``sha256``)

Reading (:func:`read_bundle`) makes every check before anything changes, in this order: the file
is a zip; its directory is sane (:func:`sync.kit_archive.check_directory`); the HMAC of the
manifest's bytes verifies (nothing is parsed before); the format and version are ones this app
reads; the visit is the one asked for; the archive holds exactly the files the manifest names;
``ops.jsonl`` has the manifest's size and hash and every line is an operation; every blob has its
size and hash (checked while it is extracted into a staging folder). Any failure raises
:class:`BundleRefused` with one sentence for the user, and leaves nothing behind.

Importing (:func:`import_bundle`) stores the blobs first, then merges the operations in one
transaction (``Workspace.apply_ops``), so an operation never names a photo that is not on disk.
Merging is idempotent: a bundle imported twice changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from storage import Op, Workspace
from storage.hlc import HLC_PATTERN
from storage.oplog import MAX_ID_LENGTH
from sync.kit_archive import KitRefused, check_directory
from sync.kit_format import MIB, KitLimits, canonical_json
from sync.zip_reading import DAMAGED_ZIP_ERRORS, Staged, read_at_most, stream_entry

__all__ = [
    "BUNDLE_FORMAT_NAME",
    "BUNDLE_FORMAT_VERSION",
    "BUNDLE_SUFFIX",
    "BundleManifest",
    "BundleRefused",
    "ImportResult",
    "VerifiedBundle",
    "export_bundle",
    "import_bundle",
    "read_bundle",
]

log = logging.getLogger(__name__)

BUNDLE_SUFFIX = ".rvbundle"
BUNDLE_FORMAT_NAME = "reviewer-app.team-bundle"
BUNDLE_FORMAT_VERSION = 1

MANIFEST_NAME = "manifest.json"
HMAC_NAME = "manifest.hmac"
OPS_NAME = "ops.jsonl"
BLOBS_DIR = "blobs/"
HMAC_SIZE = 64  # hex digits of a SHA-256 HMAC

#: What a reader accepts before it reads any content: a kit's limits (20,000 entries, 4 GiB,
#: 100:1 above 1 MiB, an 8 MiB manifest), which a visit's bundle fits with room to spare.
BUNDLE_LIMITS = KitLimits()
#: ``ops.jsonl`` is parsed in memory: ~300 bytes an op, so this is well over a million ops.
MAX_OPS_SIZE = 512 * MIB

#: What the user can do about a bundle that is damaged, changed or not for this visit.
EXPORT_AGAIN = "ask its sender to export it again"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CLAIMED_VISIT = re.compile(rb'"visit_id"\s*:\s*"([^"\\]{1,200})"')


class BundleRefused(Exception):
    """A bundle that will not be imported. ``str(exc)`` is one sentence for the user.

    ``reason`` is a short fixed word for programs and tests: ``not_found``, ``not_zip``,
    ``unsafe``, ``too_big``, ``bad_hmac``, ``other_visit``, ``newer_version``, ``tampered`` or
    ``invalid``.
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _refuse(message: str, reason: str) -> NoReturn:
    raise BundleRefused(message, reason=reason)


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """What ``manifest.json`` says. ``blobs`` maps each attachment's SHA-256 to its size."""

    bundle_id: str
    visit_id: str
    kit_id: str
    member_id: str
    device_id: str
    created_at: str
    op_count: int
    ops_sha256: str
    ops_size: int
    blobs: Mapping[str, int] = field(default_factory=dict)
    format_version: int = BUNDLE_FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT_NAME,
            "format_version": self.format_version,
            "bundle_id": self.bundle_id,
            "visit_id": self.visit_id,
            "kit_id": self.kit_id,
            "member_id": self.member_id,
            "device_id": self.device_id,
            "created_at": self.created_at,
            "op_count": self.op_count,
            "ops_sha256": self.ops_sha256,
            "ops_size": self.ops_size,
            "blobs": dict(sorted(self.blobs.items())),
        }

    @classmethod
    def from_dict(cls, d: Any) -> BundleManifest:
        """A manifest from parsed JSON; ``ValueError`` names the first bad field."""
        if not isinstance(d, dict):
            raise ValueError("the manifest is not a JSON object")
        text = {
            name: _text(d, name)
            for name in ("bundle_id", "visit_id", "kit_id", "member_id", "device_id", "created_at")
        }
        try:
            datetime.fromisoformat(text["created_at"])
        except ValueError:
            raise ValueError(f"created_at {text['created_at']!r} is not a date and time") from None
        ops_sha256 = _text(d, "ops_sha256")
        if not _SHA256.match(ops_sha256):
            raise ValueError("ops_sha256 is not a SHA-256 in lower-case hex")
        blobs = d.get("blobs")
        if not isinstance(blobs, dict):
            raise ValueError("blobs is not a JSON object")
        for sha, size in blobs.items():
            if not _SHA256.match(sha) or not _is_count(size):
                raise ValueError(f"blobs[{sha!r}] is not a SHA-256 with a size")
        return cls(
            **text,
            op_count=_count(d, "op_count"),
            ops_sha256=ops_sha256,
            ops_size=_count(d, "ops_size"),
            blobs=MappingProxyType(dict(blobs)),
            format_version=_count(d, "format_version"),
        )


def _text(d: Mapping[str, Any], name: str) -> str:
    value = d.get(name)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValueError(f"{name} is missing or not a short text")
    return value


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(d: Mapping[str, Any], name: str) -> int:
    value = d.get(name)
    if not _is_count(value):
        raise ValueError(f"{name} is missing or not a whole number")
    assert isinstance(value, int)
    return value


def manifest_hmac(manifest_bytes: bytes, team_key: bytes) -> str:
    """The hex HMAC-SHA256 of the manifest's exact bytes with the kit's team key."""
    return hmac.new(team_key, manifest_bytes, hashlib.sha256).hexdigest()


# -- export ---------------------------------------------------------------------------------------


def photo_blobs(ops: list[Op]) -> list[str]:
    """The attachments the ops name (values of fields called ``sha256``), each once, in order."""
    found: dict[str, None] = {}
    for op in ops:
        if op.field == "sha256" and isinstance(op.value, str) and _SHA256.match(op.value):
            found[op.value] = None
    return list(found)


def export_bundle(
    ws: Workspace,
    out: Path,
    *,
    member_id: str,
    team_key: bytes,
    kit_id: str,
    now: datetime | None = None,
) -> BundleManifest:
    """Write everything ``ws`` knows into a bundle at ``out``, authenticated with ``team_key``.

    The zip is written to a temporary file beside ``out`` and renamed into place, so a bundle at
    ``out`` is always whole. Attachments the blob store lacks (named by an op but never received)
    are left out; the ops still travel.
    """
    info = ws.kit_info()
    if info is None:
        raise ValueError("this workspace has no kit loaded, so it has no visit to export")
    visit_id = str(info["visit_id"])
    created = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            ops = list(ws.ops())
            ops_size, ops_sha = _write_ops(zf, ops)
            blobs: dict[str, int] = {}
            for sha in photo_blobs(ops):
                if ws.blobs.has(sha):
                    path = ws.blobs.path(sha)
                    # Photos are JPEGs, already compressed: stored as they are.
                    zf.write(path, BLOBS_DIR + sha, compress_type=zipfile.ZIP_STORED)
                    blobs[sha] = path.stat().st_size
            manifest = BundleManifest(
                bundle_id=str(uuid.uuid4()),
                visit_id=visit_id,
                kit_id=kit_id,
                member_id=member_id,
                device_id=ws.device_id,
                created_at=created,
                op_count=len(ops),
                ops_sha256=ops_sha,
                ops_size=ops_size,
                blobs=MappingProxyType(blobs),
            )
            manifest_bytes = canonical_json(manifest.to_dict())
            zf.writestr(MANIFEST_NAME, manifest_bytes)
            zf.writestr(HMAC_NAME, manifest_hmac(manifest_bytes, team_key))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("bundle %s written: %d ops, %d blobs", out, manifest.op_count, len(blobs))
    return manifest


def _write_ops(zf: zipfile.ZipFile, ops: list[Op]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with zf.open(OPS_NAME, "w", force_zip64=True) as f:
        for i in range(0, len(ops), 1000):
            chunk = "".join(op.to_json_line() + "\n" for op in ops[i : i + 1000]).encode("utf-8")
            digest.update(chunk)
            size += len(chunk)
            f.write(chunk)
    return size, digest.hexdigest()


# -- read and verify ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedBundle(Staged):
    """A bundle that passed every check: its ops in memory, its blobs in a staging ``folder``.

    Use it as a context manager, or call :meth:`cleanup`, to remove the staging folder.
    """

    manifest: BundleManifest
    ops: list[Op]
    blob_paths: dict[str, Path]
    folder: Path
    file: Path
    ops_known: bool = False
    """Its ``ops.jsonl`` was imported in full before (same hash): ``ops`` is empty, unread."""


def read_bundle(
    path: Path,
    *,
    visit_id: str,
    team_key: bytes,
    staging_root: Path,
    have_blob: Callable[[str], bool] | None = None,
    known_ops: Callable[[str], bool] | None = None,
) -> VerifiedBundle:
    """Check the bundle at ``path`` for ``visit_id`` and unpack its blobs under ``staging_root``.

    Blobs for which ``have_blob(sha)`` is true are neither unpacked nor checked: the workspace
    already holds that exact content (it is named by its hash), and nothing of them is used.
    Likewise the operations, when ``known_ops(ops_sha256)`` is true (see :func:`known_ops_in`):
    the HMAC'd manifest names the same ``ops.jsonl`` as one imported in full before, so
    importing it again could add nothing; bringing the same bundle twice costs little.

    Raises :class:`BundleRefused` when any check fails, leaving nothing under ``staging_root``
    (a folder is made there only once the HMAC has verified).
    """
    path = Path(path)
    name = path.name
    folder: Path | None = None
    try:
        zf = _open_zip(path)
        with zf, _refuse_damaged(name):
            files = _check_directory(zf, name)
            manifest_bytes = _check_hmac(zf, files, name, visit_id, team_key)
            manifest = _parse_manifest(manifest_bytes, name, visit_id)
            _check_file_list(files, manifest, name)
            ops_known = known_ops is not None and known_ops(manifest.ops_sha256)
            ops = [] if ops_known else _read_ops(zf, files[OPS_NAME], manifest, name)
            folder = _make_folder(staging_root, name)
            blob_paths = _extract_blobs(zf, files, manifest, name, folder, have_blob=have_blob)
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info(
        "bundle %s verified: visit %s, member %s, device %s, %d ops, %d blobs",
        name,
        manifest.visit_id,
        manifest.member_id,
        manifest.device_id,
        manifest.op_count,
        len(blob_paths),
    )
    return VerifiedBundle(manifest, ops, blob_paths, folder, path, ops_known)


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        _refuse(f"{path} does not exist or is not a file; check the name.", "not_found")
    try:
        return zipfile.ZipFile(path)
    except (*DAMAGED_ZIP_ERRORS, OSError) as exc:
        log.info("bundle %s does not open as a zip: %r", path, exc)
        raise BundleRefused(
            f"{path.name} is not a team bundle (not a zip archive, or an incomplete copy of "
            f"one); check you chose the right file, or {EXPORT_AGAIN}.",
            reason="not_zip",
        ) from exc


@contextlib.contextmanager
def _refuse_damaged(name: str) -> Iterator[None]:
    try:
        yield
    except DAMAGED_ZIP_ERRORS as exc:
        log.info("bundle %s is damaged: %r", name, exc)
        raise BundleRefused(
            f"{name} is damaged or was changed after it was exported ({exc}); "
            f"nothing was imported: {EXPORT_AGAIN}.",
            reason="tampered",
        ) from exc


def _check_directory(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    try:
        return check_directory(zf, name, BUNDLE_LIMITS)
    except KitRefused as exc:  # the checks are the kit's; the words must be the bundle's
        log.info("bundle %s refused by the zip checks: %s", name, exc)
        if exc.reason == "too_big":
            _refuse(
                f"{name} is bigger than a team bundle may be (too many entries, too many bytes, "
                "or an entry that inflates too far); it was not imported.",
                "too_big",
            )
        _refuse(
            f"{name} is not a safe team bundle (an entry has an unsafe name or form); "
            f"do not import it, and {EXPORT_AGAIN}.",
            "unsafe",
        )


def _check_hmac(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    name: str,
    visit_id: str,
    team_key: bytes,
) -> bytes:
    """The manifest's exact bytes, once their HMAC has verified with the team key."""
    if MANIFEST_NAME not in files or HMAC_NAME not in files:
        _refuse(
            f"{name} is not a team bundle (it has no manifest.json or manifest.hmac); "
            "check you chose the right file.",
            "not_zip",
        )
    limit = BUNDLE_LIMITS.max_manifest_size
    manifest_bytes = read_at_most(zf, files[MANIFEST_NAME], limit)
    if len(manifest_bytes) > limit:
        _refuse(f"{name} has a manifest bigger than it declares; {EXPORT_AGAIN}.", "too_big")
    mac = read_at_most(zf, files[HMAC_NAME], HMAC_SIZE).strip()
    expected = manifest_hmac(manifest_bytes, team_key).encode("ascii")
    if hmac.compare_digest(mac, expected):
        return manifest_bytes
    # Not made with this visit's team key. The visit id the manifest claims (found by a
    # pattern: an unverified manifest is never parsed) only chooses the better sentence.
    match = _CLAIMED_VISIT.search(manifest_bytes)
    claimed = match.group(1).decode("utf-8", "replace") if match else None
    if claimed is not None and claimed != visit_id:
        _refuse(
            f"{name} is from another visit ({claimed}), not this one ({visit_id}); "
            "nothing was imported: import it into its own visit.",
            "other_visit",
        )
    _refuse(
        f"{name} was not made with this visit's team key, or was changed after it was "
        f"exported, so it cannot be trusted; nothing was imported: {EXPORT_AGAIN}.",
        "bad_hmac",
    )


def _parse_manifest(data: bytes, name: str, visit_id: str) -> BundleManifest:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        _refuse(f"{name} has a manifest that is not valid JSON; {EXPORT_AGAIN}.", "invalid")
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT_NAME:
        _refuse(f"{name} is not a team bundle; check you chose the right file.", "invalid")
    version = doc.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > 1:
        _refuse(
            f"{name} was made by a newer version of Reviewer App (bundle format version "
            f"{version}; this app reads version {BUNDLE_FORMAT_VERSION}); update Reviewer App "
            "and import it again.",
            "newer_version",
        )
    if version != BUNDLE_FORMAT_VERSION:
        _refuse(
            f"{name} has a bundle format version ({version!r}) this app does not read; "
            f"{EXPORT_AGAIN}.",
            "invalid",
        )
    try:
        manifest = BundleManifest.from_dict(doc)
    except ValueError as exc:
        _refuse(f"{name} has a manifest that is not valid ({exc}); {EXPORT_AGAIN}.", "invalid")
    if manifest.visit_id != visit_id:
        _refuse(
            f"{name} is from another visit ({manifest.visit_id}), not this one ({visit_id}); "
            "nothing was imported: import it into its own visit.",
            "other_visit",
        )
    return manifest


def _check_file_list(
    files: Mapping[str, zipfile.ZipInfo], manifest: BundleManifest, name: str
) -> None:
    present = set(files)
    wanted = {MANIFEST_NAME, HMAC_NAME, OPS_NAME} | {BLOBS_DIR + sha for sha in manifest.blobs}
    missing = sorted(wanted - present)
    extra = sorted(present - wanted)
    if missing or extra:
        what = f"lacks {missing[0]!r}" if missing else f"holds {extra[0]!r}, which it should not"
        _refuse(
            f"{name} {what}, so it was changed or damaged after it was exported; "
            f"nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )
    if manifest.ops_size > MAX_OPS_SIZE:
        _refuse(
            f"{name} holds {manifest.ops_size:,} bytes of operations, more than this app reads "
            f"({MAX_OPS_SIZE:,}); it was not imported.",
            "too_big",
        )


def _changed(name: str, what: str) -> NoReturn:
    _refuse(
        f"{name} was changed or damaged after it was exported ({what}); nothing was imported: "
        f"{EXPORT_AGAIN}.",
        "tampered",
    )


def _read_ops(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, manifest: BundleManifest, name: str
) -> list[Op]:
    chunks: list[bytes] = []
    size, sha = stream_entry(zf, info, manifest.ops_size, chunks.append)
    if size != manifest.ops_size or sha != manifest.ops_sha256:
        _changed(name, "its operations do not match its manifest")
    data = b"".join(chunks)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) != manifest.op_count:
        _changed(name, f"{len(lines):,} operations where its manifest says {manifest.op_count:,}")
    fast = _parse_ops_fast(lines)
    if fast is not None:
        return fast
    ops: list[Op] = []
    for number, line in enumerate(lines, start=1):  # slow, to name the line that is wrong
        try:
            ops.append(Op.from_json(line))
        except ValueError as exc:
            _refuse(
                f"{name} has an operation that is not valid (line {number} of ops.jsonl: "
                f"{exc}); nothing was imported: {EXPORT_AGAIN}.",
                "invalid",
            )
    return ops


_OP_KEYS = frozenset(
    ("op_id", "hlc", "device_id", "member_id", "entity", "entity_id", "field", "value", "base")
)
_OP_TEXT = ("op_id", "device_id", "member_id", "entity", "entity_id", "field")


def _no_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not allowed")


def _parse_ops_fast(lines: list[bytes]) -> list[Op] | None:
    """The ops of well-formed lines, parsed as one JSON array; ``None`` when anything is off.

    The checks are ``Op.from_json``'s, made in bulk (parsing 40,000 lines one by one costs
    more than the rest of an import). On ``None`` the caller parses line by line with
    ``Op.from_json``, whose message names what is wrong. Strict JSON (no NaN or infinities)
    means every parsed value can be stored as JSON again.
    """
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, list) or len(parsed) != len(lines):
        return None
    if not all(_well_formed(d) for d in parsed):
        return None
    return [Op(**d) for d in parsed]


def _well_formed(d: object) -> bool:
    if not isinstance(d, dict) or d.keys() != _OP_KEYS:
        return False
    for key in _OP_TEXT:
        text = d[key]
        if type(text) is not str or not text or len(text) > MAX_ID_LENGTH:
            return False
    hlc, base = d["hlc"], d["base"]
    if type(hlc) is not str or not HLC_PATTERN.match(hlc):
        return False
    return base is None or (type(base) is str and bool(base))


def _make_folder(staging_root: Path, name: str) -> Path:
    try:
        staging_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="bundle-", dir=staging_root))
    except OSError as exc:
        raise BundleRefused(
            f"Cannot unpack {name} into {staging_root}: {exc.strerror or exc}; check there is "
            "free disk space and try again.",
            reason="invalid",
        ) from exc


def _extract_blobs(  # noqa: PLR0917 (one private step of read_bundle)
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    folder: Path,
    have_blob: Callable[[str], bool] | None = None,
) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for sha, expected in sorted(manifest.blobs.items()):
        if have_blob is not None and have_blob(sha):
            continue
        target = folder / sha  # a checked SHA-256: no path can come out of it
        with open(target, "xb") as f:
            size, actual = stream_entry(zf, files[BLOBS_DIR + sha], expected, f.write)
        if size != expected or actual != sha:
            _changed(name, f"attachment {sha[:12]}... does not match its manifest")
        out[sha] = target
    return out


# -- import ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing one bundle did.

    ``conflicts`` counts the workspace's unresolved conflicts, after the import, in which an op
    of this bundle is the winner or the loser, when the import brought anything new: the
    conflicts this bundle takes part in. A bundle that brings nothing new reports 0.
    """

    new: int
    known: int
    refused: list[tuple[Op, str]]
    conflicts: int


IMPORTED_OPS_KEY = "bundle_ops_imported"  # workspace-local: hashes of ops.jsonl stored in full


def known_ops_in(ws: Workspace) -> Callable[[str], bool]:
    """For :func:`read_bundle`: whether every op of an ``ops.jsonl`` with this hash is stored.

    Recorded only for bundles imported with nothing refused; the operation log never loses
    an op, so the answer stays true.
    """
    known = set(_imported_ops(ws))
    return known.__contains__


def _imported_ops(ws: Workspace) -> list[str]:
    stored = ws.get_local(IMPORTED_OPS_KEY)
    return [str(h) for h in stored] if isinstance(stored, list) else []


def _remember_ops(ws: Workspace, ops_sha256: str) -> None:
    known = _imported_ops(ws)
    if ops_sha256 not in known:
        ws.set_local(IMPORTED_OPS_KEY, [*known, ops_sha256])


def import_bundle(
    ws: Workspace, bundle: VerifiedBundle, *, accept: Callable[[Op], str | None] | None = None
) -> ImportResult:
    """Store the bundle's blobs, then merge its ops in one transaction (``accept`` may refuse
    some, with a reason). Importing the same bundle again changes nothing."""
    # Hashed against the HMAC'd manifest while they were unpacked: moved in, flushed together.
    ws.blobs.adopt(
        [(path, sha, bundle.manifest.blobs[sha]) for sha, path in bundle.blob_paths.items()]
    )
    if bundle.ops_known:
        return ImportResult(0, bundle.manifest.op_count, [], 0)
    result = ws.apply_ops(bundle.ops, accept=accept)
    if not result.refused:  # every op is in the log now: the same ops.jsonl can be skipped
        _remember_ops(ws, bundle.manifest.ops_sha256)
    if not result.new:
        return ImportResult(0, result.known, list(result.refused), 0)
    # The bundle's own ops (not re-read from the log: that parsed every new op back again).
    ids = {op.op_id for op in bundle.ops}
    conflicts = sum(1 for c in ws.conflicts() if c.winner.op_id in ids or c.loser.op_id in ids)
    return ImportResult(result.new, result.known, list(result.refused), conflicts)
