"""Reading and verifying a visit kit (``.rvkit``) without trusting anything in it.

The checks run in this order, each before the next reads anything more (DESIGN.md, "Visit kit"):

1. the file opens as a zip archive;
2. the zip directory is sane, judged from the directory alone (:mod:`sync.kit_archive`: entry
   count, names, links, duplicates, encryption, compression, declared sizes and ratios);
3. ``manifest.sig`` is an Ed25519 signature, by a trusted key, of the exact bytes of
   ``manifest.json`` (nothing is parsed before this);
4. the manifest parses and is a format version this app reads;
5. the archive's files are exactly the files the manifest lists;
6. each file's bytes (never more than the manifest declares, plus one) match its size and SHA-256,
   checked while it is extracted: the evidence sealed straight into the visit's blob store's
   temporary files (``blobs_for``: inflate, hash, encrypt, one write; no plaintext on disk), or,
   without a store, into a fresh staging folder;
7. ``standards.json``, ``self_assessment.json`` and ``evidence/index.json`` parse and fit together.

Any failure raises :class:`KitRefused` with one sentence for the user, and removes the staging
folder and the sealed evidence. The caller places the evidence it needs
(``VerifiedKit.blobs.place``) or moves it out of :attr:`VerifiedKit.folder`, then cleans up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import threading
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, cast

from storage.attachments import BlobStore, IncomingBlobs
from sync.keys import TrustStore
from sync.kit_archive import FRESH_COPY, KitRefused, check_directory, refuse
from sync.kit_format import (
    CONTENT_JSON_NAMES,
    DEFAULT_LIMITS,
    EVIDENCE_INDEX_NAME,
    MANIFEST_NAME,
    SELF_ASSESSMENT_NAME,
    SIGNATURE_NAME,
    SIGNATURE_SIZE,
    STANDARDS_NAME,
    KitLimits,
    consistency_problems,
)
from sync.kit_model import (
    KIT_FORMAT_NAME,
    KIT_FORMAT_VERSION,
    EvidenceDoc,
    KitDataError,
    KitManifest,
    SelfAssessmentEntry,
    StandardsSet,
    evidence_from_list,
    self_assessment_from_list,
)
from sync.zip_reading import CHUNK, DAMAGED_ZIP_ERRORS, Staged, read_at_most, stream_entry

__all__ = ["KitRefused", "VerifiedKit", "read_kit", "verify_kit"]

log = logging.getLogger(__name__)

_CLAIMED_KEY_ID = re.compile(rb'"signing_key_id"\s*:\s*"([0-9a-f]{16})"')
_DAMAGED = DAMAGED_ZIP_ERRORS


@dataclass(frozen=True, slots=True)
class VerifiedKit(Staged):
    """A kit that passed every check, unpacked in :attr:`folder` (a staging folder).

    Use it as a context manager, or call :meth:`cleanup` when done, to remove the folder.
    """

    manifest: KitManifest
    standards: StandardsSet
    self_assessment: tuple[SelfAssessmentEntry, ...]
    evidence: tuple[EvidenceDoc, ...]
    folder: Path
    signing_key_id: str
    blobs: SealedEvidence | None = None
    """The evidence, sealed into the visit's blob store but not yet in it (with ``blobs_for``),
    perhaps still being read: :meth:`SealedEvidence.place` waits for it, refuses the kit if a
    document is not what the manifest says, and puts it there; :meth:`cleanup` removes what
    was not placed."""

    def cleanup(self) -> None:
        if self.blobs is not None:
            self.blobs.discard()
        super(VerifiedKit, self).cleanup()  # noqa: UP008 (slots dataclasses need the arguments)

    def file_path(self, name: str) -> Path:
        """Where the kit's file ``name`` (as in the manifest, e.g. ``evidence/x.pdf``) was put.

        Raises ``KeyError`` for a name the kit does not have, and for evidence sealed into a
        blob store (``blobs_for``): it is named by its SHA-256 there, never on a path.
        """
        if name not in self.manifest.files or self.blobs is not None:
            raise KeyError(name)
        return self.folder.joinpath(*name.split("/"))


@dataclass(frozen=True, slots=True)
class _Contents:
    manifest: KitManifest
    signing_key_id: str
    standards: StandardsSet
    self_assessment: tuple[SelfAssessmentEntry, ...]
    evidence: tuple[EvidenceDoc, ...]


def read_kit(
    path: Path,
    *,
    trust: TrustStore,
    staging_root: Path,
    limits: KitLimits = DEFAULT_LIMITS,
    blobs_for: Callable[[str], BlobStore] | None = None,
) -> VerifiedKit:
    """Check the kit at ``path`` and unpack it into a new folder under ``staging_root``.

    With ``blobs_for``, the evidence is not written to that folder: once the signed manifest
    names the visit, ``blobs_for(visit_id)`` gives the visit's blob store (and so its key),
    and each file is sealed into it while it is inflated and hashed, on other threads
    (:data:`SEALING_THREADS`) that may still be at work when this returns (so that the
    caller's own work overlaps them): the
    evidence's checks end in :meth:`SealedEvidence.place` (:attr:`VerifiedKit.blobs`), which
    the caller must call before it keeps anything. The JSON files are kept in memory.

    Raises :class:`KitRefused` (leaving nothing behind under ``staging_root``, which is only
    created once the signature has been checked, nor in the blob store) when any check fails.
    """
    folder: Path | None = None
    incoming: list[SealedEvidence] = []
    created_root = not staging_root.exists()

    def make_folder() -> Path:
        nonlocal folder
        try:
            staging_root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="kit-", dir=staging_root))
        except OSError as exc:
            raise KitRefused(
                f"Cannot unpack {path.name} into {staging_root}: {exc.strerror or exc}; "
                "check there is free disk space and try again.",
                reason="disk",
            ) from exc
        return folder

    def make_batch(visit_id: str) -> IncomingBlobs | None:
        return None if blobs_for is None else blobs_for(visit_id).incoming()

    try:
        contents = _check(path, trust, limits, make_folder, make_batch, incoming)
    except BaseException:
        for sealing in incoming:
            sealing.discard()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if created_root:
            with contextlib.suppress(OSError):
                staging_root.rmdir()
        raise
    assert folder is not None  # _check always extracts
    return VerifiedKit(
        manifest=contents.manifest,
        standards=contents.standards,
        self_assessment=contents.self_assessment,
        evidence=contents.evidence,
        folder=folder,
        signing_key_id=contents.signing_key_id,
        blobs=incoming[0] if incoming else None,
    )


def verify_kit(path: Path, *, trust: TrustStore, limits: KitLimits = DEFAULT_LIMITS) -> KitManifest:
    """Make every check :func:`read_kit` makes, hashing files as they stream, writing nothing.

    Returns the kit's manifest; raises :class:`KitRefused` as :func:`read_kit` does.
    """
    return _check(path, trust, limits, None, None, []).manifest


def _check(  # noqa: PLR0913, PLR0917 (read_kit's and verify_kit's ways)
    path: Path,
    trust: TrustStore,
    limits: KitLimits,
    make_folder: Callable[[], Path] | None,
    make_batch: Callable[[str], IncomingBlobs | None] | None,
    sealing: list[SealedEvidence],
) -> _Contents:
    """Every check; with ``make_batch``, the evidence's run on in ``sealing[0]``, which then
    owns the zip (and closes it)."""
    kit = path.name
    zf = _open_zip(path)
    try:
        with _refuse_damaged(kit):
            files = check_directory(zf, kit, limits)
            manifest_bytes, kid = _check_signature(zf, files, kit, trust, limits)
            manifest = _parse_manifest(manifest_bytes, kid, kit)
            _check_file_list(files, manifest, kit, limits)
            folder = make_folder() if make_folder is not None else None
            batch = make_batch(manifest.visit_id) if make_batch is not None else None
        skip: set[str] = set()
        if batch is not None:
            skip = {n for n in manifest.files if n not in CONTENT_JSON_NAMES}
            sealing.append(SealedEvidence(zf, files, manifest, batch, sorted(skip)))
        with _refuse_damaged(kit):
            texts = _extract(zf, files, manifest, kit, folder, skip)
        contents = _parse_contents(texts, manifest, kid, kit)
    finally:
        if sealing:
            sealing[0].release_zip()
        else:
            zf.close()
    log.info(
        "kit %s verified: kit %s, visit %s, key %s", kit, manifest.kit_id, manifest.visit_id, kid
    )
    return contents


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        refuse(f"{path} does not exist or is not a file; check the name.", "not_found")
    try:
        return zipfile.ZipFile(path)
    except (*_DAMAGED, OSError) as exc:
        log.info("kit %s does not open as a zip: %r", path, exc)
        raise KitRefused(
            f"{path.name} is not a visit kit (not a zip archive, or an incomplete copy of one); "
            "check you chose the right file, or download it again.",
            reason="not_zip",
        ) from exc


@contextlib.contextmanager
def _refuse_damaged(kit: str) -> Iterator[None]:
    try:
        yield
    except _DAMAGED as exc:
        log.info("kit %s is damaged: %r", kit, exc)
        raise KitRefused(f"{kit} is damaged ({exc}); {FRESH_COPY}.", reason="damaged") from exc


# -- (3) and (4) the signed manifest ------------------------------------------------------------


def _check_signature(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    kit: str,
    trust: TrustStore,
    limits: KitLimits,
) -> tuple[bytes, str]:
    """The manifest's exact bytes and the id of the trusted key that signed them."""
    if MANIFEST_NAME not in files:
        refuse(
            f"{kit} is not a visit kit (it has no manifest.json); check you chose the right file.",
            "not_zip",
        )
    if SIGNATURE_NAME not in files:
        refuse(
            f"{kit} is not signed (it has no manifest.sig), so this app cannot tell who made "
            f"it; {FRESH_COPY}.",
            "unsigned",
        )
    manifest_bytes = read_at_most(zf, files[MANIFEST_NAME], limits.max_manifest_size)
    if len(manifest_bytes) > limits.max_manifest_size:
        refuse(f"{kit} has a manifest.json bigger than it declares; {FRESH_COPY}.", "too_big")
    signature = read_at_most(zf, files[SIGNATURE_NAME], SIGNATURE_SIZE)
    if len(signature) != SIGNATURE_SIZE:
        refuse(
            f"{kit} has a damaged signature (manifest.sig is {len(signature)} bytes, not "
            f"{SIGNATURE_SIZE}); {FRESH_COPY}.",
            "tampered",
        )
    kid = trust.verify(manifest_bytes, signature)
    if kid is not None:
        return manifest_bytes, kid
    # Nothing trusted signed these bytes. The key id the manifest claims (found by a pattern,
    # since an unverified manifest is never parsed) only chooses the words of the refusal.
    match = _CLAIMED_KEY_ID.search(manifest_bytes)
    claimed = match.group(1).decode("ascii") if match else None
    if claimed is not None and claimed in trust:
        refuse(
            f"{kit} was changed after it was signed (its signature does not match its "
            f"manifest), so it cannot be trusted; {FRESH_COPY}.",
            "tampered",
        )
    refuse(
        f"{kit} is signed by a key this laptop does not trust (key id {claimed or 'unknown'}), "
        "or was changed after it was signed; ask programme staff for their public key and run "
        "`reviewer-app keys trust`.",
        "untrusted",
    )


def _parse_json(data: bytes, name: str) -> Any:
    """``data`` parsed as strict JSON (UTF-8, no NaN), refusing with the position of an error."""

    def no_constants(token: str) -> NoReturn:
        raise ValueError(f"{token} is not allowed")

    advice = "ask programme staff for a corrected kit"
    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except UnicodeDecodeError:
        refuse(f"{name} in the kit is not UTF-8 text; {advice}.", "invalid")
    except json.JSONDecodeError as exc:
        refuse(
            f"{name} in the kit is not valid JSON (line {exc.lineno}, column {exc.colno}); "
            f"{advice}.",
            "invalid",
        )
    except (ValueError, RecursionError) as exc:
        refuse(f"{name} in the kit is not valid JSON ({exc}); {advice}.", "invalid")


def _parse_manifest(data: bytes, kid: str, kit: str) -> KitManifest:
    doc = _parse_json(data, MANIFEST_NAME)
    if isinstance(doc, dict) and doc.get("format") == KIT_FORMAT_NAME:
        version = doc.get("format_version")
        if isinstance(version, int) and version > KIT_FORMAT_VERSION:
            refuse(
                f"{kit} was made by a newer version of Reviewer App (kit format version "
                f"{version}; this app reads version {KIT_FORMAT_VERSION}); update Reviewer App "
                "and open the kit again.",
                "newer_version",
            )
    try:
        manifest = KitManifest.from_dict(doc)
    except KitDataError as exc:
        refuse(
            f"manifest.json in the kit is not valid ({exc}); ask programme staff for a "
            "corrected kit.",
            "invalid",
        )
    if manifest.signing_key_id != kid:
        refuse(
            f"{kit} names signing key {manifest.signing_key_id} but was signed with key "
            f"{kid}; ask programme staff for a corrected kit.",
            "invalid",
        )
    return manifest


# -- (5) and (6) the files ----------------------------------------------------------------------


def _check_file_list(
    files: Mapping[str, zipfile.ZipInfo], manifest: KitManifest, kit: str, limits: KitLimits
) -> None:
    present = set(files) - {MANIFEST_NAME, SIGNATURE_NAME}
    listed = set(manifest.files)
    missing = sorted(listed - present)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        refuse(
            f"{kit} is missing {missing[0]!r}{more}, which its manifest lists; {FRESH_COPY}.",
            "missing_file",
        )
    extra = sorted(present - listed)
    if extra:
        more = f" and {len(extra) - 1} more" if len(extra) > 1 else ""
        refuse(
            f"{kit} contains {extra[0]!r}{more}, which its manifest does not list, so it may "
            f"have been tampered with; {FRESH_COPY}.",
            "extra_file",
        )
    if STANDARDS_NAME not in listed:
        refuse(
            f"{kit} has no standards.json; ask programme staff for a corrected kit.", "missing_file"
        )
    for name in CONTENT_JSON_NAMES:
        entry = manifest.files.get(name)
        if entry is not None and entry.size > limits.max_json_size:
            refuse(
                f"{name} in {kit} is {entry.size:,} bytes, more than this app reads "
                f"({limits.max_json_size:,}); ask programme staff for a smaller kit.",
                "too_big",
            )


def _extract(  # noqa: PLR0913, PLR0917 (one step of _check)
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: KitManifest,
    kit: str,
    folder: Path | None,
    skip: Collection[str] = (),
) -> dict[str, bytes]:
    """Hash (and, given a folder, write) every listed file but those in ``skip``; return the
    JSON files' bytes (kept in memory, not written)."""
    root = folder.resolve() if folder is not None else None
    texts: dict[str, bytes] = {}
    for name in sorted(manifest.files):
        if name in skip:
            continue
        expected = manifest.files[name]
        keep = name in CONTENT_JSON_NAMES
        target = None
        if root is not None and not keep:
            target = root.joinpath(*name.split("/"))
            if not target.resolve().is_relative_to(root):  # the name checks make this impossible
                refuse(f"{kit} has an entry {name!r} outside its folder; {FRESH_COPY}.", "unsafe")
        kept: list[bytes] = []
        with _writer(target, kit) as write:
            size, sha = stream_entry(zf, files[name], expected.size, _tee(write, kept, keep))
        _check_entry(name, size, sha, manifest, kit)
        if keep:
            texts[name] = b"".join(kept)
    return texts


def _check_entry(name: str, size: int, sha: str, manifest: KitManifest, kit: str) -> None:
    """Refuse the kit when the entry ``name`` read as ``size`` bytes hashing to ``sha`` is not
    what its manifest says."""
    expected = manifest.files[name]
    if size != expected.size:
        refuse(
            f"{name!r} in {kit} is {'bigger' if size > expected.size else 'smaller'} "
            f"than its manifest says, so the kit was changed or damaged; {FRESH_COPY}.",
            "tampered",
        )
    if sha != expected.sha256:
        refuse(
            f"{name!r} in {kit} does not match its manifest (its SHA-256 differs), so the "
            f"kit was changed or damaged; {FRESH_COPY}.",
            "tampered",
        )


#: Threads that seal a kit's evidence. Two: hashing, reading and writing give the GIL away,
#: so one thread hashes while the other encrypts (AES-GCM holds the GIL), and on two cores
#: the evidence is sealed in about the time its SHA-256 takes.
SEALING_THREADS = 2


class SealedEvidence:
    """A kit's evidence documents being sealed into the visit's blob store on other threads
    (inflating, hashing and writing release the GIL, so the caller's parsing and database
    work overlap them), each checked against the signed manifest. The kit's zip is shared
    with the thread that started it: the last to let it go (:meth:`release_zip`) closes it."""

    def __init__(  # noqa: PLR0913, PLR0917 (what the threads read)
        self,
        zf: zipfile.ZipFile,
        files: Mapping[str, zipfile.ZipInfo],
        manifest: KitManifest,
        batch: IncomingBlobs,
        names: Sequence[str],
    ) -> None:
        self.batch = batch
        count = max(1, min(SEALING_THREADS, len(names)))
        self._zip, self._zip_users, self._zip_lock = zf, 1 + count, threading.Lock()
        self._stop = threading.Event()
        self._failed: list[tuple[int, BaseException]] = []
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(zf, files, manifest, list(enumerate(names))[i::count]),
                name=f"kit-evidence-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _run(
        self,
        zf: zipfile.ZipFile,
        files: Mapping[str, zipfile.ZipInfo],
        manifest: KitManifest,
        names: Sequence[tuple[int, str]],
    ) -> None:
        kit = Path(zf.filename or "kit").name
        position = -1
        try:
            with _refuse_damaged(kit), _StoredEntries.of(zf) as stored:
                for item in names:
                    position, name = item
                    if self._stop.is_set():
                        return
                    expected = manifest.files[name]
                    info = files[name]
                    size, sha = _seal(zf, info, expected.size, self.batch, kit, stored)
                    if stored is not None and (size, sha) != (expected.size, expected.sha256):
                        _check_crc(zf, info, expected.size)  # read raw: damage or a change?
                    _check_entry(name, size, sha, manifest, kit)
        except BaseException as exc:  # noqa: BLE001 (raised again on the caller's thread)
            self._failed.append((position, exc))
            self._stop.set()
        finally:
            self.release_zip()

    def release_zip(self) -> None:
        """One of the two users of the kit's zip is done with it."""
        with self._zip_lock:
            self._zip_users -= 1
            if self._zip_users == 0:
                self._zip.close()

    def wait(self) -> None:
        """Wait for every document; raise :class:`KitRefused` if one is not what the signed
        manifest says (or cannot be written): the first in the kit's order that failed."""
        for thread in self._threads:
            thread.join()
        if self._failed:
            raise min(self._failed, key=lambda failed: failed[0])[1]

    def place(self, shas: Iterable[str]) -> int:
        """Once every document passed (:meth:`wait`), put those named by ``shas`` in the blob
        store (renamed in, flushed); the rest are removed. How many were new."""
        self.wait()
        return self.batch.place(shas)

    def discard(self) -> None:
        """Stop (after the document being read) and remove what was sealed."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.batch.discard()


def _seal(  # noqa: PLR0913, PLR0917 (one step of SealedEvidence._run)
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    expected: int,
    batch: IncomingBlobs,
    kit: str,
    stored: _StoredEntries | None,
) -> tuple[int, str]:
    """Inflate, hash and seal an entry into ``batch`` in one pass (never more than
    ``expected`` + 1 bytes); return its size and SHA-256 for the caller to compare."""
    try:
        if stored is not None and info.compress_type == zipfile.ZIP_STORED:
            sealed = batch.seal(stored.entry(info), limit=expected + 1)
        else:
            with zf.open(info) as src:  # checks the entry's local header
                sealed = batch.seal(cast(BinaryIO, src), limit=expected + 1)
    except OSError as exc:
        raise KitRefused(
            f"Cannot unpack {kit} into {batch.store.root}: {exc.strerror or exc}; check there "
            "is free disk space and try again.",
            reason="disk",
        ) from exc
    return sealed.size, sealed.sha256


class _StoredEntries:
    """Stored (not deflated) entries read straight from the kit's file into the sealer's
    buffer (``os.preadv``), without zipfile's copy of every chunk and its CRC-32: each entry's
    SHA-256 is checked against the signed manifest, which a CRC-32 adds nothing to (when they
    differ, :func:`_check_crc` still tells damage from a change). The CRC-32 of 100 MB of
    evidence cost as much as its SHA-256 here, on the thread every kit import waits for."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    @contextlib.contextmanager
    def of(cls, zf: zipfile.ZipFile) -> Iterator[_StoredEntries | None]:
        """Entries of ``zf``'s file, or ``None`` where ``os.preadv`` is missing (Windows)."""
        if not hasattr(os, "preadv") or zf.filename is None:
            yield None
            return
        try:
            fd = os.open(zf.filename, os.O_RDONLY)
        except OSError:  # gone since zipfile opened it: zipfile reads it on
            yield None
            return
        try:
            yield cls(fd)
        finally:
            os.close(fd)

    def entry(self, info: zipfile.ZipInfo) -> BinaryIO:
        """The stored entry's bytes, once its local header is checked as ``zipfile.open``
        checks it (its signature, and the name the directory gives it), in one read: no seek
        of zipfile's shared file (each gave the GIL away, and waited to take it back)."""
        guess = len(info.orig_filename.encode("utf-8", errors="replace"))
        header = os.pread(self._fd, _LOCAL_HEADER.size + guess, info.header_offset)
        if len(header) < _LOCAL_HEADER.size:
            raise zipfile.BadZipFile(f"the header of {info.filename!r} is cut short")
        signature, flags, name_size, extra_size = _LOCAL_HEADER.unpack_from(header)
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad magic number for the header of {info.filename!r}")
        name = header[_LOCAL_HEADER.size :]
        if name_size != len(name):
            name = os.pread(self._fd, name_size, info.header_offset + _LOCAL_HEADER.size)
        # As zipfile reads it: UTF-8 when the header's flag says so, else cp437.
        if name.decode("utf-8" if flags & _UTF8_NAME else "cp437") != info.orig_filename:
            raise zipfile.BadZipFile(
                f"file name in directory {info.orig_filename!r} and header {name!r} differ"
            )
        start = info.header_offset + _LOCAL_HEADER.size + name_size + extra_size
        return cast(BinaryIO, _Range(self._fd, start, info.compress_size))


