"""Team bundles at the format level (sync.bundle_*, format version 2): real workspaces of the
demo visit, real encrypted bundles, changed the ways a stick, a mail server or a person could."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reviewer_app.app.device import device_id, device_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.model import JUDGEMENT, NOTE, PHOTO, judgement_id
from reviewer_app.visit.workspaces import open_kit, workspace_path
from storage import Op, Workspace
from sync import bundle_builder, bundle_crypto
from sync.authorship import op_hash, public_hex
from sync.bundle_builder import export_bundle
from sync.bundle_format import (
    BUNDLE_FORMAT_VERSION,
    CONTENT_NAME,
    OPS_NAME,
    SEAL_REF,
    SEALS_NAME,
    BundleRefused,
)
from sync.bundle_import import import_bundle, known_ops_in
from sync.bundle_read_ahead import BundleReader
from sync.bundle_reader import VerifiedBundle, read_bundle
from tests.keys import app_key
from tests.sync.bundle_tools import (
    STORED_CHUNK,
    outer_entries,
    read_content,
    read_seals,
    rewrite_content,
    rewrite_outer,
    write_outer,
)


def small_jpeg(seed: int = 1) -> bytes:
    img = Image.new("RGB", (32, 24), (seed * 40 % 256, 90, 200))
    out = io.BytesIO()
    img.save(out, format="JPEG")
    return out.getvalue()


class Laptop:
    """One reviewer's laptop: its own REVIEWER_APP_HOME (so its own device id) and workspace."""

    def __init__(self, home: Path, kit: Path, member_id: str) -> None:
        self.paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
        self.member_id = member_id
        self.visit_id = open_kit(kit, member_id, paths=self.paths, demo=True).visit_id
        file = workspace_path(self.paths, self.visit_id)
        self.ws = Workspace.open(file, key=app_key(file), device_id=device_id(self.paths))
        info = self.ws.kit_info()
        assert info is not None
        self.kit_id = str(info["kit_id"])
        self.team_key = bytes.fromhex(json.loads(info["manifest_json"])["team_key"])
        self.staging = home / "staging"

    def export(self, out: Path, *, team_key: bytes | None = None) -> Path:
        export_bundle(
            self.ws,
            out,
            member_id=self.member_id,
            team_key=team_key or self.team_key,
            kit_id=self.kit_id,
            device_key=device_key(self.paths),
        )
        return out

    def read(self, bundle: Path) -> VerifiedBundle:
        return read_bundle(
            bundle, visit_id=self.visit_id, team_key=self.team_key, staging_root=self.staging
        )


@pytest.fixture
def laptops(tmp_path: Path, demo_kit_file: Path) -> Iterator[Callable[[str], Laptop]]:
    made: list[Laptop] = []

    def make(member_id: str) -> Laptop:
        laptop = Laptop(tmp_path / member_id, demo_kit_file, member_id)
        made.append(laptop)
        return laptop

    yield make
    for laptop in made:
        laptop.ws.close()


def reviewer_work(laptop: Laptop) -> tuple[str, str, str]:
    """A judgement, a note and a photo, as the reviewer's window records them."""
    ws, me = laptop.ws, laptop.member_id
    jid = judgement_id("HN-101", "shc", me)
    ws.record(me, JUDGEMENT, jid, {"value": "not_met", "reason": "No job plan seen"})
    ws.record(me, NOTE, "note-1", {"ref": "HN-101", "text": "Ask about the rota", "author": me})
    sha = ws.blobs.add_photo(small_jpeg())
    ws.record(me, PHOTO, "photo-1", {"ref": "HN-101", "sha256": sha, "author": me})
    return jid, "note-1", sha


