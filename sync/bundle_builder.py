"""Writing a team bundle: this laptop's ops sealed, then everything the workspace knows
written into the content zip and encrypted into the bundle (:func:`export_bundle`).

The layout is :mod:`sync.bundle_format`; the encryption :mod:`sync.bundle_crypto`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage import Op, Workspace, blob_crypto
from storage import authorship_tables as key_tables
from storage.files import write_atomic
from sync import bundle_crypto, pins
from sync.authorship import Binding, Seal
from sync.bundle_format import (
    BLOBS_DIR,
    CONTENT_NAME,
    HMAC_NAME,
    MANIFEST_NAME,
    OPS_NAME,
    REFS_NAME,
    SEAL_REF,
    SEALS_NAME,
    SHA256_HEX,
    BundleManifest,
    OuterManifest,
    manifest_hmac,
)
from sync.kit_format import canonical_json

__all__ = [
    "batches",
    "export_bundle",
    "write_seals",
]

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the content is encrypted whole: its entries' times say nothing


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
    # The content zip is written to a file beside ``out`` before it can be encrypted (its
    # size is in the bundle's authenticated manifest): sealed there with a key no one keeps,
    # so the photos and ops never reach the disk readable, even if the export is killed.
    inner, scratch_key = _temp_beside(out, ".content"), os.urandom(blob_crypto.KEY_BYTES)
    try:
        with (
            open(inner, "wb") as raw,
            blob_crypto.SealingWriter(raw, scratch_key, hashed=False) as sealing,
        ):
            with zipfile.ZipFile(sealing, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                manifest = _write_content(
                    zf, ws, bundle_id, visit_id, kit_id, member_id, created, bindings
                )
        with blob_crypto.open_decrypted(inner, scratch_key) as content:
            size = sealing.sealed.size
            write_atomic(
                out,
                lambda f: _encrypt_stream_into(f, content, size, team_key, visit_id, bundle_id),
                mode=0o600,
            )
    finally:
        inner.unlink(missing_ok=True)
    log.info("bundle %s written: %d ops, %d blobs", out, manifest.op_count, len(manifest.blobs))
    return manifest


def _write_content(  # noqa: PLR0913, PLR0917 (what the manifest says)
    zf: zipfile.ZipFile,
    ws: Workspace,
    bundle_id: str,
    visit_id: str,
    kit_id: str,
    member_id: str,
    created: str,
    bindings: tuple[Binding, ...],
) -> BundleManifest:
    """Write the content zip: the ops, their seals, the blobs they name, the manifest."""
    ops_size, ops_sha, op_count, seal_ids, blob_hashes = _write_ops(zf, ws)
    seals_size, seals_sha = _write_seals(zf, ws, seal_ids)
    blobs: dict[str, int] = {}
    for sha in blob_hashes:
        if ws.blobs.has(sha):
            blobs[sha] = _write_blob(zf, ws, sha)
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
    return manifest


def _write_blob(zf: zipfile.ZipFile, ws: Workspace, sha: str) -> int:
    """Write the blob's plaintext (decrypted from the store as it is read) into the content
    zip; return its size. Photos are JPEGs, already compressed: stored as they are."""
    info = zipfile.ZipInfo(BLOBS_DIR + sha, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED
    size = 0
    with ws.blobs.open(sha) as src, zf.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(_CHUNK):
            dst.write(chunk)
            size += len(chunk)
    return size


def _temp_beside(out: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    os.close(fd)
    return Path(name)


def _encrypt_into(
    target: BinaryIO | Path, inner: Path, team_key: bytes, visit_id: str, bundle_id: str
) -> None:
    """Write the bundle file: the clear manifest, its HMAC, and the content zip ``inner``
    encrypted."""
    with open(inner, "rb") as src:
        _encrypt_stream_into(target, src, inner.stat().st_size, team_key, visit_id, bundle_id)


def _encrypt_stream_into(  # noqa: PLR0913, PLR0917 (what the outer manifest says)
    target: BinaryIO | Path,
    src: BinaryIO,
    plain_size: int,
    team_key: bytes,
    visit_id: str,
    bundle_id: str,
) -> None:
    """:func:`_encrypt_into` of the ``plain_size`` bytes ``src`` yields."""
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
        with zf.open(CONTENT_NAME, "w", force_zip64=True) as dst:
            bundle_crypto.encrypt(src, plain_size, dst.write, key=key, aad=outer_bytes)


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
                    refs += SEAL_REF.pack(number, op.seal_pos or 0)
                    if op.field == "sha256" and isinstance(op.value, str):
                        if SHA256_HEX.match(op.value):
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
