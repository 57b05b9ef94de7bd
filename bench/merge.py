"""Merging team bundles: the lead imports 8 laptops' bundles, against a floor in the same run.

    .venv/bin/python bench/merge.py [--laptops 8] [--ops 5000] [--photos 50] [--runs 3]

Each laptop is a workspace of the demo visit (its own device id) filled in bulk with generated
operations (judgements, reasons, notes, evidence seen; each field edited a few times, each edit
based on the one before) and ``--photos`` photo records whose ``sha256`` names a stored blob of
random bytes (~40 KB, incompressible like a JPEG). Each exports its bundle (``export_bundle``).

Bundles are format version 2: every op sealed by its author's device key, the content encrypted.
Timed, in a fresh workspace each run: ``read_bundle`` + ``import_bundle`` of every bundle, the
next read in a second process while this one imports (``read_each`` with a ``BundleReader``, as
the app's import does, its start included; every check: HMAC,
decryption, hashes, seals, parsing each op; then blobs and one transaction each), then the same
8 again.
The floor is the least any merge must do: plain ``INSERT OR IGNORE`` of the same op rows (already
in memory) into a table with the same columns (WAL, ``synchronous=FULL``, one transaction per
bundle), and writing the same blobs to files (each fsynced, as the blob store does). The app's
workspaces are encrypted (SQLCipher, sealed blobs: the only mode), their keys in a keyring held
in memory; the floor stays plain.
Budgets (issue 4): merge <= 3x the floor; importing the same 8 again <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kit_import import use_memory_keyring  # noqa: E402
from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.demo.kits import build_demo_kit  # noqa: E402
from reviewer_app.visit.model import (  # noqa: E402
    EVIDENCE_SEEN,
    JUDGEMENT,
    NOTE,
    PHOTO,
    judgement_id,
)
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path  # noqa: E402
from storage import Op, Workspace  # noqa: E402
from sync.bundle_builder import export_bundle  # noqa: E402
from sync.bundle_import import import_bundle  # noqa: E402
from sync.bundle_read_ahead import BundleReader, read_each  # noqa: E402
from sync.bundle_reader import VerifiedBundle  # noqa: E402

MEMBERS = ["m-lead", "m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"]
PHOTO_SIZE = 40_000


def paths_for(home: Path) -> AppPaths:
    return AppPaths(home / "data", home / "config", home / "cache", home / "logs")


def generate_ops(
    ws: Workspace, member: str, n_ops: int, n_photos: int, rng: random.Random
) -> list[Op]:
    """``n_ops`` ops by ``member`` on this laptop, ``n_photos`` of them naming stored photos."""
    device = ws.device_id
    mine = device[:8]  # each laptop's records are its own (conflicts are rare by design)
    wall = 1_780_000_000_000 + rng.randrange(10_000)
    ops: list[Op] = []
    last: dict[tuple[str, str, str], str] = {}

    def add(entity: str, entity_id: str, field: str, value: object) -> None:
        nonlocal wall
        wall += rng.randrange(1, 50)
        op = Op(
            str(uuid.uuid4()),
            f"{wall:015d}.{0:06d}",
            device,
            member,
            entity,
            entity_id,
            field,
            value,
            last.get((entity, entity_id, field)),
        )
        last[(entity, entity_id, field)] = op.op_id
        ops.append(op)

    for i in range(n_photos):
        sha = ws.blobs.put_bytes(rng.randbytes(PHOTO_SIZE))
        add(PHOTO, f"photo-{mine}-{i}", "sha256", sha)
    refs = [f"HN-{100 + i}" for i in range(1, 61)]
    while len(ops) < n_ops:
        kind = rng.random()
        ref = rng.choice(refs)
        if kind < 0.6:
            jid = judgement_id(ref, rng.choice(["shc", "lht"]), member)
            field = rng.choice(["value", "reason", "part.a", "part.b"])
            value: object = (
                rng.choice(["met", "not_met"]) if field == "value" else f"text {rng.random()}"
            )
            add(JUDGEMENT, jid, field, value)
        elif kind < 0.85:
            add(
                NOTE,
                f"note-{mine}-{rng.randrange(400)}",
                "text",
                f"note text {rng.random()} " * 3,
            )
        else:
            add(EVIDENCE_SEEN, f"ev-{mine}-{rng.randrange(300)}", "description", f"seen {ref}")
    return ops[:n_ops]


Rows = list[list[tuple[object, ...]]]


def build_laptops(
    work: Path, kit: Path, n: int, n_ops: int, n_photos: int
) -> tuple[list[Path], Rows, list[bytes]]:
    """Each laptop's bundle, and the op rows and blobs the bundles carry (for the floor)."""
    bundles: list[Path] = []
    rows: Rows = []
    blobs: list[bytes] = []
    rng = random.Random(4)
    for i in range(n):
        paths = paths_for(work / f"laptop{i}")
        # Each laptop is its own member's (a member with two laptops is a second key, held
        # back until the lead confirms it: not what this bench measures).
        visit_id = open_kit(kit, MEMBERS[i % len(MEMBERS)], paths=paths, demo=True).visit_id
        member = f"m-bench-{i}"
        from reviewer_app.app.device import device_key  # noqa: PLC0415

        with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
            ws.apply_ops(generate_ops(ws, member, n_ops, n_photos, rng))
            info = ws.kit_info()
            assert info is not None
            key = bytes.fromhex(json.loads(info["manifest_json"])["team_key"])
            out = work / f"laptop{i}.rvbundle"
            export_bundle(
                ws,
                out,
                member_id=member,
                team_key=key,
                kit_id=str(info["kit_id"]),
                device_key=device_key(paths),
            )
            rows.append([op.row() for op in ws.ops()])
            blobs.extend(ws.blobs.read_bytes(sha) for sha in ws.attachment_hashes())
        bundles.append(out)
    return bundles, rows, blobs


