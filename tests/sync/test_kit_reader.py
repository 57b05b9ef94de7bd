"""Reading visit kits: a good kit round-trips; every hostile or damaged kit is refused, leaving
nothing behind in the staging folder.

Hostile kits are crafted with :func:`write_zip` (any entries at all) and :func:`signed_kit` (a
properly signed manifest listing the hashes of whatever files it is given), so each test reaches
exactly the check it is about.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage.attachments import BlobStore
from sync.keys import TrustStore, generate_key, key_id, load_signing_key
from sync.kit_builder import build_kit
from sync.kit_format import DEFAULT_LIMITS, KitLimits, canonical_json
from sync.kit_model import (
    Component,
    EvidenceDoc,
    KitManifest,
    Member,
    Organisation,
    Part,
    SelfAssessmentEntry,
    Session,
    Site,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.kit_reader import KitRefused, VerifiedKit, read_kit, verify_kit

VISIT = VisitDetails(
    visit_id="0f1e2d3c-4b5a-4697-8877-665544332211",
    programme="Critical care",
    title="Southbank critical care review",
    network="South network",
    organisations=(Organisation("sb", "Southbank Hospitals"),),
    sites=(Site("main", "Main site", "sb"),),
    components=(Component("icu", "Adult ICU", "main"), Component("hdu", "High dependency unit")),
    start_date="2025-05-20",
    end_date="2025-05-20",
    venue="Board room",
    timetable=(Session("s1", "2025-05-20", "09:00", "09:30", "Welcome", "Board room"),),
    team=(
        Member("lead", "Chidi Okafor", "Consultant", "North Trust", lead=True),
        Member("nurse", "Dana Ng", "Senior nurse", "West Trust"),
    ),
)
STANDARDS = StandardsSet(
    info=StandardsSetInfo("qs-cc", "Critical care quality standards", "3.0", "2024-10-01"),
    sections=("Patient and carer experience", "Staffing", "Governance"),
    standards=(
        Standard(
            "CC-101",
            "Patient and carer experience",
            "Information",
            "Patients and carers have information about:",
            parts=(Part("a", "the unit"), Part("b", "visiting")),
            applies_to=("icu", "hdu"),
            order=1,
        ),
        Standard(
            "CC-102",
            "Patient and carer experience",
            "Involvement",
            "Carers are involved.",
            applies_to=("icu",),
            order=2,
        ),
        Standard(
            "CC-201",
            "Staffing",
            "Consultant cover",
            "A consultant is available 24/7.",
            key=True,
            applies_to=("icu", "hdu"),
            order=3,
            notes=(("Level", "Level 3"),),
        ),
        Standard(
            "CC-202",
            "Staffing",
            "Nurse ratios",
            "Ratios are met:",
            parts=(Part("a", "1:1 for level 3"), Part("b", "1:2 for level 2")),
            evidence_expected="Rotas",
            applies_to=("hdu",),
            order=4,
        ),
        Standard(
            "CC-301",
            "Governance",
            "Meetings",
            "Governance meetings are held.",
            applies_to=("icu", "hdu"),
            order=5,
        ),
    ),
)
SELF_ASSESSMENT = (
    SelfAssessmentEntry("CC-101", "icu", "met", "Leaflets in every bay", ("policy",)),
    SelfAssessmentEntry("CC-202", "hdu", "not_met", "Vacancies", ("rota",)),
)
GOOD_FILES = (
    "standards.json",
    "self_assessment.json",
    "evidence/index.json",
    "evidence/policy.pdf",
    "evidence/rota.txt",
)


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    generate_key(folder / "staff")
    return folder


@pytest.fixture
def signing_key(keys: Path) -> Ed25519PrivateKey:
    return load_signing_key(keys / "staff")


@pytest.fixture
def trust(keys: Path) -> TrustStore:
    return TrustStore([keys])


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    folder = tmp_path / "staging"
    folder.mkdir()
    return folder


@pytest.fixture
def evidence(tmp_path: Path) -> list[tuple[EvidenceDoc, Path]]:
    src = tmp_path / "provider"
    src.mkdir()
    pdf = src / "policy.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    rota = src / "rota.txt"
    rota.write_text("Mon: 1:1\nTue: 1:2\n" * 50, encoding="utf-8")
    return [
        (EvidenceDoc("policy", "Information policy", "", ("CC-101",)), pdf),
        (EvidenceDoc("rota", "Nursing rota", "", ("CC-202",)), rota),
    ]


@pytest.fixture
def kit(
    tmp_path: Path, signing_key: Ed25519PrivateKey, evidence: list[tuple[EvidenceDoc, Path]]
) -> Path:
    out = tmp_path / "southbank.rvkit"
    build_kit(
        out,
        visit=VISIT,
        standards=STANDARDS,
        signing_key=signing_key,
        created_by="programme@example.org",
        self_assessment=SELF_ASSESSMENT,
        evidence=evidence,
    )
    return out


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(
    path: Path,
    entries: Iterable[tuple[str | zipfile.ZipInfo, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A zip with exactly these entries, in this order, duplicates and odd names included."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in entries:
                zf.writestr(_info(name), data, compress_type=compression)
    return path


def _info(name: str | zipfile.ZipInfo) -> zipfile.ZipInfo:
    if isinstance(name, zipfile.ZipInfo):
        return name
    info = zipfile.ZipInfo()
    info.filename = name  # as is: ZipInfo(name) would cut it at a NUL
    return info


def signed_kit(
    path: Path,
    key: Ed25519PrivateKey,
    files: dict[str, bytes],
    *,
    base: dict[str, Any],
    listed: dict[str, bytes] | None = None,
    changes: dict[str, Any] | None = None,
    extra: Iterable[tuple[str | zipfile.ZipInfo, bytes]] = (),
) -> Path:
    """A kit whose manifest (``base`` with ``changes``) lists the hashes of ``listed`` (default:
    ``files``) and is properly signed by ``key``; the zip holds ``files`` then ``extra``."""
    manifest = dict(base)
    manifest["signing_key_id"] = key_id(key.public_key())
    manifest["files"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in (files if listed is None else listed).items()
    }
    manifest.update(changes or {})
    manifest_bytes = canonical_json(manifest)
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [*files.items(), *extra]
    entries += [("manifest.json", manifest_bytes), ("manifest.sig", key.sign(manifest_bytes))]
    return write_zip(path, entries)


def content_of(kit: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The good kit's manifest as a dict, and its other files."""
    members = members_of(kit)
    manifest = json.loads(members.pop("manifest.json"))
    members.pop("manifest.sig")
    return manifest, members