#: A zip entry's local header: its signature, its flags, and the sizes of the name and extra
#: field that follow it (the entry's data comes after them).
_LOCAL_HEADER = struct.Struct("<4s2xH18xHH")
_UTF8_NAME = 0x800  # flag bit 11: the name is UTF-8


class _Range:
    """``size`` bytes of the file ``fd`` from ``start``, read into the caller's buffer."""

    def __init__(self, fd: int, start: int, size: int) -> None:
        self._fd, self._pos, self._left = fd, start, size

    def readinto(self, buffer: memoryview | bytearray) -> int:
        view = memoryview(buffer)[: self._left]
        n = os.preadv(self._fd, [view], self._pos) if len(view) else 0
        self._pos += n
        self._left -= n
        return n


def _check_crc(zf: zipfile.ZipFile, info: zipfile.ZipInfo, expected: int) -> None:
    """Read the entry through zipfile, whose CRC-32 raises ``BadZipFile`` for a damaged one
    (refused as damaged); otherwise the caller refuses it as changed."""
    left = expected + 1
    with zf.open(info) as src:
        while left > 0 and (chunk := src.read(min(CHUNK, left))):
            left -= len(chunk)


def _tee(
    write: Callable[[bytes], object], kept: list[bytes], keep: bool
) -> Callable[[bytes], None]:
    """A sink that writes each chunk and, when ``keep``, also keeps it in ``kept``."""

    def sink(chunk: bytes) -> None:
        write(chunk)
        if keep:
            kept.append(chunk)

    return sink


