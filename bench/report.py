"""The draft report and the feedback sheet: time and peak memory, each render in its own process.

    .venv/bin/python bench/report.py [--standards 500] [--findings 200] [--photos 60] [--runs 3]

A synthetic visit (the demo team and its 3 components, ``--standards`` generated standards that
all apply to every component) is opened as the lead, then filled in one transaction: a team
judgement for every standard x component (mostly met, some not met or N/A with a reason),
``--findings`` findings across the components and categories linked to standards, and
``--photos`` camera-sized photos (2048x1536 JPEG, re-encoded by the blob store as on import),
each linked to one finding. The same is built at twice the standards for the linearity ratio.

Each timed render runs in a fresh child process (read the workspace, build the model, render),
which prints its wall time and its own peak RSS (``ru_maxrss``). Figures are medians of
``--runs``. Budgets (issue 5): PDF and DOCX each <= 10 s, peak RSS <= 500 MB; time at 2x the
standards <= 2.2x; feedback sheet on the demo visit <= 3 s.

Encryption at rest is on, as it always is: the workspace is SQLCipher and every photo a sealed
blob, read (decrypted) through the store. The visits' keys are kept in the password store
(``bench/run_all.py`` runs a private one) or, with none, wrapped with ``REVIEWER_APP_PASSPHRASE``;
each child takes its key before its clock starts, as the app holds it once a session.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# With no password store, the visits' keys are wrapped with this (the children inherit it).
os.environ.setdefault("REVIEWER_APP_PASSPHRASE", "bench passphrase")

from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.demo.kits import DEMO_PRIVATE_KEY, demo_visit, synthetic_standards  # noqa: E402
from reviewer_app.visit.model import (  # noqa: E402
    CATEGORIES,
    FINDING,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PHOTO,
    TEAM_JUDGEMENT,
    team_judgement_id,
)
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path  # noqa: E402
from storage import HybridClock, Op  # noqa: E402


def paths_for(home: Path) -> AppPaths:
    return AppPaths(home / "data", home / "config", home / "cache", home / "logs")


def camera_photo(seed: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    noise = Image.effect_noise((1024, 768), 40 + seed % 20).convert("RGB")
    tint = Image.new("RGB", noise.size, (seed * 37 % 255, seed * 91 % 255, 120))
    img = Image.blend(noise, tint, 0.5).resize((2048, 1536))
    out = BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def build_visit(home: Path, n_standards: int, n_findings: int, n_photos: int) -> str:
    """A lead's workspace of the synthetic visit; returns its visit id."""
    from sync.keys import load_signing_key
    from sync.kit_builder import build_kit

    paths = paths_for(home)
    visit = demo_visit()
    comps = [c.id for c in visit.components]
    std_set = synthetic_standards(n_standards, comps)
    std_set = replace(
        std_set, standards=tuple(replace(s, applies_to=tuple(comps)) for s in std_set.standards)
    )
    visit = replace(visit, visit_id=str(uuid.uuid4()), timetable=())
    kit = home / "bench.rvkit"
    build_kit(
        kit,
        visit=visit,
        standards=std_set,
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by="bench",
    )
    visit_id = open_kit(kit, "m-lead", paths=paths, demo=True).visit_id
    rng = random.Random(5)
    records: list[tuple[str, str, dict[str, Any]]] = []
    refs = [s.ref for s in std_set.standards]
    for ref in refs:
        for comp in comps:
            roll = rng.random()
            value = MET if roll < 0.75 else NOT_MET if roll < 0.93 else NOT_APPLICABLE
            reason = "" if value == MET else f"Evidence for {ref} did not show the arrangement."
            records.append(
                (
                    TEAM_JUDGEMENT,
                    team_judgement_id(ref, comp),
                    {"value": value, "rationale": reason},
                )
            )
    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        photo_ids = []
        for i in range(n_photos):
            sha = ws.blobs.add_photo(camera_photo(i))
            photo_id = str(uuid.uuid4())
            photo_ids.append(photo_id)
            records.append((PHOTO, photo_id, {"sha256": sha, "caption": f"Photo {i + 1}"}))
        cats = list(CATEGORIES)
        for i in range(n_findings):
            fields = {
                "text": f"Finding {i + 1}: the team saw " + "a shortfall in arrangements " * 6,
                "category": cats[i % len(cats)],
                "component": comps[i % len(comps)],
                "order": float(i),
                "refs": rng.sample(refs, 2),
                "photos": [photo_ids[i]] if i < len(photo_ids) else [],
            }
            records.append((FINDING, str(uuid.uuid4()), fields))
        clock = HybridClock()
        ops = [
            Op(str(uuid.uuid4()), clock.tick(), "bench-device", "m-lead", e, eid, name, value)
            for e, eid, fields in records
            for name, value in fields.items()
        ]
        ws.apply_ops(ops)
    return visit_id


