"""Building visit kits: what goes in the zip, consistency checks, and never a half-written kit."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.keys import TrustStore, key_id, load_signing_key, public_path
from sync.kit_builder import KitBuildError, build_kit
from sync.kit_format import canonical_json
from sync.kit_model import (
    Component,
    EvidenceDoc,
    KitManifest,
    Member,
    Organisation,
    Part,
    SelfAssessmentEntry,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.kit_reader import read_kit


def make_visit(**changes: object) -> VisitDetails:
    visit = VisitDetails(
        visit_id="2b8f3c1e-0000-4000-8000-000000000001",
        programme="Critical care",
        title="Northfield ICU review",
        network="North network",
        organisations=(Organisation("org1", "Northfield Hospitals"),),
        sites=(),
        components=(Component("icu", "Intensive care unit"), Component("odn", "Network")),
        start_date="2025-03-04",
        end_date="2025-03-04",
        venue="Education centre",
        timetable=(),
        team=(
            Member("m1", "Ada Lead", "Consultant", lead=True),
            Member("m2", "Ben Reviewer", "Nurse"),
        ),
    )
    return dataclasses.replace(visit, **changes)  # type: ignore[arg-type]


def make_standards() -> StandardsSet:
    return StandardsSet(
        info=StandardsSetInfo("qs-cc", "Critical care quality standards", "2.1"),
        sections=("Patient experience", "Staffing"),
        standards=(
            Standard(
                "CC-101",
                "Patient experience",
                "Information",
                "Information is given.",
                parts=(Part("a", "leaflets"), Part("b", "visiting")),
                applies_to=("icu",),
            ),
            Standard("CC-102", "Staffing", "Consultants", "Cover 24/7.", key=True, order=2),
            Standard("CC-201", "Staffing", "Network lead", "A named lead.", applies_to=("odn",)),
        ),
    )


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    from sync.keys import generate_key

    generate_key(tmp_path / "keys" / "staff")
    return load_signing_key(tmp_path / "keys" / "staff")


@pytest.fixture
def evidence_files(tmp_path: Path) -> list[tuple[EvidenceDoc, Path]]:
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir(parents=True)
    pdf = src / "a" / "policy.pdf"
    pdf.write_bytes(b"%PDF-1.4 pretend" * 100)
    same_name = src / "b" / "Policy.PDF"
    same_name.write_bytes(b"%PDF-1.4 another" * 100)
    odd = src / "b" / "Política (v2)?.txt"
    odd.write_text("line\n" * 1000, encoding="utf-8")
    return [
        (EvidenceDoc("e1", "Policy", "", ("CC-101",)), pdf),
        (EvidenceDoc("e2", "Policy again", "", ("CC-102",)), same_name),
        (EvidenceDoc("e3", "Rota", "", ()), odd),
    ]


def test_a_kit_holds_exactly_the_designed_files(
    tmp_path: Path, key: Ed25519PrivateKey, evidence_files: list[tuple[EvidenceDoc, Path]]
) -> None:
    out = tmp_path / "visit.rvkit"
    claims = (SelfAssessmentEntry("CC-101", "icu", "met", "yes", ("e1",)),)
    manifest = build_kit(
        out,
        visit=make_visit(),
        standards=make_standards(),
        signing_key=key,
        created_by="staff@example.org",
        self_assessment=claims,
        evidence=evidence_files,
        kit_id="kit-1",
        now=datetime(2025, 2, 1, 9, 30, tzinfo=UTC),
    )

    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        members = {n: zf.read(n) for n in names}
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
    assert names == sorted(
        [
            "manifest.json",
            "manifest.sig",
            "standards.json",
            "self_assessment.json",
            "evidence/index.json",
            "evidence/policy.pdf",
            "evidence/Policy-2.PDF",
            "evidence/Politica_v2.txt",
        ]
    )
    # The manifest is canonical JSON, signed as those exact bytes, listing every other file.
    assert members["manifest.json"] == canonical_json(manifest.to_dict())
    key.public_key().verify(members["manifest.sig"], members["manifest.json"])
    assert manifest == KitManifest.from_dict(json.loads(members["manifest.json"]))
    assert set(manifest.files) == set(names) - {"manifest.json", "manifest.sig"}
    for name, entry in manifest.files.items():
        assert entry.sha256 == hashlib.sha256(members[name]).hexdigest()
        assert entry.size == len(members[name])
    assert manifest.kit_id == "kit-1"
    assert manifest.created_at == "2025-02-01T09:30:00Z"
    assert manifest.created_by == "staff@example.org"
    assert manifest.signing_key_id == key_id(key.public_key())
    assert len(manifest.team_key) == 32
    # Already-compressed formats are stored as they are; text is deflated.
    assert kinds["evidence/policy.pdf"] == zipfile.ZIP_STORED
    assert kinds["evidence/Policy-2.PDF"] == zipfile.ZIP_STORED
    assert kinds["evidence/Politica_v2.txt"] == zipfile.ZIP_DEFLATED
    assert kinds["standards.json"] == zipfile.ZIP_DEFLATED
    # The index names each document's file inside the kit; bytes are the originals.
    index = json.loads(members["evidence/index.json"])
    assert [d["file"] for d in index] == [
        "evidence/policy.pdf",
        "evidence/Policy-2.PDF",
        "evidence/Politica_v2.txt",
    ]
    assert members["evidence/Policy-2.PDF"] == evidence_files[1][1].read_bytes()


def test_an_empty_applies_to_means_every_component(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    out = tmp_path / "visit.rvkit"
    build_kit(
        out, visit=make_visit(), standards=make_standards(), signing_key=key, created_by="staff"
    )
    with zipfile.ZipFile(out) as zf:
        standards = StandardsSet.from_dict(json.loads(zf.read("standards.json")))
        assert "self_assessment.json" not in zf.namelist()
        assert json.loads(zf.read("evidence/index.json")) == []
    assert [s.applies_to for s in standards.standards] == [("icu",), ("icu", "odn"), ("odn",)]


def test_each_kit_has_a_new_team_key_and_kit_id(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    a = build_kit(
        tmp_path / "a.rvkit",
        visit=make_visit(),
        standards=make_standards(),
        signing_key=key,
        created_by="staff",
    )
    b = build_kit(
        tmp_path / "b.rvkit",
        visit=make_visit(),
        standards=make_standards(),
        signing_key=key,
        created_by="staff",
    )
    assert a.team_key != b.team_key
    assert a.kit_id != b.kit_id
    assert a.visit_id == b.visit_id


def test_inconsistent_inputs_are_all_listed_and_nothing_is_written(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    team = tuple(dataclasses.replace(m, lead=False) for m in make_visit().team)
    standards = make_standards()
    standards = dataclasses.replace(
        standards,
        standards=(
            *standards.standards,
            Standard("CC-301", "Staffing", "Outreach", "Outreach.", applies_to=("ward",)),
        ),
    )
    claims = (
        SelfAssessmentEntry("CC-999", "icu", "met"),
        SelfAssessmentEntry("CC-101", "odn", "met"),
        SelfAssessmentEntry("CC-102", "icu", "met", evidence=("nope",)),
    )
    evidence = [(EvidenceDoc("e1", "Gone", "", ("CC-404",)), tmp_path / "missing.pdf")]
    out = tmp_path / "visit.rvkit"

    with pytest.raises(KitBuildError) as caught:
        build_kit(
            out,
            visit=make_visit(team=team),
            standards=standards,
            signing_key=key,
            created_by="staff",
            self_assessment=claims,
            evidence=evidence,
        )

    message = str(caught.value)
    for words in (
        "no lead",
        "'ward'",
        "'CC-999'",
        "does not apply",
        "'nope'",
        "'CC-404'",
        "missing.pdf",
    ):
        assert words in message
    assert len(caught.value.problems) == 7
    assert list(tmp_path.iterdir()) == [tmp_path / "keys"]


def test_a_failure_while_writing_leaves_the_old_kit_in_place(
    tmp_path: Path, key: Ed25519PrivateKey, evidence_files: list[tuple[EvidenceDoc, Path]]
) -> None:
    out = tmp_path / "out" / "visit.rvkit"
    out.parent.mkdir()
    out.write_bytes(b"the previous kit")

    def interrupt(done: int, total: int, _what: str) -> None:
        if 0 < done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_kit(
            out,
            visit=make_visit(),
            standards=make_standards(),
            signing_key=key,
            created_by="staff",
            evidence=evidence_files,
            progress=interrupt,
        )
    assert out.read_bytes() == b"the previous kit"
    assert list(out.parent.iterdir()) == [out]


def test_progress_counts_bytes_up_to_the_total(
    tmp_path: Path, key: Ed25519PrivateKey, evidence_files: list[tuple[EvidenceDoc, Path]]
) -> None:
    calls: list[tuple[int, int, str]] = []
    build_kit(
        tmp_path / "v.rvkit",
        visit=make_visit(),
        standards=make_standards(),
        signing_key=key,
        created_by="staff",
        evidence=evidence_files,
        progress=lambda *step: calls.append(step),
    )
    total = calls[0][1]
    assert calls[0] == (0, total, "Packing evidence")
    assert calls[-1] == (total, total, "Packing evidence")
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)
    assert total > sum(p.stat().st_size for _, p in evidence_files)


def test_a_very_repetitive_file_is_stored_so_readers_do_not_take_it_for_a_bomb(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    log = tmp_path / "export.csv"
    log.write_bytes(b"0," * (2 * 1024 * 1024))  # deflates far beyond 100:1
    out = tmp_path / "visit.rvkit"
    build_kit(
        out,
        visit=make_visit(),
        standards=make_standards(),
        signing_key=key,
        created_by="staff",
        evidence=[(EvidenceDoc("e1", "Export", ""), log)],
    )
    with zipfile.ZipFile(out) as zf:
        assert zf.getinfo("evidence/export.csv").compress_type == zipfile.ZIP_STORED

    trust = TrustStore([tmp_path / "keys"])
    assert public_path(tmp_path / "keys" / "staff").is_file()
    with read_kit(out, trust=trust, staging_root=tmp_path / "staging") as kit:
        assert kit.file_path("evidence/export.csv").read_bytes() == log.read_bytes()