@contextlib.contextmanager
def _writer(target: Path | None, kit: str) -> Iterator[Callable[[bytes], object]]:
    """A write function into ``target``, or one that discards when there is no target."""
    if target is None:
        yield len
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as f:
            yield f.write
    except OSError as exc:
        raise KitRefused(
            f"Cannot unpack {kit} into {target.parent}: {exc.strerror or exc}; check there is "
            "free disk space and try again.",
            reason="disk",
        ) from exc


# -- (7) the content ----------------------------------------------------------------------------


def _parse_contents(
    texts: Mapping[str, bytes], manifest: KitManifest, kid: str, kit: str
) -> _Contents:
    advice = "ask programme staff for a corrected kit"

    def parse(name: str, build: Callable[[Any], Any], default: Any) -> Any:
        if name not in texts:
            return default
        try:
            return build(_parse_json(texts[name], name))
        except KitDataError as exc:
            refuse(f"{name} in the kit is not valid ({exc}); {advice}.", "invalid")

    standards: StandardsSet = parse(STANDARDS_NAME, StandardsSet.from_dict, None)
    self_assessment: tuple[SelfAssessmentEntry, ...] = parse(
        SELF_ASSESSMENT_NAME, self_assessment_from_list, ()
    )
    evidence: tuple[EvidenceDoc, ...] = parse(EVIDENCE_INDEX_NAME, evidence_from_list, ())
    for i, doc in enumerate(evidence):
        if doc.file not in manifest.files or doc.file in (EVIDENCE_INDEX_NAME, *texts):
            refuse(
                f"{EVIDENCE_INDEX_NAME} in the kit is not valid (evidence[{i}].file: "
                f"{doc.file!r} is not an evidence file of the kit); {advice}.",
                "invalid",
            )
    problems = consistency_problems(manifest.visit, standards, self_assessment, evidence)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        refuse(f"The parts of {kit} do not fit together: {problems[0]}{more}; {advice}.", "invalid")
    return _Contents(
        manifest=manifest,
        signing_key_id=kid,
        standards=standards,
        self_assessment=self_assessment,
        evidence=evidence,
    )
