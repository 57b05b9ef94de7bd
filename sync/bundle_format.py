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

This module is the format: its names and limits, the manifests, and the refusals a reader
raises (:class:`BundleRefused`, each with its sentence and reason). Shared by
:mod:`sync.bundle_builder`, :mod:`sync.bundle_reader`, :mod:`sync.bundle_ops` (the operations
and their seals) and :mod:`sync.bundle_import`, so that what is written is what is read.
"""

from __future__ import annotations

import copyreg
import hashlib
import hmac
import json
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

from sync.authorship import Binding, Seal, SealError
from sync.kit_format import MIB, KitLimits

__all__ = [
    "BUNDLE_FORMAT_NAME",
    "BUNDLE_FORMAT_VERSION",
    "BUNDLE_SUFFIX",
    "BundleManifest",
    "BundleRefused",
    "OpLimits",
]


def _read_only(items: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(items)


# A verified bundle goes from the process that read it ahead to the one that imports it
# (``read_each``): its manifest's read-only mappings travel as copies.
copyreg.pickle(MappingProxyType, lambda m: (_read_only, (dict(m),)))


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
SEAL_REF = struct.Struct(">II")  # seal number in seals.bin, place in that seal

#: What a reader accepts before it reads any content: a kit's limits (20,000 entries, 4 GiB,
#: 100:1 above 1 MiB, an 8 MiB manifest), which a visit's bundle fits with room to spare.
BUNDLE_LIMITS = KitLimits()
#: ``ops.jsonl`` is read in batches, never whole: ~250 bytes an op, so two million ops.
MAX_OPS_SIZE = 512 * MIB
#: One line of ``ops.jsonl``: an op is a short value (a judgement, a note's text, a hash).
MAX_OP_LINE = 8 * MIB
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

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


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


def refuse(message: str, reason: str) -> NoReturn:
    raise BundleRefused(message, reason=reason)


def refuse_changed(name: str, what: str) -> NoReturn:
    refuse(
        f"{name} was changed or damaged after it was exported ({what}); nothing was imported: "
        f"{EXPORT_AGAIN}.",
        "tampered",
    )


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
    """What ``manifest.json`` says. ``blobs`` maps each attachment's SHA-256 to its size.

    Not a ``storage.records.Record``: hostile input checked with the format's own limits and
    messages (short texts, counts, digests), written in the format's key order."""

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
        if not SHA256_HEX.match(ops_sha256):
            raise ValueError("ops_sha256 is not a SHA-256 in lower-case hex")
        blobs = d.get("blobs")
        if not isinstance(blobs, dict):
            raise ValueError("blobs is not a JSON object")
        for sha, size in blobs.items():
            if not SHA256_HEX.match(sha) or not _is_count(size):
                raise ValueError(f"blobs[{sha!r}] is not a SHA-256 with a size")
        seals_sha256 = _text(d, "seals_sha256")
        if not SHA256_HEX.match(seals_sha256):
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
    """What a bundle shows in clear: enough to choose the visit, and to decrypt the rest.

    Not a ``storage.records.Record``: it writes the fixed ``format`` and ``encryption`` keys and
    checks hostile input with the format's own messages."""

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


# -- reading a manifest ----------------------------------------------------------------------------

_M = TypeVar("_M")


def parse_outer(data: bytes, name: str, visit_id: str) -> OuterManifest:
    """The clear manifest of a bundle for ``visit_id``, once its HMAC has verified."""
    outer = _parsed(OuterManifest.from_dict, data, name)
    _check_visit(outer.visit_id, visit_id, name)
    return outer


def _parsed(parse: Callable[[dict[str, Any]], _M], data: bytes, name: str) -> _M:
    """``parse`` of a manifest's JSON, its format and version checked; a sentence if invalid."""
    doc = _manifest_doc(data, name)
    try:
        return parse(doc)
    except ValueError as exc:
        refuse(f"{name} has a manifest that is not valid ({exc}); {EXPORT_AGAIN}.", "invalid")


def _manifest_doc(data: bytes, name: str) -> dict[str, Any]:
    """The manifest's JSON, once its format and version are ones this app reads."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        refuse(f"{name} has a manifest that is not valid JSON; {EXPORT_AGAIN}.", "invalid")
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT_NAME:
        refuse(f"{name} is not a team bundle; check you chose the right file.", "invalid")
    version = doc.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool):
        if version > BUNDLE_FORMAT_VERSION:
            refuse(
                f"{name} was made by a newer version of Reviewer App (bundle format version "
                f"{version}; this app reads version {BUNDLE_FORMAT_VERSION}); update Reviewer "
                "App and import it again.",
                "newer_version",
            )
        if version == 1:
            refuse(
                f"{name} was made by an older version of Reviewer App (bundle format version "
                "1), whose bundles do not prove who wrote each change; nothing was imported: "
                "ask its sender to update Reviewer App and export it again.",
                "old_version",
            )
    if version != BUNDLE_FORMAT_VERSION:
        refuse(
            f"{name} has a bundle format version ({version!r}) this app does not read; "
            f"{EXPORT_AGAIN}.",
            "invalid",
        )
    return doc


def _check_visit(claimed: str, visit_id: str, name: str) -> None:
    if claimed != visit_id:
        refuse(
            f"{name} is from another visit ({claimed}), not this one ({visit_id}); "
            "nothing was imported: import it into its own visit.",
            "other_visit",
        )


def parse_manifest(data: bytes, name: str, visit_id: str) -> BundleManifest:
    """The content zip's manifest, for ``visit_id``."""
    manifest = _parsed(BundleManifest.from_dict, data, name)
    _check_visit(manifest.visit_id, visit_id, name)
    return manifest