def refused(
    path: Path,
    trust: TrustStore,
    staging: Path,
    limits: KitLimits = DEFAULT_LIMITS,
) -> KitRefused:
    """Both read_kit and verify_kit refuse ``path`` for the same reason; staging stays empty."""
    with pytest.raises(KitRefused) as caught:
        read_kit(path, trust=trust, staging_root=staging, limits=limits)
    assert list(staging.iterdir()) == []
    with pytest.raises(KitRefused) as again:
        verify_kit(path, trust=trust, limits=limits)
    assert again.value.reason == caught.value.reason
    message = str(caught.value)
    assert path.name in message or "in the kit" in message
    assert "\n" not in message and "Traceback" not in message
    return caught.value


# -- a good kit -------------------------------------------------------------------------------


def test_a_kit_reads_back_exactly_what_was_built(
    kit: Path,
    trust: TrustStore,
    staging: Path,
    signing_key: Ed25519PrivateKey,
    evidence: list[tuple[EvidenceDoc, Path]],
) -> None:
    with read_kit(kit, trust=trust, staging_root=staging) as verified:
        assert isinstance(verified, VerifiedKit)
        assert verified.folder.parent == staging
        assert verified.signing_key_id == key_id(signing_key.public_key())
        assert verified.manifest == KitManifest.from_dict(
            json.loads(members_of(kit)["manifest.json"])
        )
        assert verified.manifest.visit == VISIT
        assert verified.manifest.standards_set == STANDARDS.info
        assert verified.standards == STANDARDS
        assert verified.self_assessment == SELF_ASSESSMENT
        assert [(d.id, d.title, d.standards) for d in verified.evidence] == [
            (doc.id, doc.title, doc.standards) for doc, _ in evidence
        ]
        for doc, (_, source) in zip(verified.evidence, evidence, strict=True):
            assert verified.file_path(doc.file).read_bytes() == source.read_bytes()
        assert sorted(verified.manifest.files) == sorted(GOOD_FILES)
        with pytest.raises(KeyError):
            verified.file_path("evidence/not-there.pdf")
        folder = verified.folder
    assert not folder.exists()
    assert list(staging.iterdir()) == []