def test_exporting_and_importing_leave_nothing_readable_on_disk(
    laptops: Callable[[str], Laptop], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The content zip waits beside the bundle sealed with a key no one keeps, and the
    lead's copy of the photo is sealed as it is read (no plaintext in staging)."""
    lead, cns = laptops("m-lead"), laptops("m-cns")
    _jid, _note, sha = reviewer_work(cns)
    photo = cns.ws.blobs.read_bytes(sha)
    out = tmp_path / "out"
    seen: list[bytes] = []
    encrypt = bundle_builder._encrypt_stream_into

    def looking(*args: Any) -> None:
        seen.extend(p.read_bytes() for p in out.iterdir() if p.name.endswith(".content"))
        encrypt(*args)

    monkeypatch.setattr(bundle_builder, "_encrypt_stream_into", looking)
    bundle = cns.export(out / "cns.rvbundle")
    assert len(seen) == 1 and seen[0]
    for raw in [*seen, bundle.read_bytes()]:
        assert photo[100:132] not in raw and b"Ask about the rota" not in raw
        assert b"ops.jsonl" not in raw  # not even the content zip's names
    read = BundleReader.for_workspace(
        lead.ws, visit_id=lead.visit_id, team_key=lead.team_key, staging_root=lead.staging
    )
    with read(bundle) as verified:
        assert verified.sealed
        staged = [p for p in lead.staging.rglob("*") if p.is_file()]
        assert all(photo[100:132] not in p.read_bytes() for p in staged)
        import_bundle(lead.ws, verified)
    assert lead.ws.blobs.read_bytes(sha) == photo
    raw = lead.ws.blobs.path(sha).read_bytes()
    assert photo[100:132] not in raw and b"\xff\xd8\xff" not in raw
    assert list(lead.ws.blobs.root.glob(".incoming-*")) == []


def test_round_trip_brings_judgements_notes_and_photos(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    assert lead.ws.device_id != cns.ws.device_id
    jid, note_id, sha = reviewer_work(cns)
    lead.ws.record("m-lead", JUDGEMENT, judgement_id("HN-101", "shc", "m-lead"), {"value": "met"})

    with lead.read(cns.export(tmp_path / "cns.rvbundle")) as bundle:
        result = import_bundle(lead.ws, bundle)
    assert result.new == cns.ws.op_count() and result.known == 0 and result.refused == []

    assert lead.ws.entity(JUDGEMENT, jid) == {"value": "not_met", "reason": "No job plan seen"}
    assert lead.ws.entity(NOTE, note_id)["text"] == "Ask about the rota"  # type: ignore[index]
    assert lead.ws.blobs.read_bytes(sha) == cns.ws.blobs.read_bytes(sha)

    with cns.read(lead.export(tmp_path / "lead.rvbundle")) as bundle:
        import_bundle(cns.ws, bundle)
    assert cns.ws.canonical_state() == lead.ws.canonical_state()
    assert not list(cns.staging.iterdir())  # the staging folders are gone


def test_importing_twice_changes_nothing(laptops: Callable[[str], Laptop], tmp_path: Path) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    file = cns.export(tmp_path / "cns.rvbundle")
    with lead.read(file) as bundle:
        import_bundle(lead.ws, bundle)
    state, count = lead.ws.canonical_state(), lead.ws.op_count()
    with lead.read(file) as bundle:
        again = import_bundle(lead.ws, bundle)
    assert (again.new, again.known) == (0, count)
    assert lead.ws.canonical_state() == state and lead.ws.op_count() == count


def test_a_bundle_imported_in_full_is_not_read_again(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    file = cns.export(tmp_path / "cns.rvbundle")
    assert not known_ops_in(lead.ws)(hashlib.sha256(b"").hexdigest())
    with lead.read(file) as bundle:
        assert not bundle.ops_known
        first = import_bundle(lead.ws, bundle)
    state, count = lead.ws.canonical_state(), lead.ws.op_count()
    known = known_ops_in(lead.ws)
    with read_bundle(
        file,
        visit_id=lead.visit_id,
        team_key=lead.team_key,
        staging_root=lead.staging,
        known_ops=known,
    ) as bundle:
        assert bundle.ops_known and bundle.ops == []
        again = import_bundle(lead.ws, bundle)
    assert (again.new, again.known, again.refused) == (0, first.new, [])
    assert lead.ws.canonical_state() == state and lead.ws.op_count() == count
    # A newer bundle from the same laptop has other ops: read in full, its new ops merged.
    cns.ws.record("m-cns", NOTE, "n-later", {"ref": "HN-101", "text": "later"})
    newer = cns.export(tmp_path / "cns-2.rvbundle")
    with read_bundle(
        newer,
        visit_id=lead.visit_id,
        team_key=lead.team_key,
        staging_root=lead.staging,
        known_ops=known_ops_in(lead.ws),
    ) as bundle:
        assert not bundle.ops_known
        assert import_bundle(lead.ws, bundle).new == 2  # the note's two fields


def test_a_bundle_with_refused_ops_is_read_again_in_full(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """What was refused might be accepted later (a re-issued kit names another lead)."""
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    file = cns.export(tmp_path / "cns.rvbundle")
    with lead.read(file) as bundle:
        import_bundle(lead.ws, bundle, accept=lambda op: "not now" if op.entity == NOTE else None)
    assert known_ops_in(lead.ws)(bundle.manifest.ops_sha256) is False


def test_refused_ops_are_listed_and_the_rest_imported(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)

    def no_notes(op: Op) -> str | None:
        return "no notes today" if op.entity == NOTE else None

    with lead.read(cns.export(tmp_path / "cns.rvbundle")) as bundle:
        result = import_bundle(lead.ws, bundle, accept=no_notes)
    assert {op.entity for op, _ in result.refused} == {NOTE}
    assert result.new == cns.ws.op_count() - len(result.refused)
    assert lead.ws.entities(NOTE) == {}


def test_concurrent_edits_are_counted_as_conflicts(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    lead.ws.record("m-lead", NOTE, "shared", {"text": "lead's words"})
    cns.ws.record("m-cns", NOTE, "shared", {"text": "reviewer's words"})
    with lead.read(cns.export(tmp_path / "cns.rvbundle")) as bundle:
        result = import_bundle(lead.ws, bundle)
    assert result.conflicts == 1 == len(lead.ws.conflicts())


# -- refusals: the workspace is unchanged and the message says why --------------------------------


def flip_one_byte(data: bytes) -> bytes:
    i = data.index(b'"value":') + 9
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def flip_middle_byte(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def random_bytes(_source: Path, out: Path, _lap: Laptop) -> Path:
    out.write_bytes(os.urandom(5000))
    return out


def cut_file(source: Path, out: Path, _lap: Laptop) -> Path:
    out.write_bytes(source.read_bytes()[: source.stat().st_size * 2 // 3])
    return out


def reencrypted_with_ops_changed(source: Path, out: Path, lap: Laptop) -> Path:
    """What only someone with the team key can make: an op changed inside, the content
    encrypted again, the inner manifest as it was."""

    def change(entries: dict[str, bytes]) -> None:
        entries[OPS_NAME] = flip_one_byte(entries[OPS_NAME])

    return rewrite_content(source, out, lap.team_key, change)


BAD_BUNDLES: dict[str, tuple[Callable[[Path, Path, Laptop], Path], str, str]] = {
    "another visit": (
        lambda b, out, lap: rewrite_outer(
            b, out, manifest=lambda m: m.update(visit_id="another-visit"), key=lap.team_key
        ),
        "other_visit",
        "from another visit",
    ),
    "another visit and its key": (
        lambda b, out, _lap: rewrite_outer(
            b, out, manifest=lambda m: m.update(visit_id="another-visit"), key=os.urandom(32)
        ),
        "other_visit",
        "from another visit",
    ),
    "one byte of the encrypted content changed": (
        lambda b, out, _lap: rewrite_outer(b, out, content=flip_middle_byte),
        "tampered",
        "changed or damaged after it was exported",
    ),
    "the clear manifest changed and authenticated again": (
        lambda b, out, lap: rewrite_outer(
            b, out, manifest=lambda m: m.update(bundle_id="another-bundle"), key=lap.team_key
        ),
        "tampered",
        "changed or damaged after it was exported",
    ),
    "ops.jsonl changed and encrypted again with the team key": (
        reencrypted_with_ops_changed,
        "tampered",
        "changed or damaged after it was exported",
    ),
    "a file cut short": (cut_file, "not_zip", "incomplete copy"),
    "its content cut short": (
        lambda b, out, _lap: rewrite_outer(b, out, content=lambda c: c[: len(c) - 100]),
        "truncated",
        "is cut short",
    ),
    "another team key": (
        lambda b, out, _lap: rewrite_outer(b, out, key=os.urandom(32)),
        "bad_hmac",
        "not made with this visit's team key",
    ),
    "a future format version": (
        lambda b, out, lap: rewrite_outer(
            b,
            out,
            manifest=lambda m: m.update(format_version=BUNDLE_FORMAT_VERSION + 1),
            key=lap.team_key,
        ),
        "newer_version",
        "newer version of Reviewer App",
    ),
    "random bytes": (
        random_bytes,
        "not_zip",
        "is not a team bundle",
    ),
    "a missing file": (
        lambda _b, out, _lap: out,
        "not_found",
        "does not exist",
    ),
}


@pytest.mark.parametrize("case", list(BAD_BUNDLES))
def test_a_bad_bundle_is_refused_and_changes_nothing(
    case: str, laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    lead.ws.record("m-lead", NOTE, "mine", {"text": "before the import"})
    good = cns.export(tmp_path / "cns.rvbundle")
    make, reason, words = BAD_BUNDLES[case]
    bad = make(good, tmp_path / "bad.rvbundle", lead)
    state, count = lead.ws.canonical_state(), lead.ws.op_count()

    with pytest.raises(BundleRefused) as refused:
        lead.read(bad)

    assert refused.value.reason == reason
    assert words in str(refused.value)
    assert lead.ws.canonical_state() == state and lead.ws.op_count() == count
    assert not lead.staging.exists() or not list(lead.staging.iterdir())


def test_the_good_bundle_behind_the_bad_ones_is_accepted(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """The refusals above are about the changes, not about the bundle they started from, nor
    about the tools that made them: copied, or taken apart and encrypted again unchanged, it
    reads."""
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    exported = cns.export(tmp_path / "cns.rvbundle")
    copied = write_outer(tmp_path / "same.rvbundle", outer_entries(exported))
    again = rewrite_content(exported, tmp_path / "again.rvbundle", lead.team_key, lambda _e: None)
    for good in (copied, again):
        with lead.read(good) as bundle:
            assert len(bundle.ops) == cns.ws.op_count()
            assert all(op.seal is not None for op in bundle.ops)


def test_the_content_is_encrypted_in_chunks_of_a_mebibyte(
    laptops: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """What a stick holds: the clear manifest, its HMAC, and content that is not a zip, whose
    size is the plain content's plus one tag a chunk."""
    lead, cns = laptops("m-lead"), laptops("m-cns")
    reviewer_work(cns)
    photo = cns.ws.blobs.put_bytes(os.urandom(bundle_crypto.CHUNK + 1000))
    cns.ws.record("m-cns", PHOTO, "photo-big", {"ref": "HN-101", "sha256": photo})
    bundle = cns.export(tmp_path / "cns.rvbundle")
    entries = outer_entries(bundle)
    assert sorted(entries) == ["content", "manifest.hmac", "manifest.json"]
    clear = json.loads(entries["manifest.json"])
    assert clear["format_version"] == BUNDLE_FORMAT_VERSION
    stored = entries[CONTENT_NAME]
    assert clear["content_size"] == len(stored)
    assert not stored.startswith(b"PK")  # not a zip, nor anything else in clear
    assert STORED_CHUNK < len(stored) < 3 * STORED_CHUNK  # two chunks
    inner = read_content(bundle, lead.team_key)
    assert sorted(inner) == sorted(
        ["manifest.json", "ops.jsonl", "ops.seals", SEALS_NAME, f"blobs/{photo}"]
        + [f"blobs/{sha}" for sha in cns.ws.attachment_hashes() if sha != photo]
    )
    assert len(inner["ops.seals"]) == 8 * cns.ws.op_count()
    # One seal by the reviewer's device key, listing each line's hash in the line's order.
    [seal] = read_seals(inner)
    assert seal.verify() and seal.public_key == public_hex(device_key(cns.paths))
    lines = inner[OPS_NAME].splitlines()
    assert seal.hashes == b"".join(op_hash(line) for line in lines)
    assert inner["ops.seals"] == b"".join(SEAL_REF.pack(0, i) for i in range(len(lines)))
    with lead.read(bundle) as verified:
        assert import_bundle(lead.ws, verified).new == cns.ws.op_count()
    assert lead.ws.blobs.read_bytes(photo) == cns.ws.blobs.read_bytes(photo)
