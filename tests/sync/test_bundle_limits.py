"""Bundles that no real visit could make, and big ones that a real visit could: refused with one
sentence before anything changes, or imported in batches with little memory, all or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer_app.team.bundles import MIN_OPS_LIMIT, import_visit_bundles, op_limits
from reviewer_app.visit.model import JUDGEMENT, NOTE, judgement_id
from storage import Op, blob_crypto
from sync import bundle_ops, bundle_reader
from sync.authorship import SEAL_HEADER
from sync.bundle_format import (
    MAX_OPS_PER_FIELD,
    MAX_REFUSED_OPS,
    MAX_SEALS,
    SEALS_NAME,
    BundleRefused,
    OpLimits,
)
from sync.bundle_import import import_bundle
from sync.kit_format import canonical_json
from tests.sync.bundle_tools import Laptop, Signer, read_seals, rewrite_content, write_zip

ROOT = Path(__file__).resolve().parents[2]
#: The device the generated ops come from (sealed by a key made for each bundle, which carries
#: its binding: a laptop that has not seen the member pins it).
DEVICE = str(uuid.UUID(int=7))


@pytest.fixture
def lead(tmp_path: Path, demo_kit_file: Path) -> Laptop:
    return Laptop(tmp_path / "lead", demo_kit_file, "m-lead")


def write_bundle(out: Path, laptop: Laptop, member: str, ops: Iterator[Op]) -> Path:
    """A real bundle (the format's manifest, seals and encryption with the kit's team key) of
    generated ops, streamed: made and sealed by a laptop whose member is ``member``."""
    author = Signer(member, device_id=DEVICE)
    return laptop.write(out, ops, member_id=member, device_id=DEVICE, signers=[author])


def judgements(member: str, n: int, *, device: str = DEVICE) -> Iterator[Op]:
    """``n`` honest ops: each on its own field of the member's judgements, no conflicts."""
    for i in range(n):
        yield Op(
            str(uuid.UUID(int=i + 1)),
            f"{1_780_000_000_000 + i:015d}.000000",
            device,
            member,
            JUDGEMENT,
            judgement_id(f"HN-{i // 40}", "shc", member),
            f"part.{i % 40}",
            i % 2 == 0,
            None,
        )


def same_field(member: str, n: int) -> Iterator[Op]:
    """``n`` concurrent ops (none saw another) on one note's text: ``n - 1`` conflicts."""
    for i in range(n):
        yield Op(
            str(uuid.uuid4()),
            f"{1_780_000_000_000 + i:015d}.000000",
            DEVICE,
            member,
            NOTE,
            "note-1",
            "text",
            f"x{i}",
            None,
        )


def claim_more_ops(bundle: Path, out: Path, laptop: Laptop, count: int) -> Path:
    """The bundle with its manifest claiming ``count`` ops (and a list of seal references that
    long: random, as zeros would inflate too far to pass the zip checks), encrypted again with
    the team key: everything but ``ops.jsonl`` agrees."""

    def claim(entries: dict[str, bytes]) -> None:
        doc = json.loads(entries["manifest.json"])
        doc["op_count"] = count
        entries["manifest.json"] = canonical_json(doc)
        entries["ops.seals"] = os.urandom(8 * count)

    return rewrite_content(bundle, out, laptop.team_key, claim)


def test_the_limit_comes_from_the_kit(lead: Laptop) -> None:
    demo = op_limits(lead.visit, lead.standards)
    assert demo.max_ops == MIN_OPS_LIMIT < 1_000_000
    big = op_limits(lead.visit, 2_000)  # a 2,000-standard visit of the same team
    assert big.max_ops >= 1_000_000
    assert big.scope.startswith("of 2,000 standards")


def test_a_million_operations_against_a_small_kit_are_refused_before_they_are_read(
    lead: Laptop, tmp_path: Path
) -> None:
    made = write_bundle(tmp_path / "real.rvbundle", lead, "m-cns", judgements("m-cns", 50))
    # The manifest claims a million: its ops.jsonl (50 lines) would fail its check if read.
    hostile = claim_more_ops(made, tmp_path / "million.rvbundle", lead, 1_000_000)
    before = lead.state()

    [receipt] = import_visit_bundles(lead.paths, lead.visit_id, [hostile])

    assert receipt.refused_reason == "implausible"
    assert receipt.refused_file == (
        f"million.rvbundle holds 1,000,000 operations, more than a real visit of "
        f"{lead.standards} standards, {len(lead.visit.components)} components and "
        f"{len(lead.visit.team)} team members could make (at most 200,000), so nothing was "
        "imported: ask its sender where it came from."
    )
    assert lead.state() == before


