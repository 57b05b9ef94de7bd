"""Team bundles (``.rvbundle``): everything one laptop knows about a visit, for the others.

A bundle (DESIGN.md, "Team bundle", format version 2) is a zip archive of three entries::

    manifest.json     canonical JSON in clear: format, version, visit id, bundle id, the salt
                      and size of the encrypted content: all a lost stick shows
    manifest.hmac     hex HMAC-SHA256 of the exact manifest bytes, keyed with the kit's team key
    content           the content zip, encrypted (sync.bundle_crypto: AES-256-GCM in chunks,
                      key from the team key with HKDF, the clear manifest as associated data)

The content zip holds::

    manifest.json     canonical JSON: member, device, time, op count, hashes, blobs, and the
                      member -> device key bindings this laptop trusts (sync.authorship.Binding)
    ops.jsonl         every sealed operation of the workspace, one ``Op.to_json_line()`` a line
    ops.seals         for each line, 8 bytes: which seal covers it, and where in that seal
    seals.bin         the seals those ops name (sync.authorship.Seal.to_record), end to end
    blobs/<sha256>    every attachment an operation names (a field called ``sha256``)

Reading (:func:`read_bundle`) makes every check before anything changes: the outer file is a
sane zip; the manifest's HMAC verifies (nothing is parsed before); the format and version are
ones this app reads (version 1 is refused: it cannot say who wrote each operation); the visit is
the one asked for; the content decrypts whole and in order into a staging folder; the content
zip is sane and holds exactly what its manifest names; every line is an operation, with the
right size, hash and count; each op's seal is found and its hash is in it (an op whose seal is
missing, does not verify, or names another visit, member or device is marked unsigned and will
be refused); every blob has its size and hash. Any failure raises :class:`BundleRefused` with
one sentence for the user, and leaves nothing behind.

Importing (:func:`import_bundle`) records the bindings (pins, held keys: ``sync.pins``), stores
the blobs, then merges the operations in one transaction (``apply_op_batches``): an op signed
by a key pinned for its member and within the clock bounds is applied; one signed by a key not
yet confirmed, or beyond the clock bounds, is held back (``held_ops``); anything else is
refused. Merging is idempotent: a bundle imported twice changes nothing.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import re
import shutil
import struct
import tempfile
import time
import uuid
import zipfile
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeAlias, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage import Op, Workspace
from storage import authorship_tables as key_tables
from storage.attachments import BlobStore
from storage.hlc import HLC_PATTERN, clock_problem, clock_window, system_ms
from storage.oplog import (
    MAX_ID_LENGTH,
    Held,
    TooManyRefused,
    Verdict,
    apply_op_batches,
    checked_op,
)
from sync import bundle_crypto, pins
from sync.authorship import Binding, Seal, SealError, fingerprint_words
from sync.kit_archive import KitRefused, check_directory
from sync.kit_format import MIB, KitLimits, canonical_json
from sync.pins import KeyFlag
from sync.zip_reading import CHUNK, DAMAGED_ZIP_ERRORS, Staged, read_at_most, stream_entry

__all__ = [
    "BUNDLE_FORMAT_NAME",
    "BUNDLE_FORMAT_VERSION",
    "BUNDLE_SUFFIX",
    "BundleManifest",
    "BundleRefused",
    "ImportResult",
    "OpLimits",
    "VerifiedBundle",
    "export_bundle",
    "import_bundle",
    "read_bundle",
]

log = logging.getLogger(__name__)


def _read_only(items: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(items)


# A verified bundle goes from the process that read it ahead to the one that imports it
# (``read_each``): its manifest's read-only mappings travel as copies.
copyreg.pickle(MappingProxyType, lambda m: (_read_only, (dict(m),)))
_M = TypeVar("_M")

BUNDLE_SUFFIX = ".rvbundle"
BUNDLE_FORMAT_NAME = "reviewer-app.team-bundle"
BUNDLE_FORMAT_VERSION = 2
ENCRYPTION = "AES-256-GCM/HKDF-SHA256/1MiB"

MANIFEST_NAME = "manifest.json"
HMAC_NAME = "manifest.hmac"
CONTENT_NAME = "content"
OPS_NAME = "ops.jsonl"
REFS_NAME = "ops.seals"
SEALS_NAME = "seals.bin"
BLOBS_DIR = "blobs/"
HMAC_SIZE = 64  # hex digits of a SHA-256 HMAC
STAGED_CONTENT = "content.zip"
_REF = struct.Struct(">II")  # seal number in seals.bin, place in that seal

#: What a reader accepts before it reads any content: a kit's limits (20,000 entries, 4 GiB,
#: 100:1 above 1 MiB, an 8 MiB manifest), which a visit's bundle fits with room to spare.
BUNDLE_LIMITS = KitLimits()
#: ``ops.jsonl`` is read in batches, never whole: ~250 bytes an op, so two million ops.
MAX_OPS_SIZE = 512 * MIB
#: One line of ``ops.jsonl``: an op is a short value (a judgement, a note's text, a hash).
MAX_OP_LINE = 8 * MIB
#: Ops are parsed, checked and applied this many at a time, so memory holds one batch.
OP_BATCH = 5_000
#: Ops parsed while a bundle is read are kept for its import up to this many (~40 MB), which
#: spares a team's bundles a second parse; a bigger bundle is read again, in batches, when it
#: is imported (its hash checked again, inside the import's transaction).
KEEP_PARSED_OPS = 50_000
#: More refused ops than this and the bundle is refused as a whole (it is not this team's).
MAX_REFUSED_OPS = 1_000
#: More held ops than this and the bundle is refused as a whole: a laptop whose clock is wrong
#: holds all its ops back, a few thousand; a bundle of a million is not that.
MAX_HELD_OPS = 200_000
#: Seals one bundle may carry: a laptop seals what it made since its last export, one seal a
#: member; eight laptops exporting every quarter of an hour through three long days make ~1,000.
#: Each kept seal costs its hashes and ~1 KB, so a bundle of a seal an op cannot cost memory.
MAX_SEALS = 10_000
#: ``seals.bin``: a seal is 32 bytes an op, and a little more.
MAX_SEALS_SIZE = MAX_OPS_SIZE // 2
#: The most ops one field can get from honest editing: the window saves a text after a pause
#: in typing, and one save every ten seconds through three eight-hour days is 8,640.
MAX_OPS_PER_FIELD = 10_000

#: What the user can do about a bundle that is damaged, changed or not for this visit.
EXPORT_AGAIN = "ask its sender to export it again"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CLAIMED_VISIT = re.compile(rb'"visit_id"\s*:\s*"([^"\\]{1,200})"')


class BundleRefused(Exception):
    """A bundle that will not be imported. ``str(exc)`` is one sentence for the user.

    ``reason`` is a short fixed word for programs and tests: ``not_found``, ``not_zip``,
    ``unsafe``, ``too_big``, ``bad_hmac`` (not this visit's team key), ``other_visit``,
    ``newer_version``, ``old_version``, ``truncated``, ``reordered``, ``tampered``, ``invalid``
    or ``implausible`` (operations no real visit could make).
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _refuse(message: str, reason: str) -> NoReturn:
    raise BundleRefused(message, reason=reason)


@dataclass(frozen=True, slots=True)
class OpLimits:
    """How many operations a bundle may hold before it is refused as one no visit could make.

    ``max_ops`` is checked against the manifest's count before ``ops.jsonl`` is read;
    ``max_ops_per_field`` while it is read, before anything changes. ``scope`` completes "a
    real visit ... could make" in the sentence (e.g. "of 60 standards, 2 components and 6
    team members"). The visit's limits come from its kit (``reviewer_app.team.bundles.op_limits``).
    """

    max_ops: int
    max_ops_per_field: int = MAX_OPS_PER_FIELD
    scope: str = ""


#: Without a kit to judge by: what the format itself reads.
FORMAT_LIMITS = OpLimits(max_ops=MAX_OPS_SIZE // 64)


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
    seals_sha256: str = hashlib.sha256(b"").hexdigest()
    seals_size: int = 0
    keys: tuple[Binding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT_NAME,
            "format_version": self.format_version,
            "seals_sha256": self.seals_sha256,
            "seals_size": self.seals_size,
            "keys": [b.to_dict() for b in self.keys],
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
        seals_sha256 = _text(d, "seals_sha256")
        if not _SHA256.match(seals_sha256):
            raise ValueError("seals_sha256 is not a SHA-256 in lower-case hex")
        keys = d.get("keys")
        if not isinstance(keys, list) or len(keys) > MAX_KEYS:
            raise ValueError(f"keys is not a list of at most {MAX_KEYS} device bindings")
        try:
            bindings = tuple(Binding.from_dict(k) for k in keys)
        except SealError as exc:
            raise ValueError(str(exc)) from None
        return cls(
            **text,
            op_count=_count(d, "op_count"),
            ops_sha256=ops_sha256,
            ops_size=_count(d, "ops_size"),
            blobs=MappingProxyType(dict(blobs)),
            format_version=_count(d, "format_version"),
            seals_sha256=seals_sha256,
            seals_size=_count(d, "seals_size"),
            keys=bindings,
        )


#: Device bindings one bundle may carry: a team of ten who each changed laptop twice has 30.
MAX_KEYS = 1_000


@dataclass(frozen=True, slots=True)
class OuterManifest:
    """What a bundle shows in clear: enough to choose the visit, and to decrypt the rest."""

    visit_id: str
    bundle_id: str
    salt: str
    content_size: int
    format_version: int = BUNDLE_FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT_NAME,
            "format_version": self.format_version,
            "visit_id": self.visit_id,
            "bundle_id": self.bundle_id,
            "encryption": ENCRYPTION,
            "salt": self.salt,
            "content_size": self.content_size,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OuterManifest:
        salt = _text(d, "salt")
        if not re.fullmatch(r"[0-9a-f]{32}", salt):
            raise ValueError("salt is not 16 bytes in hex")
        if d.get("encryption") != ENCRYPTION:
            raise ValueError(f"encryption {d.get('encryption')!r} is not {ENCRYPTION}")
        return cls(
            visit_id=_text(d, "visit_id"),
            bundle_id=_text(d, "bundle_id"),
            salt=salt,
            content_size=_count(d, "content_size"),
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


def export_bundle(  # noqa: PLR0913 (each names what the bundle says)
    ws: Workspace,
    out: Path,
    *,
    member_id: str,
    team_key: bytes,
    kit_id: str,
    device_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> BundleManifest:
    """Write everything ``ws`` knows into a bundle at ``out``, encrypted with ``team_key``.

    First this laptop's ops that no seal covers are sealed with ``device_key`` (stored in
    ``ws``). The content zip is written beside ``out``, encrypted into the bundle, and the
    bundle renamed into place, so a bundle at ``out`` is always whole. Attachments the blob
    store lacks (named by an op but never received) are left out; the ops still travel. Ops
    no seal covers (another laptop's, received before bundles were signed) cannot be proved
    to be their authors' and are left out.
    """
    info = ws.kit_info()
    if info is None:
        raise ValueError("this workspace has no kit loaded, so it has no visit to export")
    visit_id = str(info["visit_id"])
    created = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with ws.transaction() as conn:
        pins.pin_own_key(
            conn, device_key, visit_id=visit_id, member_id=member_id, device_id=ws.device_id
        )
        pins.seal_own_ops(conn, device_key, visit_id=visit_id, device_id=ws.device_id)
        bindings = tuple(pins.trusted_bindings(conn))
    bundle_id = str(uuid.uuid4())
    inner = _temp_beside(out, ".content")
    tmp = _temp_beside(out, ".tmp")
    try:
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            ops_size, ops_sha, op_count, seal_ids, blob_hashes = _write_ops(zf, ws)
            seals_size, seals_sha = _write_seals(zf, ws, seal_ids)
            blobs: dict[str, int] = {}
            for sha in blob_hashes:
                if ws.blobs.has(sha):
                    path = ws.blobs.path(sha)
                    # Photos are JPEGs, already compressed: stored as they are.
                    zf.write(path, BLOBS_DIR + sha, compress_type=zipfile.ZIP_STORED)
                    blobs[sha] = path.stat().st_size
            manifest = BundleManifest(
                bundle_id=bundle_id,
                visit_id=visit_id,
                kit_id=kit_id,
                member_id=member_id,
                device_id=ws.device_id,
                created_at=created,
                op_count=op_count,
                ops_sha256=ops_sha,
                ops_size=ops_size,
                blobs=MappingProxyType(blobs),
                seals_sha256=seals_sha,
                seals_size=seals_size,
                keys=bindings,
            )
            zf.writestr(MANIFEST_NAME, canonical_json(manifest.to_dict()))
        _encrypt_into(tmp, inner, team_key, visit_id, bundle_id)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        inner.unlink(missing_ok=True)
    log.info("bundle %s written: %d ops, %d blobs", out, manifest.op_count, len(blobs))
    return manifest


def _temp_beside(out: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    os.close(fd)
    return Path(name)


def _encrypt_into(
    target: Path, inner: Path, team_key: bytes, visit_id: str, bundle_id: str
) -> None:
    """Write the bundle file: the clear manifest, its HMAC, and ``inner`` encrypted."""
    plain_size = inner.stat().st_size
    outer = OuterManifest(
        visit_id=visit_id,
        bundle_id=bundle_id,
        salt=bundle_crypto.new_salt().hex(),
        content_size=bundle_crypto.encrypted_size(plain_size),
    )
    outer_bytes = canonical_json(outer.to_dict())
    key = bundle_crypto.content_key(team_key, bytes.fromhex(outer.salt))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST_NAME, outer_bytes)
        zf.writestr(HMAC_NAME, manifest_hmac(outer_bytes, team_key))
        with open(inner, "rb") as src, zf.open(CONTENT_NAME, "w", force_zip64=True) as dst:
            bundle_crypto.encrypt(src, plain_size, dst.write, key=key, aad=outer_bytes)
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


def _write_ops(zf: zipfile.ZipFile, ws: Workspace) -> tuple[int, str, int, list[str], list[str]]:
    """Write ``ops.jsonl`` and ``ops.seals`` from every sealed op of ``ws``, read 1,000 at a
    time; return the size and SHA-256 of ``ops.jsonl``, the op count, the seals named (in
    the order their numbers give) and the attachments named."""
    digest = hashlib.sha256()
    size = count = 0
    seal_numbers: dict[str, int] = {}
    found: dict[str, None] = {}
    refs = bytearray()  # 8 bytes an op: 8 MB for a million, written once ops.jsonl is closed
    with ws.transaction() as conn:  # one consistent read of the log
        ops = key_tables.sealed_ops(conn)
        with zf.open(OPS_NAME, "w", force_zip64=True) as f:
            for chunk_ops in batches(ops, 1000):
                chunk = "".join(op.to_json_line() + "\n" for op in chunk_ops).encode("utf-8")
                digest.update(chunk)
                size += len(chunk)
                count += len(chunk_ops)
                f.write(chunk)
                for op in chunk_ops:
                    number = seal_numbers.setdefault(str(op.seal), len(seal_numbers))
                    refs += _REF.pack(number, op.seal_pos or 0)
                    if op.field == "sha256" and isinstance(op.value, str):
                        if _SHA256.match(op.value):
                            found[op.value] = None
    zf.writestr(REFS_NAME, bytes(refs))
    return size, digest.hexdigest(), count, list(seal_numbers), list(found)


def _write_seals(zf: zipfile.ZipFile, ws: Workspace, seal_ids: list[str]) -> tuple[int, str]:
    with ws.transaction() as conn:
        return write_seals(
            zf,
            (
                Seal.parse(body, hashes, signature)
                for _sid, body, hashes, signature in key_tables.seal_rows(conn, seal_ids)
            ),
        )


def write_seals(zf: zipfile.ZipFile, seals: Iterable[Seal]) -> tuple[int, str]:
    """Write ``seals.bin``: each seal's record, end to end; return its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with zf.open(SEALS_NAME, "w", force_zip64=True) as f:
        for seal in seals:
            record = seal.to_record()
            digest.update(record)
            size += len(record)
            f.write(record)
    return size, digest.hexdigest()


def batches(items: Iterable[Op], n: int) -> Iterator[list[Op]]:
    """``items`` in lists of ``n`` (the last may be shorter), read once."""
    batch: list[Op] = []
    for item in items:
        batch.append(item)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


# -- read and verify ------------------------------------------------------------------------------


#: Why an op no valid seal covers is refused (``Op.seal_pos`` holds the code when ``seal`` is None).
UNSIGNED, BAD_SIGNATURE, OTHER_VISIT = -1, -2, -3
UNSIGNED_REASONS = {
    UNSIGNED: "it is not signed by the device of the member it names, so it was forged or "
    "changed after it was made",
    BAD_SIGNATURE: "its seal's signature does not verify, so it was forged or changed after it "
    "was made",
    OTHER_VISIT: "it was signed for another visit, so it was copied from that visit's work",
}

SealTable = list["Seal | int"]
"""The seals of ``seals.bin`` by number: a :class:`Seal` that verifies, or why not (a code)."""


@dataclass(frozen=True, slots=True)
class VerifiedBundle(Staged):
    """A bundle that passed every check, its content and blobs in a staging ``folder``.

    Its ops are in ``ops`` when there are at most ``KEEP_PARSED_OPS`` of them; a bigger
    bundle is ``streamed``: ``ops`` is empty and :meth:`op_batches` reads them again from
    the decrypted ``content``. Each op's ``seal`` names the verified seal that covers it, or is
    ``None`` (its ``seal_pos`` then says why: :data:`UNSIGNED_REASONS`). Use it as a context
    manager, or call :meth:`cleanup`, to remove the folder.
    """

    manifest: BundleManifest
    ops: list[Op]
    blob_paths: dict[str, Path]
    folder: Path
    file: Path
    ops_known: bool = False
    """Its ``ops.jsonl`` was imported in full before (same hash): ``ops`` is empty, unread."""
    streamed: bool = False
    """Too many ops to keep: :meth:`op_batches` reads them from ``content`` again."""
    seals: SealTable = field(default_factory=list)
    content: Path | None = None

    @property
    def verified_seals(self) -> list[Seal]:
        return [seal for seal in self.seals if isinstance(seal, Seal)]

    def op_batches(self) -> Iterator[Sequence[Op]]:
        """The bundle's ops, ``OP_BATCH`` at a time. A streamed bundle's ``ops.jsonl`` is read
        again and checked as it goes: a file changed since it was verified raises
        :class:`BundleRefused` (by the last batch at the latest: the caller's transaction must
        roll back)."""
        if not self.streamed:
            for start in range(0, len(self.ops), OP_BATCH):
                yield self.ops[start : start + OP_BATCH]
            return
        assert self.content is not None
        name = self.file.name
        with _open_zip(self.content) as zf, _refuse_damaged(name):
            files = {info.filename: info for info in zf.infolist()}
            for _first, batch in _sealed_batches(zf, files, self.manifest, name, self.seals):
                yield batch


def read_bundle(  # noqa: PLR0913 (the reader's choices, each with a default)
    path: Path,
    *,
    visit_id: str,
    team_key: bytes,
    staging_root: Path,
    have_blob: Callable[[str], bool] | None = None,
    known_ops: Callable[[str], bool] | None = None,
    limits: OpLimits = FORMAT_LIMITS,
) -> VerifiedBundle:
    """Check the bundle at ``path`` for ``visit_id``; decrypt it and unpack its blobs under
    ``staging_root``.

    Blobs for which ``have_blob(sha)`` is true are neither unpacked nor checked: the workspace
    already holds that exact content (it is named by its hash), and nothing of them is used.
    Likewise the operations, when ``known_ops(ops_sha256)`` is true (see :func:`known_ops_in`):
    the authenticated manifest names the same ``ops.jsonl`` as one imported in full before, so
    importing it again could add nothing; bringing the same bundle twice costs little.

    ``limits`` refuses a bundle with more ops than a real visit could make: the manifest's
    count before ``ops.jsonl`` is read, the ops on each field while it is read. The ops are
    read in batches of ``OP_BATCH`` and kept only up to ``KEEP_PARSED_OPS``, so memory stays
    small whatever the bundle holds.

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
            outer_bytes = _check_hmac(zf, files, name, visit_id, team_key)
            outer = _parse_outer(outer_bytes, name, visit_id)
            _check_outer_files(files, name)
            folder = _make_folder(staging_root, name)
            content = folder / STAGED_CONTENT
            _decrypt(zf, files[CONTENT_NAME], outer, outer_bytes, team_key, content, name)
        inner = _open_zip(content)
        with inner, _refuse_damaged(name):
            files = _check_directory(inner, name)
            manifest = _parse_manifest(_read_inner_manifest(inner, files, name), name, visit_id)
            if manifest.bundle_id != outer.bundle_id:
                _changed(name, "its content is another bundle's")
            _check_file_list(files, manifest, name)
            _check_op_count(manifest, name, limits)
            seals = _read_seals(inner, files[SEALS_NAME], manifest, name)
            ops_known = known_ops is not None and known_ops(manifest.ops_sha256)
            streamed = not ops_known and manifest.op_count > KEEP_PARSED_OPS
            ops = [] if ops_known else _scan_ops(inner, files, manifest, name, limits, seals)
            blob_paths = _extract_blobs(inner, files, manifest, name, folder, have_blob=have_blob)
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info(
        "bundle %s verified: visit %s, member %s, device %s, %d ops, %d seals, %d blobs",
        name,
        manifest.visit_id,
        manifest.member_id,
        manifest.device_id,
        manifest.op_count,
        len(seals),
        len(blob_paths),
    )
    return VerifiedBundle(
        manifest, ops, blob_paths, folder, path, ops_known, streamed, seals, content
    )


@dataclass(frozen=True)
class BundleReader:
    """What reading a visit's bundles needs, as data (:func:`read_bundle` with these choices):
    plain values, so that a second process can read with it (see :func:`read_each`)."""

    visit_id: str
    team_key: bytes
    staging_root: Path
    blobs: BlobStore | None = None
    """Blobs already held are neither unpacked nor checked."""
    known: frozenset[str] = frozenset()
    """Hashes of ``ops.jsonl`` files imported in full before (:func:`known_ops_in`)."""
    limits: OpLimits = FORMAT_LIMITS

    @classmethod
    def for_workspace(  # noqa: PLR0913 (the reader's choices)
        cls,
        ws: Workspace,
        *,
        visit_id: str,
        team_key: bytes,
        staging_root: Path,
        limits: OpLimits = FORMAT_LIMITS,
    ) -> BundleReader:
        return cls(visit_id, team_key, staging_root, ws.blobs, frozenset(_imported_ops(ws)), limits)

    def __call__(self, path: Path) -> VerifiedBundle:
        return read_bundle(
            path,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=self.staging_root,
            have_blob=None if self.blobs is None else self.blobs.has,
            known_ops=self.known.__contains__,
            limits=self.limits,
        )


ReadOutcome: TypeAlias = "VerifiedBundle | BundleRefused"
READ_AHEAD_FROM_SECONDS = 0.5
"""Read the next bundles in a second process when reading them here would take this long."""


def read_each(
    files: Sequence[Path], read: Callable[[Path], VerifiedBundle]
) -> Generator[tuple[Path, ReadOutcome], None, None]:
    """``(file, read(file))`` for each file in turn, the bundle cleaned up once the caller is
    done with it. A refused file comes as its :class:`BundleRefused`; any other error is
    raised.

    With a :class:`BundleReader` and several files, the next file is read in a second process
    while the caller imports this one: reading (decrypting, hashing, checking seals, parsing)
    is Python's work under the GIL, so a thread cannot overlap it with the import, but a
    second core can. One file is read ahead, no more (a bundle's ops are held in memory until
    imported), and only when reading the rest here would take a while (``READ_AHEAD_FROM_SECONDS``,
    judged by the first file). Should the second process fail to start or die, the files are
    read here.
    """
    if not files:
        return
    started = time.perf_counter()
    first = _outcome(read, files[0])
    # Starting a process costs about a quarter of a second: worth it when reading the rest
    # here would take longer (not when they were all imported before, and read in a moment).
    rest = (time.perf_counter() - started) * (len(files) - 1)
    if not isinstance(read, BundleReader) or rest < READ_AHEAD_FROM_SECONDS:
        yield from _handed_over(files[0], first)
        for file in files[1:]:
            yield from _handed_over(file, _outcome(read, file))
        return
    with _ReadAhead(read) as ahead:
        ahead.submit(files[1])
        yield from _handed_over(files[0], first)
        for i, file in enumerate(files[1:], start=1):
            result = ahead.take(file)
            if i + 1 < len(files):
                ahead.submit(files[i + 1])
            yield from _handed_over(file, result)


def _outcome(read: Callable[[Path], VerifiedBundle], file: Path) -> ReadOutcome:
    try:
        return read(file)
    except BundleRefused as exc:
        return exc


def _handed_over(file: Path, result: ReadOutcome) -> Iterator[tuple[Path, ReadOutcome]]:
    try:
        yield file, result
    finally:
        if isinstance(result, VerifiedBundle):
            result.cleanup()


class _ReadAhead:
    """One file read ahead in a second process (``spawn``: safe beside Qt's threads)."""

    def __init__(self, read: BundleReader) -> None:
        self.read = read
        self.pool: ProcessPoolExecutor | None = None
        self.pending: Future[ReadOutcome] | None = None

    def __enter__(self) -> _ReadAhead:
        return self

    def submit(self, file: Path) -> None:
        try:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            self.pending = self.pool.submit(_outcome, self.read, file)
        except (OSError, RuntimeError, BrokenProcessPool) as exc:  # (cannot start one here)
            log.warning("reading bundles in this process: %s", exc)
            self.pending = None

    def take(self, file: Path) -> ReadOutcome:
        """The outcome for ``file``, read ahead, or here if that could not be done."""
        pending, self.pending = self.pending, None
        if pending is not None:
            try:
                return pending.result()
            except (BrokenProcessPool, OSError, EOFError) as exc:
                log.warning("the reading process stopped (%s): reading %s here", exc, file.name)
                self._stop()
        return _outcome(self.read, file)

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __exit__(self, *exc: object) -> None:
        """Stopped early (an error, or the caller closed the generator): what was read ahead
        is cleaned up, and the process ends."""
        pending, self.pending = self.pending, None
        self._stop()
        if pending is not None and pending.done() and not pending.cancelled():
            with contextlib.suppress(Exception):
                result = pending.result()
                if isinstance(result, VerifiedBundle):
                    result.cleanup()


def _parse_outer(data: bytes, name: str, visit_id: str) -> OuterManifest:
    outer = _parsed(OuterManifest.from_dict, data, name)
    _check_visit(outer.visit_id, visit_id, name)
    return outer


def _parsed(parse: Callable[[dict[str, Any]], _M], data: bytes, name: str) -> _M:
    """``parse`` of a manifest's JSON, its format and version checked; a sentence if invalid."""
    doc = _manifest_doc(data, name)
    try:
        return parse(doc)
    except ValueError as exc:
        _refuse(f"{name} has a manifest that is not valid ({exc}); {EXPORT_AGAIN}.", "invalid")


def _manifest_doc(data: bytes, name: str) -> dict[str, Any]:
    """The manifest's JSON, once its format and version are ones this app reads."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        _refuse(f"{name} has a manifest that is not valid JSON; {EXPORT_AGAIN}.", "invalid")
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT_NAME:
        _refuse(f"{name} is not a team bundle; check you chose the right file.", "invalid")
    version = doc.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool):
        if version > BUNDLE_FORMAT_VERSION:
            _refuse(
                f"{name} was made by a newer version of Reviewer App (bundle format version "
                f"{version}; this app reads version {BUNDLE_FORMAT_VERSION}); update Reviewer "
                "App and import it again.",
                "newer_version",
            )
        if version == 1:
            _refuse(
                f"{name} was made by an older version of Reviewer App (bundle format version "
                "1), whose bundles do not prove who wrote each change; nothing was imported: "
                "ask its sender to update Reviewer App and export it again.",
                "old_version",
            )
    if version != BUNDLE_FORMAT_VERSION:
        _refuse(
            f"{name} has a bundle format version ({version!r}) this app does not read; "
            f"{EXPORT_AGAIN}.",
            "invalid",
        )
    return doc


def _check_visit(claimed: str, visit_id: str, name: str) -> None:
    if claimed != visit_id:
        _refuse(
            f"{name} is from another visit ({claimed}), not this one ({visit_id}); "
            "nothing was imported: import it into its own visit.",
            "other_visit",
        )


def _check_outer_files(files: Mapping[str, zipfile.ZipInfo], name: str) -> None:
    extra = sorted(set(files) - {MANIFEST_NAME, HMAC_NAME, CONTENT_NAME})
    if CONTENT_NAME not in files or extra:
        what = f"holds {extra[0]!r}, which it should not" if extra else "has no content"
        _refuse(
            f"{name} {what}, so it was changed or damaged after it was exported; "
            f"nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )


def _decrypt(  # noqa: PLR0913, PLR0917 (one private step of read_bundle)
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    outer: OuterManifest,
    outer_bytes: bytes,
    team_key: bytes,
    target: Path,
    name: str,
) -> None:
    key = bundle_crypto.content_key(team_key, bytes.fromhex(outer.salt))
    try:
        with zf.open(info) as src, open(target, "xb") as out:
            bundle_crypto.decrypt(
                src.read, info.file_size, outer.content_size, out.write, key=key, aad=outer_bytes
            )
    except bundle_crypto.ContentProblem as exc:
        log.info("bundle %s content: %s (%s)", name, exc.kind, exc)
        if exc.kind == "truncated":
            _refuse(
                f"{name} is cut short (it holds {exc} of its content): it was not copied "
                "whole; nothing was imported: copy it again from its sender's laptop, or "
                f"{EXPORT_AGAIN}.",
                "truncated",
            )
        if exc.kind == "reordered":
            _refuse(
                f"{name} has its content out of order ({exc} is in the wrong place), so it "
                f"was changed after it was exported; nothing was imported: {EXPORT_AGAIN}.",
                "reordered",
            )
        _refuse(
            f"{name} was changed or damaged after it was exported ({exc} of its encrypted "
            f"content does not verify); nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )
    except OSError as exc:
        raise BundleRefused(
            f"Cannot unpack {name} into {target.parent}: {exc.strerror or exc}; check there "
            "is free disk space and try again.",
            reason="invalid",
        ) from exc


def _read_inner_manifest(
    zf: zipfile.ZipFile, files: Mapping[str, zipfile.ZipInfo], name: str
) -> bytes:
    if MANIFEST_NAME not in files:
        _changed(name, "its content has no manifest")
    limit = BUNDLE_LIMITS.max_manifest_size
    data = read_at_most(zf, files[MANIFEST_NAME], limit)
    if len(data) > limit:
        _refuse(f"{name} has a manifest bigger than it declares; {EXPORT_AGAIN}.", "too_big")
    return data


def _read_seals(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, manifest: BundleManifest, name: str
) -> SealTable:
    """Every seal of ``seals.bin``, checked: its signature, and that it is this visit's. Read
    one at a time: memory holds the seals' hashes (32 bytes an op), nothing more."""
    if manifest.seals_size > MAX_SEALS_SIZE or info.file_size != manifest.seals_size:
        _changed(name, "its seals do not match its manifest")
    digest = hashlib.sha256()
    table: SealTable = []
    # Each op is in one seal; a relayed seal may also list ops its relayer held back.
    room = manifest.op_count + MAX_HELD_OPS
    with zf.open(info) as src:

        def read(n: int) -> bytes:
            data = src.read(n)
            digest.update(data)
            return data

        while True:
            try:
                seal = Seal.read_record(read, room)
            except SealError:
                _changed(name, "its seals are not seals, or list more operations than it holds")
            if seal is None:
                break
            room -= seal.count
            if len(table) >= MAX_SEALS:
                _refuse(
                    f"{name} holds more than {MAX_SEALS:,} seals, more than a team makes in a "
                    "visit, so nothing was imported: ask its sender where it came from.",
                    "implausible",
                )
            if not seal.verify():
                table.append(BAD_SIGNATURE)
            elif seal.visit_id != manifest.visit_id:
                table.append(OTHER_VISIT)
            else:
                table.append(seal)
    if digest.hexdigest() != manifest.seals_sha256:
        _changed(name, "its seals do not match its manifest")
    return table


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
    manifest = _parsed(BundleManifest.from_dict, data, name)
    _check_visit(manifest.visit_id, visit_id, name)
    return manifest


def _check_file_list(
    files: Mapping[str, zipfile.ZipInfo], manifest: BundleManifest, name: str
) -> None:
    present = set(files)
    wanted = {MANIFEST_NAME, OPS_NAME, REFS_NAME, SEALS_NAME}
    wanted |= {BLOBS_DIR + sha for sha in manifest.blobs}
    missing = sorted(wanted - present)
    extra = sorted(present - wanted)
    if missing or extra:
        what = f"lacks {missing[0]!r}" if missing else f"holds {extra[0]!r}, which it should not"
        _refuse(
            f"{name} {what}, so it was changed or damaged after it was exported; "
            f"nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )
    if files[REFS_NAME].file_size != _REF.size * manifest.op_count:
        _changed(name, "its list of seals does not match its operations")
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


def _check_op_count(manifest: BundleManifest, name: str, limits: OpLimits) -> None:
    if manifest.op_count > limits.max_ops:
        scope = f" {limits.scope}" if limits.scope else ""
        _refuse(
            f"{name} holds {manifest.op_count:,} operations, more than a real visit{scope} "
            f"could make (at most {limits.max_ops:,}), so nothing was imported: ask its sender "
            "where it came from.",
            "implausible",
        )


def _scan_ops(  # noqa: PLR0913, PLR0917 (one private step of read_bundle)
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    limits: OpLimits,
    seals: SealTable,
) -> list[Op]:
    """Check every op of ``ops.jsonl`` in batches; the ops themselves when few enough to keep.

    A line that is not a valid op is reported only once the whole file's hash is known: a
    file changed after export is "changed", whatever its first bad line looks like.
    """
    keep = manifest.op_count <= KEEP_PARSED_OPS
    kept: list[Op] = []
    per_field = _FieldCounter(limits.max_ops_per_field)
    invalid: BundleRefused | None = None
    for first, lines, refs in _raw_batches(zf, files, manifest, name):
        if invalid is not None:
            continue  # still reading: the hash decides which sentence is true
        try:
            batch = _parse_batch(lines, first, name, refs, seals)
        except BundleRefused as exc:
            invalid = exc
            continue
        for op in batch:
            if per_field.add(op):
                _refuse_busy_field(name, op, limits.max_ops_per_field)
        if keep:
            kept.extend(batch)
    if invalid is not None:
        raise invalid
    return kept


def _raw_batches(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
) -> Iterator[tuple[int, list[bytes], bytes]]:
    """``(first line's number, lines, their entries of ops.seals)``, a batch at a time."""
    with zf.open(files[REFS_NAME]) as refs:
        for first, lines in _line_batches(zf, files[OPS_NAME], manifest, name):
            yield first, lines, refs.read(_REF.size * len(lines))


def _sealed_batches(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    seals: SealTable,
) -> Iterator[tuple[int, list[Op]]]:
    for first, lines, refs in _raw_batches(zf, files, manifest, name):
        yield first, _parse_batch(lines, first, name, refs, seals)


def _line_batches(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, manifest: BundleManifest, name: str
) -> Iterator[tuple[int, list[bytes]]]:
    """``(number of the first line, lines)`` of ``ops.jsonl``, ``OP_BATCH`` lines at a time.

    Reads at most one byte past the manifest's size. After the last batch (or as soon as the
    file is longer than announced) it checks the size, the hash and the count of lines
    against the manifest and raises :class:`BundleRefused` if any differs.
    """
    digest = hashlib.sha256()
    size = count = 0
    pending = b""
    batch: list[bytes] = []
    with zf.open(info) as src:
        while chunk := src.read(min(CHUNK, manifest.ops_size + 1 - size)):
            size += len(chunk)
            digest.update(chunk)
            if size > manifest.ops_size:
                break
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            if len(pending) > MAX_OP_LINE:
                _changed(name, f"an operation longer than {MAX_OP_LINE:,} bytes")
            batch.extend(lines)
            while len(batch) >= OP_BATCH:
                count += OP_BATCH
                if count > manifest.op_count:
                    break
                yield count - OP_BATCH + 1, batch[:OP_BATCH]
                del batch[:OP_BATCH]
            if count > manifest.op_count:
                break
    if pending:
        batch.append(pending)
    if size != manifest.ops_size or digest.hexdigest() != manifest.ops_sha256:
        _changed(name, "its operations do not match its manifest")
    if count + len(batch) != manifest.op_count:
        lines_read = count + len(batch)
        _changed(name, f"{lines_read:,} operations where its manifest says {manifest.op_count:,}")
    if batch:
        yield count + 1, batch


def _parse_batch(
    lines: list[bytes], first: int, name: str, refs: bytes, seals: SealTable
) -> list[Op]:
    """The ops of ``lines`` (line ``first`` onwards), each marked with the seal that covers it
    (``refs``: their entries of ``ops.seals``); :class:`BundleRefused` names a bad line."""
    if len(refs) != _REF.size * len(lines):
        _changed(name, "its list of seals does not match its operations")
    parsed = _parse_lines_fast(lines)
    ops = None if parsed is None else _sealed_ops(parsed, lines, refs, seals)
    if ops is not None:
        return ops
    slow = []
    for number, line in enumerate(lines, start=first):  # slow, to name the wrong line
        try:
            slow.append(Op.from_json(line).to_dict())
        except ValueError as exc:
            _refuse(
                f"{name} has an operation that is not valid (line {number} of ops.jsonl: "
                f"{exc}); nothing was imported: {EXPORT_AGAIN}.",
                "invalid",
            )
    ops = _sealed_ops(slow, lines, refs, seals)
    if ops is None:  # every line is an op alone, yet not all together: not ours
        _changed(name, "its operations are not one per line")
    return ops


def _sealed_ops(  # noqa: C901 (one loop, kept tight: it runs for every op of a merge)
    parsed: list[Any], lines: list[bytes], refs: bytes, seals: SealTable
) -> list[Op] | None:
    """The ops, checked as ``Op.from_json`` checks them (``None`` if any is not well formed),
    each with the seal that covers it: one that lists the hash of its exact line and names its
    member and device. Otherwise ``seal`` is ``None`` and ``seal_pos`` says why."""
    ops: list[Op] = []
    append = ops.append
    sha256 = hashlib.sha256
    count = len(seals)
    keys = _OP_KEYS
    longest = MAX_ID_LENGTH
    hlc_ok = HLC_PATTERN.match
    make = checked_op
    for d, line, (number, pos) in zip(parsed, lines, _REF.iter_unpack(refs), strict=True):
        if type(d) is not dict or d.keys() != keys:
            return None
        op_id, device, member = d["op_id"], d["device_id"], d["member_id"]
        entity, entity_id, name, hlc, base = (
            d["entity"], d["entity_id"], d["field"], d["hlc"], d["base"]
        )  # fmt: skip
        if not (
            type(op_id) is str
            and type(device) is str
            and type(member) is str
            and type(entity) is str
            and type(entity_id) is str
            and type(name) is str
            and type(hlc) is str
        ):
            return None
        if not (
            0 < len(op_id) <= longest
            and 0 < len(device) <= longest
            and 0 < len(member) <= longest
            and 0 < len(entity) <= longest
            and 0 < len(entity_id) <= longest
            and 0 < len(name) <= longest
            and hlc_ok(hlc)
        ):
            return None
        if base is not None and (type(base) is not str or not base):
            return None
        seal = seals[number] if number < count else UNSIGNED
        if isinstance(seal, int):
            seal_id, seal_pos = None, seal
        elif (
            seal.member_id == member
            and seal.device_id == device
            and seal.op_at(pos) == sha256(line).digest()
        ):
            seal_id, seal_pos = seal.seal_id, pos
        else:
            seal_id, seal_pos = None, UNSIGNED
        append(make(op_id, hlc, device, member, entity, entity_id, name, d["value"], base,
                  seal_id, seal_pos))  # fmt: skip
    return ops


class _FieldCounter:
    """Ops counted per field in fixed memory (4 MB): fields are hashed into 2**20 counters.

    Fields that share a counter only add up, so a field is never under-counted; an honest
    bundle (a few ops on each field) would need thousands of fields in one counter to reach
    the limit, which with even a million fields does not happen.
    """

    SIZE = 1 << 20

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts = array("I", bytes(4 * self.SIZE))

    def add(self, op: Op) -> bool:
        """Count ``op``; true when its field's counter passes the limit."""
        slot = hash((op.entity, op.entity_id, op.field)) & (self.SIZE - 1)
        self.counts[slot] += 1
        return self.counts[slot] > self.limit


def _refuse_busy_field(name: str, op: Op, limit: int) -> NoReturn:
    _refuse(
        f"{name} holds more than {limit:,} operations on one field ({op.entity} "
        f"{op.entity_id[:60]!r}, {op.field[:60]}), more than anyone makes by editing it, so "
        "nothing was imported: ask its sender where it came from.",
        "implausible",
    )


_OP_KEYS = frozenset(
    ("op_id", "hlc", "device_id", "member_id", "entity", "entity_id", "field", "value", "base")
)


def _no_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not allowed")


def _parse_lines_fast(lines: list[bytes]) -> list[Any] | None:
    """The lines parsed as one JSON array (parsing 40,000 lines one by one costs more than the
    rest of an import); ``None`` when that fails. Strict JSON (no NaN or infinities) means
    every parsed value can be stored as JSON again."""
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, list) or len(parsed) != len(lines):
        return None
    return parsed


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

    ``conflicts`` counts the workspace's unresolved conflicts, after the import, whose winner
    or loser this import added: the conflicts this bundle brought. A bundle that brings
    nothing new reports 0. ``held`` are the ops held back (with why), ``flagged`` the keys
    this bundle brought that another device claims for a member already pinned, ``released``
    how many ops held before are now applied.
    """

    new: int
    known: int
    refused: list[tuple[Op, str]]
    conflicts: int
    held: list[tuple[Op, str]] = field(default_factory=list)
    flagged: list[KeyFlag] = field(default_factory=list)
    released: int = 0
    pinned: int = 0
    """Keys this laptop saw for the first time (for members it had no key of)."""


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
    ws: Workspace,
    bundle: VerifiedBundle,
    *,
    accept: Callable[[Op], str | None] | None = None,
    now_ms: int | None = None,
) -> ImportResult:
    """Record the bundle's device bindings, store its blobs, then merge its ops, batch by
    batch, in one transaction. An op is applied only when a seal signed by a key this laptop
    trusts for its member covers it, ``accept`` (the visit's rules) does not refuse it, and
    its clock is within the bounds (``now_ms``: this laptop's clock); ops of a key not yet
    confirmed, or beyond the bounds, are held back. Importing the same bundle again changes
    nothing. Raises :class:`BundleRefused`, with the workspace's ops as they were, when more
    than ``MAX_REFUSED_OPS`` ops are refused (or ``MAX_HELD_OPS`` held) or a streamed
    ``ops.jsonl`` changed since it was read."""
    name = bundle.file.name
    now = system_ms() if now_ms is None else now_ms
    # Hashed against the manifest while they were unpacked: moved in and flushed together,
    # on a second thread while the ops are merged (fsync waits on the disk, not the CPU); the
    # transaction commits only once they are on disk, so no op names a photo that is not.
    blobs = [(path, sha, bundle.manifest.blobs[sha]) for sha, path in bundle.blob_paths.items()]
    try:
        # Workspace.apply_ops holds every op of a batch in memory; a bundle may hold a
        # million, so its batches go through one write transaction of the workspace instead.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-blobs") as side,
            ws.transaction() as conn,
        ):
            storing = side.submit(ws.blobs.adopt, blobs)
            keys_before = len(pins.key_states(conn))
            flagged = pins.record_bindings(
                conn, bundle.manifest.keys, visit_id=bundle.manifest.visit_id, seen_in=name
            )
            pinned = len(pins.key_states(conn)) - keys_before - len(flagged)
            if bundle.ops_known:
                storing.result()
                return ImportResult(
                    0, bundle.manifest.op_count, [], 0, flagged=flagged, pinned=pinned
                )
            seals = bundle.verified_seals
            for seal in seals:
                key_tables.store_seal(
                    conn,
                    seal_id=seal.seal_id,
                    member_id=seal.member_id,
                    device_id=seal.device_id,
                    public_key=seal.public_key,
                    body=seal.body,
                    hashes=seal.hashes,
                    signature=seal.signature,
                )
            keys = {seal.seal_id: seal.public_key for seal in seals}
            judge = _judge(pins.key_states(conn), keys.get, accept, now)
            applied = apply_op_batches(
                conn,
                bundle.op_batches(),
                accept=judge,
                max_refused=MAX_REFUSED_OPS,
                max_held=MAX_HELD_OPS,
            )
            key_tables.hold_ops(
                conn,
                [(op, h.public_key, h.kind, h.reason) for op, h in applied.held],
                when=datetime.now(UTC).isoformat(timespec="seconds"),
                bundle=name,
            )
            released = _release_held(conn, accept, now)
            # For the receipt: what this bundle's own decisions released was never held (it
            # is new), and a key this bundle's decisions accepted is no longer a question.
            freed = {op.op_id for op in released}
            in_log = _in_log(conn, [op.op_id for op, _h in applied.held])  # (its own, say)
            held = [
                (op, h.reason)
                for op, h in applied.held
                if op.op_id not in freed and op.op_id not in in_log
            ]
            states = pins.key_states(conn)
            flagged = [f for f in flagged if states.get((f.member_id, f.public_key)) == f.state]
            storing.result()  # the photos are on disk: the ops naming them may commit
    except TooManyRefused as exc:
        why = exc.first[1]
        _refuse(
            f"{name} holds more than {exc.limit:,} operations this visit's rules refuse or "
            f"hold back (the first: {why}), so nothing was imported: ask its sender whether "
            "it is for this visit's team.",
            "implausible",
        )
    if not applied.refused and not held:
        _remember_ops(ws, bundle.manifest.ops_sha256)  # all in the log: skip it next time
    freed_here = sum(1 for op, _h in applied.held if op.op_id in freed)
    return ImportResult(
        applied.new + freed_here,
        applied.known,
        applied.refused,
        applied.conflicts,
        held=held,
        flagged=flagged,
        released=len(released) - freed_here,
        pinned=pinned,
    )


def release_held(
    conn: Any, accept: Callable[[Op], str | None] | None, now_ms: int | None = None
) -> int:
    """Apply the held ops that may now be (the lead confirmed their key, or this laptop's
    clock caught up with theirs), in the caller's transaction; return how many."""
    return len(_release_held(conn, accept, now_ms))


def _release_held(
    conn: Any, accept: Callable[[Op], str | None] | None, now_ms: int | None = None
) -> list[Op]:
    pins.apply_decisions(conn)
    if not key_tables.held_count(conn):
        return []
    now = system_ms() if now_ms is None else now_ms
    judge = _judge(pins.key_states(conn), _stored_seal_key(conn), accept, now)
    released, _refused = pins.release_held(conn, judge)
    return released


def _in_log(conn: Any, op_ids: list[str]) -> set[str]:
    """Which of ``op_ids`` the operation log holds."""
    found: set[str] = set()
    for start in range(0, len(op_ids), 500):
        chunk = op_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(
            r[0] for r in conn.execute(f"SELECT op_id FROM ops WHERE op_id IN ({marks})", chunk)
        )
    return found


def _stored_seal_key(conn: Any) -> Callable[[str], str | None]:
    def key(seal_id: str) -> str | None:
        row = conn.execute("SELECT public_key FROM seals WHERE seal_id = ?", (seal_id,)).fetchone()
        return None if row is None else str(row[0])

    return key


def _judge(
    states: Mapping[tuple[str, str], str],
    key_of_seal: Callable[[str], str | None],
    accept: Callable[[Op], str | None] | None,
    now_ms: int,
) -> Callable[[Op], Verdict]:
    """Whether to apply an op (``None``), hold it back (:class:`Held`), or refuse it (why).

    Tens of thousands of ops are judged in a merge: what a seal decides is worked out once a
    seal, and the clock bounds are compared as the fixed-width strings HLCs are."""
    by_seal: dict[tuple[str, str], Verdict | bool] = {}
    earliest, latest = clock_window(now_ms)

    def key_verdict(op: Op, seal_id: str) -> Verdict | bool:
        key = key_of_seal(seal_id)
        state = states.get((op.member_id, key)) if key is not None else None
        if state is None or key is None:
            return f"it is signed by a device no key binding names for {op.member_id}"
        if state == key_tables.REJECTED:
            return (
                f"it is signed by a device the lead reviewer refused for {op.member_id} "
                f"(fingerprint {fingerprint_words(key)})"
            )
        if state == key_tables.HELD:
            return Held(
                key_tables.HOLD_KEY,
                f"it is signed by another device that says it is {op.member_id} (fingerprint "
                f"{fingerprint_words(key)}): held until the lead reviewer confirms that device",
                key,
            )
        return True

    def judge(op: Op) -> Verdict:
        if op.seal is None:
            return UNSIGNED_REASONS.get(op.seal_pos or UNSIGNED, UNSIGNED_REASONS[UNSIGNED])
        cached = by_seal.get((op.seal, op.member_id))
        if cached is None:
            cached = by_seal[(op.seal, op.member_id)] = key_verdict(op, op.seal)
        if cached is not True:
            return cached  # type: ignore[return-value]
        reason = accept(op) if accept is not None else None
        if reason is not None:
            return reason
        if not earliest <= op.hlc < latest:
            problem = clock_problem(op.hlc, now_ms)
            if problem is not None:
                return Held(key_tables.HOLD_CLOCK, problem, key_of_seal(op.seal))
        return None

    return judge