def test_verify_kit_checks_without_keeping_anything(
    kit: Path, trust: TrustStore, tmp_path: Path
) -> None:
    before = sorted(tmp_path.rglob("*"))
    manifest = verify_kit(kit, trust=trust)
    assert manifest.visit == VISIT
    assert sorted(tmp_path.rglob("*")) == before


def test_staging_root_is_made_only_for_a_kit_that_passes(
    kit: Path, trust: TrustStore, tmp_path: Path
) -> None:
    root = tmp_path / "data" / "staging"
    refused_kit = tmp_path / "junk.rvkit"
    refused_kit.write_bytes(b"junk")
    with pytest.raises(KitRefused):
        read_kit(refused_kit, trust=trust, staging_root=root)
    assert not root.exists()
    tampered = tmp_path / "tampered.rvkit"
    members = members_of(kit)
    members["evidence/rota.txt"] += b"!"
    write_zip(tampered, members.items())
    with pytest.raises(KitRefused):
        read_kit(tampered, trust=trust, staging_root=root)
    assert not root.exists()
    read_kit(kit, trust=trust, staging_root=root).cleanup()
    assert root.is_dir()
    assert list(root.iterdir()) == []


# -- not a kit at all -------------------------------------------------------------------------


def test_random_bytes_are_not_a_kit(tmp_path: Path, trust: TrustStore, staging: Path) -> None:
    path = tmp_path / "random.rvkit"
    path.write_bytes(os.urandom(5000))
    problem = refused(path, trust, staging)
    assert problem.reason == "not_zip"
    assert "random.rvkit is not a visit kit (not a zip archive" in str(problem)


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_a_truncated_kit_is_refused(
    kit: Path, trust: TrustStore, staging: Path, keep: float
) -> None:
    data = kit.read_bytes()
    kit.write_bytes(data[: int(len(data) * keep)])
    problem = refused(kit, trust, staging)
    assert problem.reason == "not_zip"


def test_a_damaged_entry_is_refused(kit: Path, trust: TrustStore, staging: Path) -> None:
    with zipfile.ZipFile(kit) as zf:
        info = zf.getinfo("evidence/policy.pdf")  # stored, so its bytes sit in the file as-is
    data = bytearray(kit.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF
    kit.write_bytes(bytes(data))
    problem = refused(kit, trust, staging)
    assert problem.reason == "damaged"


def test_a_missing_file_is_refused(kit: Path, trust: TrustStore, staging: Path) -> None:
    assert refused(kit.with_name("nowhere.rvkit"), trust, staging).reason == "not_found"


# -- signatures -------------------------------------------------------------------------------


def test_a_kit_signed_by_an_untrusted_key_is_refused(
    tmp_path: Path, staging: Path, evidence: list[tuple[EvidenceDoc, Path]]
) -> None:
    generate_key(tmp_path / "other" / "stranger")
    stranger = load_signing_key(tmp_path / "other" / "stranger")
    path = tmp_path / "stranger.rvkit"
    build_kit(
        path,
        visit=VISIT,
        standards=STANDARDS,
        signing_key=stranger,
        created_by="x",
        evidence=evidence,
    )
    trust = TrustStore([tmp_path / "keys"])  # does not hold the stranger's key
    problem = refused(path, trust, staging)
    assert problem.reason == "untrusted"
    assert "signed by a key this laptop does not trust" in str(problem)
    assert key_id(stranger.public_key()) in str(problem)
    assert "reviewer-app keys trust" in str(problem)


def test_an_unsigned_kit_is_refused(kit: Path, trust: TrustStore, staging: Path) -> None:
    members = members_of(kit)
    del members["manifest.sig"]
    write_zip(kit, members.items())
    problem = refused(kit, trust, staging)
    assert problem.reason == "unsigned"
    assert "not signed" in str(problem)


def test_a_kit_without_a_manifest_is_refused(kit: Path, trust: TrustStore, staging: Path) -> None:
    members = members_of(kit)
    del members["manifest.json"]
    write_zip(kit, members.items())
    assert "no manifest.json" in str(refused(kit, trust, staging))


def _flip_one_byte(name: str, data: bytes) -> bytes:
    # In the manifest, change a character of the kit id, so the text stays JSON and the key id
    # it claims stays readable; anywhere else, any byte will do.
    at = data.index(b'"kit_id":"') + 12 if name == "manifest.json" else len(data) // 2
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig", *GOOD_FILES])
def test_one_changed_byte_anywhere_is_refused(
    kit: Path, trust: TrustStore, staging: Path, name: str
) -> None:
    members = members_of(kit)
    members[name] = _flip_one_byte(name, members[name])
    write_zip(kit, members.items())  # a well-formed zip: only the kit's own checks can tell
    problem = refused(kit, trust, staging)
    assert problem.reason == "tampered"
    if name.startswith("manifest"):
        assert "changed after it was signed" in str(problem)
    else:
        assert f"{name!r} in {kit.name} does not match its manifest" in str(problem)


# -- evidence sealed into a visit's blob store while it is read ---------------------------------


def sealed_refusal(kit: Path, trust: TrustStore, staging: Path, store: BlobStore) -> KitRefused:
    """``read_kit`` with a blob store refuses ``kit`` (perhaps once its evidence is read),
    leaving nothing in the store or in staging."""
    with (
        pytest.raises(KitRefused) as caught,
        read_kit(kit, trust=trust, staging_root=staging, blobs_for=lambda _: store) as vk,
    ):
        assert vk.blobs is not None
        vk.blobs.wait()
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))
    assert list(staging.iterdir()) == []
    return caught.value


