"""Team bundles made by hand (format version 2), for tests that need what no honest laptop writes:
seals by the wrong key, seals and ops copied from another bundle or visit, clocks out of bounds,
a million ops, damaged or re-ordered content, and laptops of the demo visit to make and import
them.

Built from the format's own parts (its entry names, ``BundleManifest``, ``SEAL_REF`` for the
seal references, ``_encrypt_into`` for the outer file), so a bundle made here differs from an
exported one only where a test says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.app.device import device_id, device_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.team.bundles import Receipt, export_visit_bundle, import_visit_bundles
from reviewer_app.visit.workspaces import open_kit, workspace_path
from storage import Op, Workspace
from sync import bundle_crypto
from sync.authorship import MAX_SEAL_OPS, Binding, Seal, op_hash
from sync.bundle_builder import _encrypt_into, batches, write_seals
from sync.bundle_format import (
    BLOBS_DIR,
    CONTENT_NAME,
    HMAC_NAME,
    MANIFEST_NAME,
    OPS_NAME,
    REFS_NAME,
    SEAL_REF,
    SEALS_NAME,
    BundleManifest,
    OuterManifest,
    manifest_hmac,
)
from sync.bundle_reader import VerifiedBundle, read_bundle
from sync.kit_format import canonical_json
from sync.kit_model import VisitDetails
from tests.keys import app_key

CREATED_AT = "2026-03-02T10:00:00+00:00"
#: A seal reference that names no seal: the op it belongs to is unsigned.
NO_SEAL = 0xFFFF_FFFF
#: The size of one stored chunk of the encrypted content (all but the last).
STORED_CHUNK = bundle_crypto.CHUNK + bundle_crypto.TAG


@dataclass(frozen=True)
class Signer:
    """Who seals a member's ops: a device key, and the member and device its seals name.

    ``visit_id`` is the visit its seals name (``None``: the bundle's own); ``nonce`` the random
    nonce its seal's body carries (``None``: a new one, as a laptop makes; a seal's id is the
    hash of what it signs, so the same nonce makes another seal all the same).
    """

    member_id: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    visit_id: str | None = None
    nonce: str | None = None

    def binding(self, visit_id: str) -> Binding:
        """ "This member's device has this key on the visit", signed by the key itself."""
        return Binding.make(
            self.key, visit_id=visit_id, member_id=self.member_id, device_id=self.device_id
        )


def write_bundle(  # noqa: PLR0913 (each names what the bundle says)
    out: Path,
    ops: Iterable[Op],
    *,
    visit_id: str,
    kit_id: str,
    team_key: bytes,
    member_id: str,
    device_id: str,
    signers: Sequence[Signer] = (),
    bindings: Sequence[Binding] | None = None,
    blobs: Mapping[str, bytes] | None = None,
    extra_seals: Sequence[Seal] = (),
    seal_every: int = 0,
) -> BundleManifest:
    """Write a bundle of ``ops`` (streamed: a million is fine), encrypted with ``team_key``.

    ``extra_seals`` are carried as they are (copied from another bundle, say), after the
    signers' seals; an op whose hash one of them lists refers to it, whoever its member is.
    Each other op is sealed by the signer of the member it names (one seal per signer, as a
    laptop seals what it has not sealed yet; with ``seal_every``, a new seal after that many
    ops); an op whose member has no signer refers to no seal. ``bindings`` default to the
    signers' own; ``member_id`` and ``device_id`` are the laptop the manifest says made it;
    ``blobs`` are attachments by SHA-256.
    """
    out = Path(out)
    by_member = {s.member_id: s for s in signers}
    # An op's hash -> (which of extra_seals lists it, where): copied seals list a few ops.
    copied = {
        seal.op_at(pos): (j, pos) for j, seal in enumerate(extra_seals) for pos in range(seal.count)
    }
    bundle_id = str(uuid.uuid4())
    blobs = dict(blobs or {})
    inner = out.with_name(f".{out.name}.content")
    # Seal number -> (signer, the 32-byte hashes of its ops end to end): a bytearray, not a list
    # of a million small bytes objects.
    sealing: list[tuple[Signer, bytearray]] = []
    number_of: dict[str, int] = {}
    refs = bytearray()
    to_copied: list[tuple[int, int, int]] = []  # (where in refs, extra seal, place in it)
    digest = hashlib.sha256()
    size = count = 0
    try:
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open(OPS_NAME, "w", force_zip64=True) as f:
                for batch in batches(ops, 2000):
                    data = bytearray()
                    for op in batch:
                        line = op.to_json_line().encode("utf-8")
                        data += line + b"\n"
                        hashed = op_hash(line)
                        signer = by_member.get(op.member_id)
                        if hashed in copied:
                            to_copied.append((len(refs), *copied[hashed]))
                            refs += SEAL_REF.pack(NO_SEAL, 0)  # its number is known at the end
                            continue
                        if signer is None:
                            refs += SEAL_REF.pack(NO_SEAL, 0)
                            continue
                        number = number_of.get(op.member_id, len(sealing))
                        if number == len(sealing) or (
                            seal_every and len(sealing[number][1]) == 32 * seal_every
                        ):
                            number = number_of[op.member_id] = len(sealing)
                            sealing.append((signer, bytearray()))
                        hashes = sealing[number][1]
                        refs += SEAL_REF.pack(number, len(hashes) // 32)
                        hashes += hashed
                    digest.update(data)
                    size += len(data)
                    count += len(batch)
                    f.write(data)
            for at, j, pos in to_copied:
                SEAL_REF.pack_into(refs, at, len(sealing) + j, pos)
            zf.writestr(REFS_NAME, bytes(refs))
            del refs
            seals = (*_seals(sealing, visit_id), *extra_seals)
            seals_size, seals_sha256 = write_seals(zf, seals)
            for sha, blob in blobs.items():
                zf.writestr(BLOBS_DIR + sha, blob, compress_type=zipfile.ZIP_STORED)
            manifest = BundleManifest(
                bundle_id=bundle_id,
                visit_id=visit_id,
                kit_id=kit_id,
                member_id=member_id,
                device_id=device_id,
                created_at=CREATED_AT,
                op_count=count,
                ops_sha256=digest.hexdigest(),
                ops_size=size,
                blobs=MappingProxyType({sha: len(b) for sha, b in blobs.items()}),
                seals_sha256=seals_sha256,
                seals_size=seals_size,
                keys=tuple(
                    [s.binding(visit_id) for s in signers] if bindings is None else bindings
                ),
            )
            zf.writestr(MANIFEST_NAME, canonical_json(manifest.to_dict()))
        _encrypt_into(out, inner, team_key, visit_id, bundle_id)
    finally:
        inner.unlink(missing_ok=True)
    return manifest


def _seals(sealing: list[tuple[Signer, bytearray]], visit_id: str) -> Iterator[Seal]:
    for signer, hashes in sealing:
        yield Seal.make(
            signer.key,
            seal_id=signer.nonce or str(uuid.uuid4()),
            visit_id=signer.visit_id or visit_id,
            member_id=signer.member_id,
            device_id=signer.device_id,
            created_at=CREATED_AT,
            op_hashes=[bytes(hashes)],  # joined end to end by Seal.make: one piece is the same
        )


# -- taking a bundle apart and putting it back ----------------------------------------------------


def outer_entries(bundle: Path) -> dict[str, bytes]:
    """The outer zip's entries: ``manifest.json``, ``manifest.hmac`` and ``content``."""
    with zipfile.ZipFile(bundle) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_outer(out: Path, entries: Mapping[str, bytes]) -> Path:
    """An outer zip of ``entries``, stored as they are (as ``_encrypt_into`` stores them)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out


def rewrite_outer(
    source: Path,
    out: Path,
    *,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    content: Callable[[bytes], bytes] | None = None,
    key: bytes | None = None,
) -> Path:
    """A copy of a bundle with its clear manifest and/or encrypted content changed; its HMAC made
    again with ``key`` (a team key) when given."""
    entries = outer_entries(source)
    if content is not None:
        entries[CONTENT_NAME] = content(entries[CONTENT_NAME])
    if manifest is not None:
        doc = json.loads(entries[MANIFEST_NAME])
        manifest(doc)
        entries[MANIFEST_NAME] = canonical_json(doc)
    if key is not None:
        entries[HMAC_NAME] = manifest_hmac(entries[MANIFEST_NAME], key).encode()
    return write_outer(out, entries)


def read_content(bundle: Path, team_key: bytes) -> dict[str, bytes]:
    """The entries of a bundle's content zip, decrypted with ``team_key`` (no other check)."""
    entries = outer_entries(bundle)
    outer_bytes = entries[MANIFEST_NAME]
    outer = OuterManifest.from_dict(json.loads(outer_bytes))
    stored = entries[CONTENT_NAME]
    plain = io.BytesIO()
    bundle_crypto.decrypt(
        io.BytesIO(stored).read,
        len(stored),
        outer.content_size,
        plain.write,
        key=bundle_crypto.content_key(team_key, bytes.fromhex(outer.salt)),
        aad=outer_bytes,
    )
    with zipfile.ZipFile(plain) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_content(
    out: Path, entries: Mapping[str, bytes], *, team_key: bytes, visit_id: str, bundle_id: str
) -> Path:
    """A bundle whose content zip holds ``entries`` as given, encrypted with ``team_key``."""
    inner = out.with_name(f".{out.name}.content")
    try:
        write_zip(inner, entries)
        _encrypt_into(out, inner, team_key, visit_id, bundle_id)
    finally:
        inner.unlink(missing_ok=True)
    return out