def app_trial(work: Path, kit: Path, bundles: list[Path], run: int) -> tuple[float, float, int]:
    """(seconds to import all bundles, seconds to import them again, ops in the workspace)."""
    paths = paths_for(work / f"lead{run}")
    visit_id = open_kit(kit, "m-lead", paths=paths, demo=True).visit_id
    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        info = ws.kit_info()
        assert info is not None
        key = bytes.fromhex(json.loads(info["manifest_json"])["team_key"])

        def import_all() -> float:
            start = time.perf_counter()
            read = BundleReader.for_workspace(
                ws, visit_id=visit_id, team_key=key, staging_root=paths.staging
            )
            for _file, vb in read_each(bundles, read):  # as the app's import does
                assert isinstance(vb, VerifiedBundle), vb
                import_bundle(ws, vb)
            return time.perf_counter() - start

        first = import_all()
        again = import_all()
        count = ws.op_count()
    shutil.rmtree(work / f"lead{run}", ignore_errors=True)
    return first, again, count


def floor_trial(
    work: Path, rows: list[list[tuple[object, ...]]], blobs: list[bytes], run: int
) -> float:
    folder = work / f"floor{run}"
    folder.mkdir()
    db = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE ops (op_id TEXT PRIMARY KEY, hlc TEXT, device_id TEXT, member_id TEXT, "
        "entity TEXT, entity_id TEXT, field TEXT, value TEXT, base TEXT)"
    )
    start = time.perf_counter()
    for batch in rows:
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO ops VALUES (?,?,?,?,?,?,?,?,?)", batch)
        db.execute("COMMIT")
    for i, data in enumerate(blobs):
        with open(folder / f"blob{i}", "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    elapsed = time.perf_counter() - start
    db.close()
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laptops", type=int, default=8)
    parser.add_argument("--ops", type=int, default=5000)
    parser.add_argument("--photos", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    use_memory_keyring()
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as tmp:
        work = Path(tmp)
        kit = work / "demo.rvkit"
        build_demo_kit(kit)
        start = time.perf_counter()
        bundles, rows, blobs = build_laptops(work, kit, args.laptops, args.ops, args.photos)
        size = sum(b.stat().st_size for b in bundles)
        print(
            f"built {args.laptops} bundles of {args.ops:,} ops and {args.photos} photos each "
            f"({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s"
        )
        firsts, agains, floors = [], [], []
        for run in range(args.runs):
            floors.append(floor_trial(work, rows, blobs, run))
            first, again, count = app_trial(work, kit, bundles, run)
            assert count == sum(len(r) for r in rows), "every op arrived"
            firsts.append(first)
            agains.append(again)
    first, again, floor = (statistics.median(x) for x in (firsts, agains, floors))
    total = sum(len(r) for r in rows)
    print(
        f"floor (INSERT OR IGNORE {total:,} rows + write {len(blobs)} blobs): "
        f"median {floor:.3f} s of {args.runs}"
    )
    print(f"merge {args.laptops} bundles (read_bundle + import_bundle): median {first:.3f} s")
    print(f"ratio merge/floor: {first / floor:.2f}x (budget <= 3x)")
    print(f"import the same {args.laptops} again: median {again:.3f} s (budget <= 0.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