def test_evidence_sealed_into_the_store_reads_back_as_the_kit_holds_it(
    kit: Path, trust: TrustStore, staging: Path, tmp_path: Path
) -> None:
    store = BlobStore(tmp_path / "visit" / "blobs", os.urandom(32))
    evidence = {n: b for n, b in members_of(kit).items() if n.startswith("evidence/") and
                n != "evidence/index.json"}  # fmt: skip
    with read_kit(kit, trust=trust, staging_root=staging, blobs_for=lambda _: store) as vk:
        assert vk.blobs is not None
        shas = [hashlib.sha256(data).hexdigest() for data in evidence.values()]
        assert vk.blobs.place(shas) == len(evidence)
    for sha, data in zip(shas, evidence.values(), strict=True):
        assert store.read_bytes(sha) == data
        assert data[:200] not in store.path(sha).read_bytes()  # sealed, not plain


def test_a_damaged_stored_evidence_file_is_refused_as_damaged_when_sealed(
    kit: Path, trust: TrustStore, staging: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(kit) as zf:
        info = zf.getinfo("evidence/policy.pdf")
    assert info.compress_type == zipfile.ZIP_STORED  # read straight from the file, no CRC-32
    data = bytearray(kit.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF
    kit.write_bytes(bytes(data))
    store = BlobStore(tmp_path / "visit" / "blobs", os.urandom(32))
    assert sealed_refusal(kit, trust, staging, store).reason == "damaged"


@pytest.mark.parametrize(
    ("offset", "what"), [(0, "its header's signature"), (30, "the name in its header")]
)
def test_a_stored_evidence_file_whose_local_header_is_damaged_is_refused_when_sealed(  # noqa: PLR0913, PLR0917
    kit: Path, trust: TrustStore, staging: Path, tmp_path: Path, offset: int, what: str
) -> None:
    # The sealer reads stored entries straight from the file: it checks their local header as
    # zipfile would (a header naming another file is damage, not that file's bytes).
    with zipfile.ZipFile(kit) as zf:
        info = zf.getinfo("evidence/policy.pdf")
    assert info.compress_type == zipfile.ZIP_STORED
    data = bytearray(kit.read_bytes())
    data[info.header_offset + offset] ^= 0x01  # "PK.." or the name's first letter
    kit.write_bytes(bytes(data))
    store = BlobStore(tmp_path / "visit" / "blobs", os.urandom(32))
    problem = sealed_refusal(kit, trust, staging, store)
    assert problem.reason == "damaged", what
    assert "evidence/policy.pdf" in str(problem)


def test_a_changed_stored_evidence_file_is_refused_when_sealed(
    kit: Path, trust: TrustStore, staging: Path, tmp_path: Path
) -> None:
    members = members_of(kit)
    name = "evidence/policy.pdf"
    members[name] = _flip_one_byte(name, members[name])
    write_zip(kit, members.items(), zipfile.ZIP_STORED)  # its CRC-32 matches the change
    store = BlobStore(tmp_path / "visit" / "blobs", os.urandom(32))
    problem = sealed_refusal(kit, trust, staging, store)
    assert problem.reason == "tampered"
    assert f"{name!r} in {kit.name} does not match its manifest" in str(problem)


def test_a_file_whose_size_differs_from_the_manifest_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    manifest_files = dict(base["files"])
    manifest_files["evidence/rota.txt"] = {**manifest_files["evidence/rota.txt"], "size": 5}
    signed_kit(kit, signing_key, files, base=base, changes={"files": manifest_files})
    problem = refused(kit, trust, staging)
    assert problem.reason == "tampered"
    assert "'evidence/rota.txt'" in str(problem) and "bigger than its manifest" in str(problem)


# -- the file list ----------------------------------------------------------------------------


def test_a_file_the_manifest_lists_but_the_kit_lacks_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    listed = dict(files)
    del files["evidence/rota.txt"]
    signed_kit(kit, signing_key, files, base=base, listed=listed)
    problem = refused(kit, trust, staging)
    assert problem.reason == "missing_file"
    assert "missing 'evidence/rota.txt'" in str(problem)


def test_a_file_the_manifest_does_not_list_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    signed_kit(kit, signing_key, files, base=base, extra=[("evidence/extra.exe", b"MZ")])
    problem = refused(kit, trust, staging)
    assert problem.reason == "extra_file"
    assert "'evidence/extra.exe'" in str(problem)


# -- the zip directory ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        ("../x", "outside its folder"),
        ("evidence/../../x", "outside its folder"),
        ("/abs", "absolute path"),
        ("C:/x", "drive letter"),
        ("a\\b", "backslash"),
        ("..\\x", "backslash"),
        ("evidence/a\x00.pdf", "control character"),
    ],
)
def test_unsafe_names_are_refused(
    kit: Path,
    trust: TrustStore,
    staging: Path,
    signing_key: Ed25519PrivateKey,
    case: tuple[str, str],
) -> None:
    name, words = case
    base, files = content_of(kit)
    files[name] = b"payload"  # even listed in a properly signed manifest
    signed_kit(kit, signing_key, files, base=base)
    problem = refused(kit, trust, staging)
    assert problem.reason == "unsafe"
    assert words in str(problem)
    assert not (staging.parent / "x").exists()