def write_zip(out: Path, entries: Mapping[str, bytes]) -> None:
    """A content zip as the exporter writes one: attachments stored, the rest deflated."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in entries.items():
            stored = name.startswith(BLOBS_DIR)
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else None)


def rewrite_content(
    source: Path,
    out: Path,
    team_key: bytes,
    change: Callable[[dict[str, bytes]], None],
    *,
    visit_id: str | None = None,
) -> Path:
    """A copy of a bundle whose content entries ``change`` edits, encrypted again with the team
    key (what only someone holding the team key can do); ``visit_id`` the clear manifest's."""
    entries = read_content(source, team_key)
    change(entries)
    inner = json.loads(entries[MANIFEST_NAME])
    return write_content(
        out,
        entries,
        team_key=team_key,
        visit_id=visit_id or inner["visit_id"],
        bundle_id=inner["bundle_id"],
    )


def op_lines(entries: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """The ops of a content zip's ``ops.jsonl``, as JSON objects."""
    return [json.loads(line) for line in entries[OPS_NAME].splitlines()]


def read_seals(entries: Mapping[str, bytes]) -> list[Seal]:
    """The seals of a content zip's ``SEALS_NAME``, in order, as the reader reads them (not
    verified): what anyone with the team key can copy."""
    src = io.BytesIO(entries[SEALS_NAME])
    seals = []
    while (seal := Seal.read_record(src.read, MAX_SEAL_OPS)) is not None:
        seals.append(seal)
    return seals


def nonce_of(seal: Seal) -> str:
    """The random nonce a seal's body carries (not its id: that is the hash of what it signs)."""
    return str(json.loads(seal.body)["nonce"])


def write_v1_bundle(  # noqa: PLR0913 (what a version 1 manifest said)
    out: Path,
    ops: Sequence[Op],
    *,
    visit_id: str,
    kit_id: str,
    team_key: bytes,
    member_id: str,
    device_id: str,
) -> Path:
    """A bundle as format version 1 wrote one: a zip of the manifest, its HMAC with the team key,
    and ``ops.jsonl`` in clear, with no seals."""
    data = b"".join(op.to_json_line().encode("utf-8") + b"\n" for op in ops)
    manifest = {
        "format": "reviewer-app.team-bundle",
        "format_version": 1,
        "bundle_id": str(uuid.uuid4()),
        "visit_id": visit_id,
        "kit_id": kit_id,
        "member_id": member_id,
        "device_id": device_id,
        "created_at": CREATED_AT,
        "op_count": len(ops),
        "ops_sha256": hashlib.sha256(data).hexdigest(),
        "ops_size": len(data),
        "blobs": {},
    }
    manifest_bytes = canonical_json(manifest)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(OPS_NAME, data)
        zf.writestr(MANIFEST_NAME, manifest_bytes)
        zf.writestr(HMAC_NAME, manifest_hmac(manifest_bytes, team_key))
    return out


# -- laptops of the demo visit ---------------------------------------------------------------------


class Laptop:
    """One member's laptop: its own app folders (so its own device id and device key) and the demo
    visit opened as that member. The workspace is opened for each step, as the app's commands do."""

    def __init__(self, home: Path, kit: Path, member_id: str) -> None:
        self.paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
        self.member_id = member_id
        self.visit_id = open_kit(kit, member_id, paths=self.paths, demo=True).visit_id
        self.ws_path = workspace_path(self.paths, self.visit_id)
        self.device_id = device_id(self.paths)
        with self.open() as ws:
            info = ws.kit_info()
            assert info is not None
            manifest = json.loads(info["manifest_json"])
            self.kit_id = str(info["kit_id"])
            self.team_key = bytes.fromhex(manifest["team_key"])
            self.visit = VisitDetails.from_dict(manifest["visit"])
            self.standards = len(ws.standards())

    @property
    def key(self) -> Ed25519PrivateKey:
        return device_key(self.paths)

    def signer(self, member_id: str | None = None, **kw: Any) -> Signer:
        """This laptop's own key sealing ops of ``member_id`` (its own member by default)."""
        return Signer(member_id or self.member_id, self.key, self.device_id, **kw)

    def open(self) -> Workspace:
        return Workspace.open(self.ws_path, key=app_key(self.ws_path), device_id=self.device_id)

    def state(self) -> tuple[bytes, int]:
        """What a person could notice changing: the visit's state and its operation count."""
        with self.open() as ws:
            return ws.canonical_state(), ws.op_count()

    def record(self, entity: str, entity_id: str, changes: Mapping[str, Any]) -> list[Op]:
        with self.open() as ws:
            return ws.record(self.member_id, entity, entity_id, changes)

    def export(self, out: Path) -> Path:
        return export_visit_bundle(self.paths, self.visit_id, out)

    def import_(self, *files: Path) -> list[Receipt]:
        return import_visit_bundles(self.paths, self.visit_id, list(files))

    def read(self, bundle: Path, **kw: Any) -> VerifiedBundle:
        return read_bundle(
            bundle,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=self.paths.staging,
            **kw,
        )

    def write(self, out: Path, ops: Iterable[Op], **kw: Any) -> Path:
        """A hand-made bundle of this visit, with this kit's team key, that says this laptop
        made it (``kw``: :func:`write_bundle`'s, which may say otherwise)."""
        kw = {"member_id": self.member_id, "device_id": self.device_id, **kw}
        kw.setdefault("team_key", self.team_key)
        write_bundle(out, ops, visit_id=self.visit_id, kit_id=self.kit_id, **kw)
        return out

    def staging_is_empty(self) -> bool:
        staging = self.paths.staging
        with contextlib.suppress(FileNotFoundError):
            return not any(staging.iterdir())
        return True