def child(kind: str, home: str, visit_id: str, out: str) -> None:
    """One render in this (fresh) process: prints seconds and peak RSS in MB as JSON."""
    from reviewer_app.app.keys import visit_key

    visit_key(paths_for(Path(home)), visit_id)  # unwrapped once a session, before the clock
    start = time.perf_counter()
    from reviewer_app.report import build_report_model, feedback_sheet, render_docx, render_pdf
    from reviewer_app.report.headless import load_visit

    data, blobs = load_visit(paths_for(Path(home)), visit_id)
    if kind == "feedback":
        feedback_sheet(data, Path(out), open_blob=blobs.open)
    else:
        model = build_report_model(data, open_blob=blobs.open)
        (render_pdf if kind == "pdf" else render_docx)(model, Path(out))
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))


def measure(kind: str, home: Path, visit_id: str, runs: int) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        out = home / f"out.{'docx' if kind == 'docx' else 'pdf'}"
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(home), visit_id, str(out)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "REVIEWER_APP_HOME": str(home)},
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        times.append(figures["seconds"])
        peaks.append(figures["rss_mb"])
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--standards", type=int, default=500)
    parser.add_argument("--findings", type=int, default=200)
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("KIND", "HOME", "VISIT", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="rv-bench-report-") as tmp:
        homes = {}
        for n in (args.standards, 2 * args.standards):
            home = Path(tmp) / f"s{n}"
            t = time.perf_counter()
            homes[n] = (home, build_visit(home, n, args.findings, args.photos))
            print(
                f"built the {n}-standard visit in {time.perf_counter() - t:.1f} s", file=sys.stderr
            )
        times: dict[tuple[str, int], float] = {}
        for kind in ("pdf", "docx"):
            for n, (home, visit_id) in homes.items():
                seconds, rss = measure(kind, home, visit_id, args.runs)
                times[(kind, n)] = seconds
                rows.append((f"{kind.upper()}, {n} standards x 3", seconds, rss))
        demo_home = Path(tmp) / "demo"
        demo_id = build_visit(demo_home, 60, 12, 3)
        fb_seconds, fb_rss = measure("feedback", demo_home, demo_id, args.runs)
    print(f"\n{'what':<34} {'median s':>9} {'peak RSS MB':>12}")
    for what, seconds, rss in rows:
        print(f"{what:<34} {seconds:>9.2f} {rss:>12.0f}")
    print(f"{'feedback sheet, demo-size visit':<34} {fb_seconds:>9.2f} {fb_rss:>12.0f}")
    n, n2 = args.standards, 2 * args.standards
    for kind in ("pdf", "docx"):
        ratio = times[(kind, n2)] / times[(kind, n)]
        print(f"{kind.upper()} time at {n2} / time at {n}: {ratio:.2f} (budget <= 2.2)")
    print("budgets: each report <= 10 s, peak RSS <= 500 MB; feedback sheet <= 3 s")


if __name__ == "__main__":
    main()
