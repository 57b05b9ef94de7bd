"""Building a signed visit kit (``.rvkit``) from a visit, its standards and the provider's evidence.

``build_kit`` checks that everything fits together first and lists every problem at once
(:class:`KitBuildError`), then writes the zip to a temporary file next to ``out`` and moves it
into place, so ``out`` is either the old file, nothing, or a whole kit. The layout is DESIGN.md's
"Visit kit": ``manifest.json`` (canonical JSON, listing the SHA-256 and size of every other file),
``manifest.sig`` (the raw Ed25519 signature of the manifest's exact bytes), ``standards.json``,
``self_assessment.json`` (only when there is one), ``evidence/index.json`` and ``evidence/<files>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage.files import replacing
from sync.keys import key_id
from sync.kit_format import (
    EVIDENCE_DIR,
    EVIDENCE_INDEX_NAME,
    MANIFEST_NAME,
    SELF_ASSESSMENT_NAME,
    SIGNATURE_NAME,
    STANDARDS_NAME,
    KitLimits,
    canonical_json,
    consistency_problems,
)
from sync.kit_model import (
    EvidenceDoc,
    FileEntry,
    KitDataError,
    KitManifest,
    SelfAssessmentEntry,
    StandardsSet,
    VisitDetails,
    evidence_from_list,
    self_assessment_from_list,
)
from sync.progress import Progress

PACKING = "Packing evidence"  # what the progress says (in bytes)

#: Formats that are compressed already: deflating them again costs time and saves nothing.
COMPRESSED_SUFFIXES = frozenset(
    ".pdf .jpg .jpeg .png .gif .webp .heic .heif .docx .xlsx .pptx .odt .ods .odp .zip .gz .bz2"
    " .xz .7z .rar .mp3 .mp4 .m4a .mov .avi".split()
)

_CHUNK = 1024 * 1024
_MAX_NAME = 100  # characters in an evidence file's name inside the kit
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{i}" for port in ("com", "lpt") for i in range(1, 10)]
)


class KitBuildError(ValueError):
    """The kit's inputs do not fit together; ``problems`` lists every one (the message too)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"Cannot build the kit ({count}):\n{lines}")


@dataclass(frozen=True, slots=True)
class _Member:
    """One file to put in the zip: its bytes, or the evidence file it streams from."""

    name: str
    data: bytes | None = None
    source: Path | None = None
    size: int = 0

    @property
    def compressed_already(self) -> bool:
        return self.source is not None and self.source.suffix.lower() in COMPRESSED_SUFFIXES


