"""Kit build: the staff's build path against zipping and hashing the same bytes, same run.

    .venv/bin/python bench/kit_build.py [--standards 2000] [--files 200] [--mb 100] [--runs 3]

Inputs are synthetic (``reviewer_app.demo.kits.synthetic_standards`` and incompressible "PDF"
evidence files, as ``reviewer-app demo kit`` makes them). The app trial is what the staff
window runs: a plan over the demo visit with those standards and documents, then
``reviewer_app.staff.build.build_plan_kit`` (pre-flight check, applicability, signing, atomic
write). The floor is the least any builder must do with the same bytes: write a zip of the
evidence files (stored, as the builder stores PDFs) and the standards JSON, SHA-256 of every
byte. Trials alternate; medians are printed. Budget (issue 7): app <= 2x floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewer_app.demo.kits import DEMO_PRIVATE_KEY, demo_visit, synthetic_standards  # noqa: E402
from reviewer_app.staff import build, provider  # noqa: E402
from reviewer_app.staff.planner import VisitPlan  # noqa: E402
from sync.keys import load_signing_key  # noqa: E402


def make_evidence(folder: Path, files: int, mb: float) -> list[Path]:
    size = int(mb * 1024 * 1024 / files)
    out = []
    for i in range(files):
        path = folder / f"evidence-{i + 1:04d}.pdf"
        path.write_bytes(b"%PDF-1.4\n" + os.urandom(max(0, size - 9)))
        out.append(path)
    return out


def floor_trial(standards_json: bytes, files: list[Path], out: Path) -> float:
    start = time.perf_counter()
    with out.open("wb") as raw, zipfile.ZipFile(raw, "w") as zf:
        digest = hashlib.sha256(standards_json)
        zf.writestr(zipfile.ZipInfo("standards.json"), standards_json, zipfile.ZIP_DEFLATED)
        for path in files:
            h = hashlib.sha256()
            info = zipfile.ZipInfo(f"evidence/{path.name}")
            with path.open("rb") as src, zf.open(info, "w") as dst:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
        zf.writestr("digest", digest.hexdigest())
        raw.flush()
        os.fsync(raw.fileno())
    return time.perf_counter() - start


def app_trial(plan: VisitPlan, standards, key, out: Path) -> float:  # noqa: ANN001
    start = time.perf_counter()
    build.build_plan_kit(plan, standards, out, key, created_by="bench")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--standards", type=int, default=2000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    visit = demo_visit()
    standards = synthetic_standards(args.standards, [c.id for c in visit.components])
    key = load_signing_key(DEMO_PRIVATE_KEY)
    with tempfile.TemporaryDirectory(prefix="rv-bench-build-") as tmp:
        folder = Path(tmp)
        files = make_evidence(folder, args.files, args.mb)
        plan = VisitPlan.from_visit(visit)
        provider.add_evidence_files(plan, files)
        standards_json = json.dumps(standards.to_dict()).encode()
        floors, apps = [], []
        for i in range(args.runs):
            floors.append(floor_trial(standards_json, files, folder / f"floor{i}.zip"))
            apps.append(app_trial(plan, standards, key, folder / f"kit{i}.rvkit"))
            (folder / f"floor{i}.zip").unlink()
            size = (folder / f"kit{i}.rvkit").stat().st_size
            (folder / f"kit{i}.rvkit").unlink()
        floor, app = statistics.median(floors), statistics.median(apps)
        print(
            f"kit build: {args.standards} standards, {args.files} evidence files "
            f"({args.mb:.0f} MB), kit {size / 1e6:.1f} MB, {args.runs} runs"
        )
        print(f"floor (zip + SHA-256 of the same bytes): median {floor:.2f} s  {floors}")
        print(f"app (plan -> signed kit):                median {app:.2f} s  {apps}")
        ratio = app / floor
        print(f"ratio app/floor: {ratio:.2f}x (budget <= 2x) {'OK' if ratio <= 2 else 'OVER'}")


if __name__ == "__main__":
    main()