def test_a_symlink_entry_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    link = zipfile.ZipInfo("evidence/link.pdf")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    signed_kit(
        kit,
        signing_key,
        files,
        base=base,
        listed={**files, "evidence/link.pdf": b"/etc"},
        extra=[(link, b"/etc")],
    )
    problem = refused(kit, trust, staging)
    assert problem.reason == "unsafe"
    assert "'evidence/link.pdf' that is a link" in str(problem)


@pytest.mark.parametrize("second", ["evidence/rota.txt", "EVIDENCE/Rota.TXT"])
def test_duplicate_names_are_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey, second: str
) -> None:
    base, files = content_of(kit)
    signed_kit(kit, signing_key, files, base=base, extra=[(second, b"the other rota")])
    problem = refused(kit, trust, staging)
    assert problem.reason == "unsafe"
    assert "more than once" in str(problem)


def test_directory_entries_are_fine(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    folder = zipfile.ZipInfo("evidence/")
    folder.external_attr = (stat.S_IFDIR | 0o755) << 16
    signed_kit(kit, signing_key, files, base=base, extra=[(folder, b"")])
    read_kit(kit, trust=trust, staging_root=staging).cleanup()


def _zeros(total: int) -> Iterator[bytes]:
    block = bytes(1024 * 1024)
    for _ in range(total // len(block)):
        yield block


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.rvkit"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("evidence/zeros.bin", "w", force_zip64=True) as f:
            for block in _zeros(1024 * 1024 * 1024):
                f.write(block)
        zf.writestr("manifest.json", b"{}")
    return path


def _spoil(kit: Path, name: str, out: Path) -> Path:
    """A copy of ``kit`` at ``out`` whose entry ``name`` keeps its directory record but has
    zeros for its compressed bytes: a stored block with bad lengths, which cannot be inflated."""
    data = bytearray(kit.read_bytes())
    with zipfile.ZipFile(kit) as zf:
        info = zf.getinfo(name)
    header = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[header + 26 : header + 30])
    start = header + 30 + name_len + extra_len
    data[start : start + info.compress_size] = bytes(info.compress_size)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def test_an_entry_that_inflates_to_a_gibibyte_is_refused_from_the_directory(
    bomb: Path, trust: TrustStore, staging: Path, tmp_path: Path
) -> None:
    assert bomb.stat().st_size < 5 * 1024 * 1024
    problem = refused(bomb, trust, staging)
    assert problem.reason == "too_big"
    assert "'evidence/zeros.bin' would inflate" in str(problem)
    # Nothing was inflated: the same kit with bytes that cannot be inflated is refused in the
    # same words (reading the entry would have failed otherwise, and taken a while first).
    spoiled = _spoil(bomb, "evidence/zeros.bin", tmp_path / "spoiled" / bomb.name)
    with zipfile.ZipFile(spoiled) as zf, pytest.raises(zlib.error):
        zf.open("evidence/zeros.bin").read(1024 * 1024)
    assert str(refused(spoiled, trust, staging)) == str(problem)


def test_a_hundred_thousand_entries_are_refused(
    tmp_path: Path, trust: TrustStore, staging: Path
) -> None:
    path = tmp_path / "many.rvkit"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(100_000):
            zf.writestr(f"evidence/{i}", b"" if i % 2 else b"x")
    problem = refused(path, trust, staging)
    assert problem.reason == "too_big"
    assert "100,000 entries" in str(problem)


def test_limits_on_total_size_and_manifest_size(
    kit: Path, trust: TrustStore, staging: Path
) -> None:
    assert "would unpack to" in str(refused(kit, trust, staging, KitLimits(max_total_size=1000)))
    problem = refused(kit, trust, staging, KitLimits(max_manifest_size=100))
    assert problem.reason == "too_big" and "manifest.json" in str(problem)


# -- the signed content -----------------------------------------------------------------------


def test_an_unknown_format_version_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    signed_kit(kit, signing_key, files, base=base, changes={"format_version": 2})
    problem = refused(kit, trust, staging)
    assert problem.reason == "newer_version"
    assert "made by a newer version of Reviewer App" in str(problem)


def test_invalid_json_in_standards_is_refused_with_its_position(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    files["standards.json"] = b'{"set": {"id": "x",\n  "title": oops}'
    signed_kit(kit, signing_key, files, base=base)
    problem = refused(kit, trust, staging)
    assert problem.reason == "invalid"
    assert "standards.json in the kit is not valid JSON (line 2, column 12)" in str(problem)


@pytest.mark.parametrize(
    ("name", "where", "value", "expected"),
    [
        (
            "standards.json",
            ("standards", 3, "key"),
            "yes",
            "standards.json in the kit is not valid (standards.standards[3].key",
        ),
        (
            "evidence/index.json",
            (1, "file"),
            "evidence/elsewhere.pdf",
            "evidence/index.json in the kit is not valid (evidence[1].file",
        ),
        ("self_assessment.json", (0, "ref"), "CC-999", "'CC-999'"),
    ],
    ids=[
        "standards_that_do_not_fit_the_model_name_the_path",
        "an_evidence_index_naming_a_file_outside_the_kit",
        "a_self_assessment_for_an_unknown_standard",
    ],
)
def test_a_kit_file_that_does_not_fit_the_model_is_refused(
    kit: Path,
    trust: TrustStore,
    staging: Path,
    signing_key: Ed25519PrivateKey,
    *,
    name: str,
    where: tuple[str | int, ...],
    value: object,
    expected: str,
) -> None:
    base, files = content_of(kit)
    content = json.loads(files[name])
    *path, last = where
    target = content
    for step in path:
        target = target[step]
    target[last] = value
    files[name] = canonical_json(content)
    signed_kit(kit, signing_key, files, base=base)
    problem = refused(kit, trust, staging)
    assert expected in str(problem)


def test_a_manifest_naming_another_signing_key_is_refused(
    kit: Path, trust: TrustStore, staging: Path, signing_key: Ed25519PrivateKey
) -> None:
    base, files = content_of(kit)
    signed_kit(kit, signing_key, files, base=base, changes={"signing_key_id": "0" * 16})
    assert "names signing key 0000000000000000" in str(refused(kit, trust, staging))