def build_kit(
    out: Path,
    *,
    visit: VisitDetails,
    standards: StandardsSet,
    signing_key: Ed25519PrivateKey,
    created_by: str,
    self_assessment: Sequence[SelfAssessmentEntry] = (),
    evidence: Sequence[tuple[EvidenceDoc, Path]] = (),
    kit_id: str | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> KitManifest:
    """Write a signed kit to ``out`` (conventionally ``<name>.rvkit``) and return its manifest.

    ``evidence`` pairs each document with the file to include; the document's ``file`` is
    replaced by the kit's own safe, unique name ``evidence/<name>``. A standard with an empty
    ``applies_to`` applies to every component of the visit, and the kit says so explicitly.
    ``kit_id`` defaults to a new UUID and ``now`` (the kit's ``created_at``) to the current time;
    the team key is always new. ``progress(done, total, PACKING)`` is called in bytes as files
    are written.

    Raises :class:`KitBuildError` listing every problem before anything is written: data that
    would not read back, standards or self-assessment naming unknown components or refs,
    evidence citing unknown standards or missing files, no team lead, a kit too big for readers.
    """
    components = tuple(c.id for c in visit.components)
    standards = dataclasses.replace(
        standards,
        standards=tuple(
            s if s.applies_to else dataclasses.replace(s, applies_to=components)
            for s in standards.standards
        ),
    )
    docs = _name_evidence(evidence)
    limits = KitLimits()
    problems = _problems(
        visit=visit,
        standards=standards,
        self_assessment=self_assessment,
        evidence=evidence,
        docs=docs,
        limits=limits,
    )
    if problems:
        raise KitBuildError(problems)

    members = [_Member(STANDARDS_NAME, data=canonical_json(standards.to_dict()))]
    if self_assessment:
        data = canonical_json([e.to_dict() for e in self_assessment])
        members.append(_Member(SELF_ASSESSMENT_NAME, data=data))
    members.append(_Member(EVIDENCE_INDEX_NAME, data=canonical_json([d.to_dict() for d in docs])))
    members += [
        _Member(d.file, source=path, size=path.stat().st_size)
        for d, (_, path) in zip(docs, evidence, strict=True)
    ]
    too_big = _size_problems(members, limits)
    if too_big:
        raise KitBuildError(too_big)

    if now is None:
        created = datetime.now(UTC)
    else:  # a naive time is taken to be UTC already
        created = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    public = signing_key.public_key()
    manifest_base = KitManifest(
        kit_id=kit_id or str(uuid.uuid4()),
        visit=visit,
        standards_set=standards.info,
        created_at=created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        created_by=created_by,
        signing_key_id=key_id(public),
        team_key=secrets.token_bytes(32),
    )
    date_time = (max(created.year, 1980), *created.timetuple()[1:6])
    return _write_atomically(
        out,
        members,
        manifest_base=manifest_base,
        signing_key=signing_key,
        date_time=date_time,
        limits=limits,
        progress=progress,
    )


def _problems(
    *,
    visit: VisitDetails,
    standards: StandardsSet,
    self_assessment: Sequence[SelfAssessmentEntry],
    evidence: Sequence[tuple[EvidenceDoc, Path]],
    docs: Sequence[EvidenceDoc],
    limits: KitLimits,
) -> list[str]:
    problems: list[str] = []
    # What the reader will parse must parse: a round trip through from_dict finds empty fields,
    # unknown sections, bad claims and repeated ids with the same words the reader would use.
    checks: list[Callable[[], object]] = [
        lambda: VisitDetails.from_dict(visit.to_dict()),
        lambda: StandardsSet.from_dict(standards.to_dict()),
        lambda: self_assessment_from_list([e.to_dict() for e in self_assessment]),
        lambda: evidence_from_list([d.to_dict() for d in docs]),
    ]
    for check in checks:
        try:
            check()
        except KitDataError as exc:
            problems.append(str(exc))
    problems += consistency_problems(visit, standards, self_assessment, docs)
    for doc, path in evidence:
        if not path.is_file():
            problems.append(f"evidence {doc.id!r}: the file {path} does not exist")
    if len(evidence) + 5 > limits.max_entries:
        problems.append(
            f"{len(evidence)} evidence files are more than a kit may hold "
            f"({limits.max_entries - 5})"
        )
    return problems


def _size_problems(members: Sequence[_Member], limits: KitLimits) -> list[str]:
    problems = [
        f"{m.name} would be {len(m.data):,} bytes, more than readers accept "
        f"({limits.max_json_size:,})"
        for m in members
        if m.data is not None and len(m.data) > limits.max_json_size
    ]
    total = sum(len(m.data) if m.data is not None else m.size for m in members)
    if total > limits.max_total_size:
        problems.append(
            f"the kit would hold {total:,} bytes, more than readers accept "
            f"({limits.max_total_size:,}); leave out some evidence"
        )
    return problems


def _name_evidence(evidence: Sequence[tuple[EvidenceDoc, Path]]) -> list[EvidenceDoc]:
    """Each document with ``file`` set to a safe name in ``evidence/``, unique ignoring case."""
    taken = {PurePosixPath(EVIDENCE_INDEX_NAME).name.casefold()}
    docs = []
    for doc, path in evidence:
        stem, suffix = _safe_parts(path.name, fallback=doc.id)
        name = stem + suffix
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        taken.add(name.casefold())
        docs.append(dataclasses.replace(doc, file=EVIDENCE_DIR + name))
    return docs


def _safe_parts(filename: str, *, fallback: str) -> tuple[str, str]:
    """A stem and suffix of plain ASCII letters, digits, ``.``, ``_`` and ``-``, fit for any OS."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    name = _UNSAFE.sub("_", ascii_name).strip("._-")
    path = PurePosixPath(name or "file")
    suffix = path.suffix if 1 < len(path.suffix) <= 10 else ""
    stem = path.name[: len(path.name) - len(suffix)].strip("._-")
    if not stem:
        stem = (
            _UNSAFE.sub(
                "_", unicodedata.normalize("NFKD", fallback).encode("ascii", "ignore").decode()
            ).strip("._-")
            or "document"
        )
    if stem.split(".")[0].casefold() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem[: _MAX_NAME - len(suffix)], suffix


def _write_atomically(
    out: Path,
    members: Sequence[_Member],
    *,
    manifest_base: KitManifest,
    signing_key: Ed25519PrivateKey,
    date_time: tuple[int, int, int, int, int, int],
    limits: KitLimits,
    progress: Progress | None,
) -> KitManifest:
    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing(out, mode=0o600) as tmp:  # 0600, as the kits built before
        store: set[str] = set()
        while True:
            manifest, squeezed = _write_zip(
                tmp,
                members,
                manifest_base=manifest_base,
                signing_key=signing_key,
                date_time=date_time,
                limits=limits,
                store=store,
                progress=progress,
            )
            if not squeezed:
                break
            # A file so repetitive that it deflates beyond the ratio readers accept (they take
            # that for a zip bomb): write the kit again with that file stored. Rare, so the
            # usual case still reads each evidence file once.
            store |= squeezed
    return manifest


def _write_zip(
    tmp: Path,
    members: Sequence[_Member],
    *,
    manifest_base: KitManifest,
    signing_key: Ed25519PrivateKey,
    date_time: tuple[int, int, int, int, int, int],
    limits: KitLimits,
    store: set[str],
    progress: Progress | None,
) -> tuple[KitManifest, set[str]]:
    total = sum(len(m.data) if m.data is not None else m.size for m in members)
    done = 0
    if progress:
        progress(0, total, PACKING)
    files: dict[str, FileEntry] = {}
    squeezed: set[str] = set()
    with tmp.open("wb") as raw, zipfile.ZipFile(raw, "w") as zf:
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time)
            info.external_attr = 0o644 << 16
            stored = m.compressed_already or m.name in store
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            digest = hashlib.sha256()
            size = 0
            with zf.open(info, "w", force_zip64=m.size > 2**31 - 1) as dest:
                if m.data is not None:
                    digest.update(m.data)
                    dest.write(m.data)
                    size = len(m.data)
                    done += size
                else:
                    assert m.source is not None
                    with m.source.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            dest.write(chunk)
                            size += len(chunk)
                            done += len(chunk)
                            if progress:
                                progress(min(done, total), total, PACKING)
            files[m.name] = FileEntry(sha256=digest.hexdigest(), size=size)
            if limits.inflates_too_far(size, info.compress_size):
                squeezed.add(m.name)
        manifest = dataclasses.replace(manifest_base, files=files)
        manifest_bytes = canonical_json(manifest.to_dict())
        if len(manifest_bytes) > limits.max_manifest_size:
            raise KitBuildError(
                [f"the manifest would be {len(manifest_bytes):,} bytes, more than readers accept"]
            )
        for name, data in (
            (MANIFEST_NAME, manifest_bytes),
            (SIGNATURE_NAME, signing_key.sign(manifest_bytes)),
        ):
            info = zipfile.ZipInfo(name, date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
        zf.close()
    if progress:
        progress(total, total, PACKING)
    return manifest, squeezed