def test_more_edits_of_one_field_than_anyone_makes_are_refused(
    lead: Laptop, tmp_path: Path
) -> None:
    n = MAX_OPS_PER_FIELD + 1
    hostile = write_bundle(tmp_path / "busy.rvbundle", lead, "m-cns", same_field("m-cns", n))
    before = lead.state()

    [receipt] = import_visit_bundles(lead.paths, lead.visit_id, [hostile])

    assert receipt.refused_reason == "implausible"
    assert receipt.refused_file == (
        "busy.rvbundle holds more than 10,000 operations on one field (note 'note-1', text), "
        "more than anyone makes by editing it, so nothing was imported: ask its sender where "
        "it came from."
    )
    assert lead.state() == before


def test_a_bundle_of_ops_the_team_rules_refuse_is_refused_whole(
    lead: Laptop, tmp_path: Path
) -> None:
    n = MAX_REFUSED_OPS + 1
    stranger = write_bundle(
        tmp_path / "stranger.rvbundle", lead, "m-nobody", judgements("m-nobody", n)
    )
    before = lead.state()

    [receipt] = import_visit_bundles(lead.paths, lead.visit_id, [stranger])

    assert receipt.refused_reason == "implausible"
    assert receipt.refused_file.startswith(
        "stranger.rvbundle holds more than 1,000 operations this visit's rules refuse or hold "
        "back (the first: m-nobody is not on this visit's team), so nothing was imported"
    )
    assert lead.state() == before


