"""Reading a team bundle (:func:`read_bundle`): every check is made before anything changes.

The outer file is a sane zip; the manifest's HMAC verifies (nothing is parsed before); the
format and version are ones this app reads (version 1 is refused: it cannot say who wrote each
operation); the visit is the one asked for; the content decrypts whole and in order, in memory
(a big one into a staging folder, sealed again there with a key only this read holds: the
plaintext never reaches the disk); the content zip is sane and holds exactly what its manifest
names; every line is an operation, with the right size, hash and count; each op's seal is found
and its hash is in it (an op whose seal is missing, does not verify, or names another visit,
member or device is marked unsigned and will be refused); every blob has its size and hash,
checked while it is sealed with the visit's key into the blob store's temporary files
(``blobs``: no plaintext photo reaches the disk; the import renames them into place). Any
failure raises :class:`BundleRefused` with one sentence for the user, and leaves nothing behind.

The layout and the manifests are :mod:`sync.bundle_format`; the ops and their seals are read by
:mod:`sync.bundle_ops`; :mod:`sync.bundle_read_ahead` reads a visit's bundles one after another.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NoReturn, cast

from storage import Op, blob_crypto
from storage.attachments import BlobStore
from storage.blob_crypto import BlobCryptoError
from sync import bundle_crypto
from sync.authorship import Seal
from sync.bundle_format import (
    BLOBS_DIR,
    BUNDLE_LIMITS,
    CONTENT_NAME,
    EXPORT_AGAIN,
    FORMAT_LIMITS,
    HMAC_NAME,
    HMAC_SIZE,
    MANIFEST_NAME,
    MAX_OPS_SIZE,
    OPS_NAME,
    REFS_NAME,
    SEAL_REF,
    SEALS_NAME,
    STAGED_CONTENT,
    BundleManifest,
    BundleRefused,
    OpLimits,
    OuterManifest,
    SealTable,
    manifest_hmac,
    parse_manifest,
    parse_outer,
    refuse,
    refuse_changed,
)
from sync.bundle_ops import OP_BATCH, read_seals, scan_ops, sealed_batches
from sync.kit_archive import KitRefused, check_directory
from sync.zip_reading import DAMAGED_ZIP_ERRORS, Staged, read_at_most, stream_entry

__all__ = [
    "KEEP_PARSED_OPS",
    "VerifiedBundle",
    "read_bundle",
]

log = logging.getLogger(__name__)


#: A bundle's content (its decrypted inner zip) up to this size is held in memory while it is
#: read, rather than sealed into staging and decrypted again as it is read (a team's bundles
#: are a few MB); a bigger one, or one whose ops are read again when imported, is staged.
CONTENT_IN_MEMORY = 32_000_000

#: Ops parsed while a bundle is read are kept for its import up to this many (~40 MB), which
#: spares a team's bundles a second parse; a bigger bundle is read again, in batches, when it
#: is imported (its hash checked again, inside the import's transaction).
KEEP_PARSED_OPS = 50_000
_CLAIMED_VISIT = re.compile(rb'"visit_id"\s*:\s*"([^"\\]{1,200})"')


@dataclass(frozen=True, slots=True)
class VerifiedBundle(Staged):
    """A bundle that passed every check, its content and blobs in a staging ``folder``.

    Its blobs are ``blob_paths``: sealed files waiting in the blob store (``sealed``; placed
    by ``BlobStore.place_sealed``), or plaintext files in ``folder`` when it was read without
    a store (``BlobStore.adopt`` seals them).
    Its ops are in ``ops`` when there are at most ``KEEP_PARSED_OPS`` of them; a bigger
    bundle is ``streamed``: ``ops`` is empty and :meth:`op_batches` reads them again from
    the decrypted ``content``. Each op's ``seal`` names the verified seal that covers it, or is
    ``None`` (its ``seal_pos`` then says why: :data:`sync.bundle_format.UNSIGNED_REASONS`).
    Use it as a context manager, or call :meth:`cleanup`, to remove the folder.
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
    """The decrypted content zip, sealed in ``folder`` with ``content_key``: staged for a
    ``streamed`` bundle, or a big one (``None``: it was read in memory)."""
    content_key: bytes = b""
    sealed: bool = False
    """``blob_paths`` are sealed files in the blob store's temporary files, not in ``folder``."""

    def cleanup(self) -> None:
        """Remove the staging folder, and the sealed blobs that were not placed."""
        if self.sealed:
            for path in self.blob_paths.values():
                path.unlink(missing_ok=True)
        super(VerifiedBundle, self).cleanup()  # noqa: UP008 (slots dataclasses need the arguments)

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
        with _refuse_damaged(name), _content_zip(self.content, self.content_key) as zf:
            files = {info.filename: info for info in zf.infolist()}
            for _first, batch in sealed_batches(zf, files, self.manifest, name, self.seals):
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
    blobs: BlobStore | None = None,
) -> VerifiedBundle:
    """Check the bundle at ``path`` for ``visit_id``; decrypt it and unpack its blobs under
    ``staging_root``.

    With ``blobs`` (the visit's blob store), each blob is sealed into the store's temporary
    files as it is read and checked, and flushed to disk (``VerifiedBundle.sealed``); without
    it, blobs are unpacked in the staging folder.

    Blobs for which ``have_blob(sha)`` is true are neither unpacked nor checked: the workspace
    already holds that exact content (it is named by its hash), and nothing of them is used.
    Likewise the operations, when ``known_ops(ops_sha256)`` is true (see
    :func:`sync.bundle_import.known_ops_in`): the authenticated manifest names the same
    ``ops.jsonl`` as one imported in full before, so importing it again could add nothing;
    bringing the same bundle twice costs little.

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
            outer = parse_outer(outer_bytes, name, visit_id)
            _check_outer_files(files, name)
            folder = _make_folder(staging_root, name)
            content, scratch = folder / STAGED_CONTENT, os.urandom(blob_crypto.KEY_BYTES)
            held = _decrypt(
                zf, files[CONTENT_NAME], (outer, outer_bytes, team_key), content, scratch
            )
        with _refuse_damaged(name), _content_zip(content, scratch, held) as inner:
            files = _check_directory(inner, name)
            manifest = parse_manifest(_read_inner_manifest(inner, files, name), name, visit_id)
            if manifest.bundle_id != outer.bundle_id:
                refuse_changed(name, "its content is another bundle's")
            _check_file_list(files, manifest, name)
            _check_op_count(manifest, name, limits)
            seals = read_seals(inner, files[SEALS_NAME], manifest, name)
            ops_known = known_ops is not None and known_ops(manifest.ops_sha256)
            streamed = not ops_known and manifest.op_count > KEEP_PARSED_OPS
            if streamed and held is not None:  # its ops are read again when it is imported
                _stage(held, content, scratch, name)
            ops = (
                []
                if ops_known
                else scan_ops(inner, files, manifest, name, limits, seals, keep=not streamed)
            )
            if blobs is None:
                blob_paths = _extract_blobs(inner, files, manifest, name, folder, have_blob)
            else:
                blob_paths = _seal_blobs(inner, files, manifest, name, blobs, have_blob)
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
        manifest,
        ops,
        blob_paths,
        folder,
        path,
        ops_known,
        streamed,
        seals,
        content if held is None or streamed else None,
        content_key=scratch,
        sealed=blobs is not None,
    )


def _check_outer_files(files: Mapping[str, zipfile.ZipInfo], name: str) -> None:
    extra = sorted(set(files) - {MANIFEST_NAME, HMAC_NAME, CONTENT_NAME})
    if CONTENT_NAME not in files or extra:
        what = f"holds {extra[0]!r}, which it should not" if extra else "has no content"
        refuse(
            f"{name} {what}, so it was changed or damaged after it was exported; "
            f"nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )


def _decrypt(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    outer: tuple[OuterManifest, bytes, bytes],
    target: Path,
    scratch_key: bytes,
) -> bytes | None:
    """Decrypt the bundle's content: into memory when it holds at most
    ``CONTENT_IN_MEMORY`` bytes (returned), otherwise into ``target``, sealed there with
    ``scratch_key`` (``None`` returned). ``outer``: the outer manifest, its exact bytes and
    the team key."""
    manifest, outer_bytes, team_key = outer
    name = Path(zf.filename or "bundle").name
    key = bundle_crypto.content_key(team_key, bytes.fromhex(manifest.salt))
    try:
        with zf.open(info) as src:
            if manifest.content_size <= CONTENT_IN_MEMORY:
                parts: list[bytes] = []
                bundle_crypto.decrypt(
                    src.read, info.file_size, manifest.content_size, parts.append,
                    key=key, aad=outer_bytes,
                )  # fmt: skip
                return b"".join(parts)
            with (
                open(target, "xb") as raw,
                blob_crypto.SealingWriter(raw, scratch_key, hashed=False) as out,
            ):
                bundle_crypto.decrypt(
                    src.read, info.file_size, manifest.content_size, out.write,
                    key=key, aad=outer_bytes,
                )  # fmt: skip
            return None
    except bundle_crypto.ContentProblem as exc:
        log.info("bundle %s content: %s (%s)", name, exc.kind, exc)
        if exc.kind == "truncated":
            refuse(
                f"{name} is cut short (it holds {exc} of its content): it was not copied "
                "whole; nothing was imported: copy it again from its sender's laptop, or "
                f"{EXPORT_AGAIN}.",
                "truncated",
            )
        if exc.kind == "reordered":
            refuse(
                f"{name} has its content out of order ({exc} is in the wrong place), so it "
                f"was changed after it was exported; nothing was imported: {EXPORT_AGAIN}.",
                "reordered",
            )
        refuse(
            f"{name} was changed or damaged after it was exported ({exc} of its encrypted "
            f"content does not verify); nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )
    except OSError as exc:
        _cannot_stage(name, target, exc)


def _stage(content: bytes, target: Path, scratch_key: bytes, name: str) -> None:
    """The decrypted ``content`` written to ``target``, sealed there with ``scratch_key``."""
    try:
        with (
            open(target, "xb") as raw,
            blob_crypto.SealingWriter(raw, scratch_key, hashed=False) as out,
        ):
            out.write(content)
    except OSError as exc:
        _cannot_stage(name, target, exc)


def _cannot_stage(name: str, target: Path, exc: OSError) -> NoReturn:
    raise BundleRefused(
        f"Cannot unpack {name} into {target.parent}: {exc.strerror or exc}; check there "
        "is free disk space and try again.",
        reason="invalid",
    ) from exc


def _read_inner_manifest(
    zf: zipfile.ZipFile, files: Mapping[str, zipfile.ZipInfo], name: str
) -> bytes:
    if MANIFEST_NAME not in files:
        refuse_changed(name, "its content has no manifest")
    limit = BUNDLE_LIMITS.max_manifest_size
    data = read_at_most(zf, files[MANIFEST_NAME], limit)
    if len(data) > limit:
        refuse(f"{name} has a manifest bigger than it declares; {EXPORT_AGAIN}.", "too_big")
    return data


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        refuse(f"{path} does not exist or is not a file; check the name.", "not_found")
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
def _content_zip(path: Path, key: bytes, held: bytes | None = None) -> Iterator[zipfile.ZipFile]:
    """The content zip: ``held`` in memory, or decrypted from its sealed staging file as it is
    read."""
    if held is not None:
        with zipfile.ZipFile(io.BytesIO(held)) as zf:
            yield zf
        return
    with blob_crypto.open_decrypted(path, key) as reader, zipfile.ZipFile(reader) as zf:
        yield zf


@contextlib.contextmanager
def _refuse_damaged(name: str) -> Iterator[None]:
    try:
        yield
    except BlobCryptoError as exc:  # its unpacked copy in staging, not the bundle itself
        log.warning("bundle %s: its unpacked content changed on disk: %s", name, exc)
        raise BundleRefused(
            f"The unpacked copy of {name} was changed on this laptop while it was being "
            "imported, so nothing was imported: import it again.",
            reason="tampered",
        ) from exc
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
            refuse(
                f"{name} is bigger than a team bundle may be (too many entries, too many bytes, "
                "or an entry that inflates too far); it was not imported.",
                "too_big",
            )
        refuse(
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
        refuse(
            f"{name} is not a team bundle (it has no manifest.json or manifest.hmac); "
            "check you chose the right file.",
            "not_zip",
        )
    limit = BUNDLE_LIMITS.max_manifest_size
    manifest_bytes = read_at_most(zf, files[MANIFEST_NAME], limit)
    if len(manifest_bytes) > limit:
        refuse(f"{name} has a manifest bigger than it declares; {EXPORT_AGAIN}.", "too_big")
    mac = read_at_most(zf, files[HMAC_NAME], HMAC_SIZE).strip()
    expected = manifest_hmac(manifest_bytes, team_key).encode("ascii")
    if hmac.compare_digest(mac, expected):
        return manifest_bytes
    # Not made with this visit's team key. The visit id the manifest claims (found by a
    # pattern: an unverified manifest is never parsed) only chooses the better sentence.
    match = _CLAIMED_VISIT.search(manifest_bytes)
    claimed = match.group(1).decode("utf-8", "replace") if match else None
    if claimed is not None and claimed != visit_id:
        refuse(
            f"{name} is from another visit ({claimed}), not this one ({visit_id}); "
            "nothing was imported: import it into its own visit.",
            "other_visit",
        )
    refuse(
        f"{name} was not made with this visit's team key, or was changed after it was "
        f"exported, so it cannot be trusted; nothing was imported: {EXPORT_AGAIN}.",
        "bad_hmac",
    )


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
        refuse(
            f"{name} {what}, so it was changed or damaged after it was exported; "
            f"nothing was imported: {EXPORT_AGAIN}.",
            "tampered",
        )
    if files[REFS_NAME].file_size != SEAL_REF.size * manifest.op_count:
        refuse_changed(name, "its list of seals does not match its operations")
    if manifest.ops_size > MAX_OPS_SIZE:
        refuse(
            f"{name} holds {manifest.ops_size:,} bytes of operations, more than this app reads "
            f"({MAX_OPS_SIZE:,}); it was not imported.",
            "too_big",
        )


def _check_op_count(manifest: BundleManifest, name: str, limits: OpLimits) -> None:
    if manifest.op_count > limits.max_ops:
        scope = f" {limits.scope}" if limits.scope else ""
        refuse(
            f"{name} holds {manifest.op_count:,} operations, more than a real visit{scope} "
            f"could make (at most {limits.max_ops:,}), so nothing was imported: ask its sender "
            "where it came from.",
            "implausible",
        )


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


def _extract_blobs(  # noqa: PLR0917 (one step of read_bundle)
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
            refuse_changed(name, f"attachment {sha[:12]}... does not match its manifest")
        out[sha] = target
    return out


def _seal_blobs(  # noqa: PLR0913, PLR0917 (one step of read_bundle)
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    store: BlobStore,
    have_blob: Callable[[str], bool] | None = None,
) -> dict[str, Path]:
    """Each blob the store lacks, sealed into its temporary files while it is inflated and
    hashed (never more than its size + 1 bytes), and flushed: ``{sha: sealed file}``. A blob
    that is not what the manifest says refuses the bundle, and removes what was sealed."""
    with store.incoming() as batch:
        for sha, expected in sorted(manifest.blobs.items()):
            if store.has(sha) or (
                have_blob is not None and have_blob != store.has and have_blob(sha)
            ):
                continue
            with zf.open(files[BLOBS_DIR + sha]) as src:
                sealed = batch.seal(cast(BinaryIO, src), limit=expected + 1)
            if sealed.size != expected or sealed.sha256 != sha:
                refuse_changed(name, f"attachment {sha[:12]}... does not match its manifest")
        return batch.hand_over()