def test_a_big_bundle_is_read_in_batches_and_imports_like_a_small_one(
    lead: Laptop, tmp_path: Path, demo_kit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write_bundle(tmp_path / "big.rvbundle", lead, "m-cns", judgements("m-cns", 1234))
    other = Laptop(tmp_path / "other", demo_kit_file, "m-paed")
    with other.read(file) as whole, other.open() as ws:  # kept in memory: 1,234 <= 50,000
        assert not whole.streamed and len(whole.ops) == 1234
        import_bundle(ws, whole)

    monkeypatch.setattr(bundle_reader, "KEEP_PARSED_OPS", 100)
    monkeypatch.setattr(bundle_ops, "OP_BATCH", 50)
    with lead.read(file) as streamed, lead.open() as ws:
        assert streamed.streamed and streamed.ops == []
        assert [len(b) for b in streamed.op_batches()] == [50] * 24 + [34]
        result = import_bundle(ws, streamed)
    assert (result.new, result.known, result.conflicts) == (1234, 0, 0)
    assert lead.state()[0] == other.state()[0]


def test_a_big_bundle_changed_after_it_was_read_changes_nothing(
    lead: Laptop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed bundle's ops are read again, from its decrypted content, when imported: a
    content changed in between is caught, and the import rolls back whole."""
    monkeypatch.setattr(bundle_reader, "KEEP_PARSED_OPS", 100)
    monkeypatch.setattr(bundle_ops, "OP_BATCH", 50)
    file = write_bundle(tmp_path / "big.rvbundle", lead, "m-cns", judgements("m-cns", 500))
    before = lead.state()
    with lead.read(file) as verified, lead.open() as ws:
        assert verified.streamed and verified.content is not None
        content, key = verified.content, verified.content_key
        # Changed on disk between read and import, by someone who even had the key it is
        # sealed with there (only the reading process has it):
        with blob_crypto.open_decrypted(content, key) as f, zipfile.ZipFile(f) as zf:
            entries = {name: zf.read(name) for name in zf.namelist()}
        # Still a valid operation (its seal no longer covers it, so it alone would be refused):
        # only the hash, known after the last batch, tells the whole content changed.
        entries["ops.jsonl"] = entries["ops.jsonl"].replace(b'"value":false', b'"value":true', 1)
        write_zip(tmp_path / "changed.zip", entries)
        blob_crypto.encrypt_file(tmp_path / "changed.zip", content, key)
        with pytest.raises(BundleRefused) as refused:
            import_bundle(ws, verified)
    assert refused.value.reason == "tampered"
    assert lead.state() == before


def test_a_big_bundles_staged_content_is_sealed_and_a_change_to_it_refused(
    lead: Laptop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_reader, "KEEP_PARSED_OPS", 100)
    monkeypatch.setattr(bundle_ops, "OP_BATCH", 50)
    file = write_bundle(tmp_path / "big.rvbundle", lead, "m-cns", judgements("m-cns", 500))
    before = lead.state()
    with lead.read(file) as verified, lead.open() as ws:
        assert verified.content is not None
        raw = bytearray(verified.content.read_bytes())
        assert b"ops.jsonl" not in raw and b'"value"' not in raw  # no plaintext in staging
        raw[len(raw) // 2] ^= 1
        verified.content.write_bytes(bytes(raw))
        with pytest.raises(BundleRefused, match="changed on this laptop") as refused:
            import_bundle(ws, verified)
    assert refused.value.reason == "tampered"
    assert lead.state() == before


def test_a_bundle_swapped_on_the_stick_after_it_was_read_imports_what_was_read(
    lead: Laptop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_reader, "KEEP_PARSED_OPS", 100)
    monkeypatch.setattr(bundle_ops, "OP_BATCH", 50)
    file = write_bundle(tmp_path / "big.rvbundle", lead, "m-cns", judgements("m-cns", 500))
    with lead.read(file) as verified, lead.open() as ws:
        file.write_bytes(b"something else")
        result = import_bundle(ws, verified)
    assert (result.new, result.refused, result.held) == (500, [], [])


def test_limits_apply_to_a_bundle_read_without_a_kit(lead: Laptop, tmp_path: Path) -> None:
    file = write_bundle(tmp_path / "b.rvbundle", lead, "m-cns", judgements("m-cns", 30))
    with pytest.raises(BundleRefused, match="holds 30 operations") as refused:
        lead.read(file, limits=OpLimits(max_ops=29))
    assert refused.value.reason == "implausible"
    with lead.read(file, limits=OpLimits(max_ops=30)) as ok:
        assert len(ok.ops) == 30


def test_a_seal_listing_more_operations_than_its_bundle_could_is_refused(
    lead: Laptop, tmp_path: Path
) -> None:
    """A seal's header says how many hashes follow: one that says a billion (32 GB) is
    refused on its word, before anything is read for it."""
    made = write_bundle(tmp_path / "real.rvbundle", lead, "m-cns", judgements("m-cns", 50))

    def boast(entries: dict[str, bytes]) -> None:
        [seal] = read_seals(entries)
        doc = json.loads(seal.body)
        doc["count"] = 1_000_000_000
        body = canonical_json(doc)
        record = SEAL_HEADER.pack(bytes.fromhex(seal.signature), len(body)) + body + seal.hashes
        manifest = json.loads(entries["manifest.json"])
        manifest["seals_sha256"] = hashlib.sha256(record).hexdigest()
        manifest["seals_size"] = len(record)
        entries["manifest.json"] = canonical_json(manifest)
        entries[SEALS_NAME] = record

    hostile = rewrite_content(made, tmp_path / "boast.rvbundle", lead.team_key, boast)
    before = lead.state()

    [receipt] = import_visit_bundles(lead.paths, lead.visit_id, [hostile])

    assert receipt.refused_reason == "tampered"
    assert receipt.refused_file.startswith(
        "boast.rvbundle was changed or damaged after it was exported (its seals are not seals, "
        "or list more operations than it holds); nothing was imported"
    )
    assert lead.state() == before and lead.staging_is_empty()


def peak_rss_of_import(laptop: Laptop, file: Path, new: int) -> tuple[float, float]:
    """Import ``file`` on ``laptop`` in a fresh process, as ``reviewer-app bundle import``
    does: its peak RSS before the import and after, in MB (its own VmHWM: ``ru_maxrss``
    carries the parent's peak across fork and exec)."""
    home = laptop.paths.data.parent
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from reviewer_app.team.bundles import import_visit_bundles
        from reviewer_app.app.paths import AppPaths
        home = Path({str(home)!r})
        paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
        def peak():
            status = open("/proc/self/status").read().splitlines()
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        start = peak()
        [receipt] = import_visit_bundles(paths, {laptop.visit_id!r}, [Path({str(file)!r})])
        assert receipt.ok and receipt.new == {new}, receipt
        print(start, peak())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    start_kb, peak_kb = (int(x) for x in done.stdout.split())
    return start_kb / 1024, peak_kb / 1024


def test_importing_a_big_bundle_takes_little_memory(
    wrapped_keys: object, lead: Laptop, tmp_path: Path
) -> None:
    """150,000 ops (under the demo kit's limit, so imported): peak RSS of a fresh process
    (which reads the visit's key from its wrapped file: ``wrapped_keys``)."""
    n = 150_000
    file = write_bundle(tmp_path / "big.rvbundle", lead, "m-cns", judgements("m-cns", n))
    start_mb, peak_mb = peak_rss_of_import(lead, file, n)
    assert peak_mb - start_mb < 120, f"importing {n:,} ops grew the process by {peak_mb:.0f} MB"


#: DESIGN.md: a bundle of a million ops, hostile or not, is refused or imported with this.
MEMORY_BUDGET_MB = 300


def test_a_bundle_of_a_seal_an_op_is_refused_before_it_costs_memory(
    lead: Laptop, tmp_path: Path
) -> None:
    """Anyone with the kit and a key of their own can seal each op on its own: every seal kept
    costs ~1 KB, so more seals than a team makes in a visit are refused as implausible
    (bench/big_bundle.py --seal-every 1 measures the memory)."""
    n = MAX_SEALS + 1
    file = lead.write(
        tmp_path / "seals.rvbundle",
        judgements("m-cns", n),
        member_id="m-cns",
        device_id=DEVICE,
        signers=[Signer("m-cns", device_id=DEVICE)],
        seal_every=1,
    )
    before = lead.state()
    [receipt] = import_visit_bundles(lead.paths, lead.visit_id, [file])
    assert receipt.refused_reason == "implausible", receipt.summary()
    assert f"more than {MAX_SEALS:,} seals" in receipt.refused_file
    assert lead.state() == before
