"""Kit import: time and peak memory of opening a big kit, against a floor measured in the same run.

    .venv/bin/python bench/kit_import.py [--standards 2000] [--files 200] [--mb 100] [--runs 3]

The kit is ``reviewer-app demo kit --standards N --evidence-files M --evidence-mb X``. The floor is
the least any importer must do with the same kit: unzip every entry to disk, SHA-256 every byte, and
insert the standards' rows into SQLite with plain ``executemany``. Each trial runs in a fresh child
process (so peak RSS is the trial's own); floor and app trials alternate, and medians are printed.
Budget (DESIGN.md): app <= 2x floor. The app's trial seals the evidence with the visit's key (the
only mode), its key kept in a keyring held in memory (an OS keyring's cost is a call or two); the
floor stays plain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def floor_trial(kit: Path, work: Path) -> float:
    start = time.perf_counter()
    _cpu_start[0] = time.process_time()
    out = work / "unzipped"
    with zipfile.ZipFile(kit) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            target = out / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
    standards = json.loads((out / "standards.json").read_text(encoding="utf-8"))["standards"]
    db = sqlite3.connect(work / "floor.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE s (ref TEXT PRIMARY KEY, position INT, section TEXT, title TEXT, "
        "requirement TEXT, parts TEXT, evidence TEXT, key INT, applies TEXT)"
    )
    with db:
        db.executemany(
            "INSERT INTO s VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    s["ref"],
                    i,
                    s["section"],
                    s["title"],
                    s["requirement"],
                    json.dumps(s["parts"]),
                    s["evidence_expected"],
                    s["key"],
                    json.dumps(s["applies_to"]),
                )
                for i, s in enumerate(standards)
            ],
        )
    db.close()
    return time.perf_counter() - start


def use_memory_keyring() -> None:
    """Visit keys kept in this process's memory, as an OS keyring keeps them (no passphrase)."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.secrets: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.secrets.pop((service, username), None)

    keyring.set_keyring(MemoryKeyring())


def app_trial(kit: Path, work: Path) -> float:
    os.environ["REVIEWER_APP_HOME"] = str(work / "home")
    use_memory_keyring()
    import sync.keys
    import sync.kit_reader  # noqa: F401 - imported lazily by open_kit; import cost is not import work
    from reviewer_app.app.paths import AppPaths
    from reviewer_app.demo.kits import demo_visit
    from reviewer_app.visit.workspaces import open_kit

    lead = demo_visit().lead
    assert lead is not None
    paths = AppPaths.from_environment()
    start = time.perf_counter()
    _cpu_start[0] = time.process_time()
    open_kit(kit, lead.member_id, paths=paths, demo=True)
    return time.perf_counter() - start


#: Diagnostic: the process's CPU time (every thread) when the timed part began.
_cpu_start = [0.0]


def child(kind: str, kit: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rv-bench-", dir=kit.parent) as tmp:
        seconds = (floor_trial if kind == "floor" else app_trial)(kit, Path(tmp))
        cpu = time.process_time() - _cpu_start[0]
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def run_child(kind: str, kit: Path) -> tuple[float, float, float]:
    """(seconds, CPU seconds of every thread, peak RSS in MB) of one trial in a fresh
    process. The CPU time (a diagnostic, not the figure) is the timed part's, so that a
    busy machine's effect on the wall-clock ratio can be told from the work done."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--kit", str(kit)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} trial failed with exit code {proc.returncode}")
    result = json.loads(output)
    return result["seconds"], result["cpu"], usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--standards", type=int, default=2000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", choices=["floor", "app"])
    ap.add_argument("--kit", type=Path)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.kit)
        return
    with tempfile.TemporaryDirectory(prefix="rv-bench-kit-") as tmp:
        kit = Path(tmp) / "big.rvkit"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "reviewer_app",
                "demo",
                "kit",
                "-o",
                str(kit),
                "--standards",
                str(args.standards),
                "--evidence-files",
                str(args.files),
                "--evidence-mb",
                str(args.mb),
            ],
            check=True,
            env={**os.environ, "REVIEWER_APP_HOME": str(Path(tmp) / "builder")},
            stdout=subprocess.DEVNULL,
        )
        build_s = time.perf_counter() - t0
        print(
            f"kit: {args.standards} standards, {args.files} evidence files, "
            f"{kit.stat().st_size / 1e6:.1f} MB on disk (built in {build_s:.1f} s)"
        )
        floors, apps, rss, floor_cpu, app_cpu = [], [], [], [], []
        for _ in range(args.runs):
            f, fc, _rss = run_child("floor", kit)
            a, ac, r = run_child("app", kit)
            floors.append(f)
            apps.append(a)
            rss.append(r)
            floor_cpu.append(fc)
            app_cpu.append(ac)
        shutil.rmtree(Path(tmp) / "builder", ignore_errors=True)
    floor, app = statistics.median(floors), statistics.median(apps)
    print(f"floor (unzip + sha256 + raw inserts): median {floor:.2f} s  runs {_fmt(floors)}")
    print(f"reviewer-app visit open:              median {app:.2f} s  runs {_fmt(apps)}")
    print(f"ratio app/floor: {app / floor:.2f}x  (budget <= 2x)")
    print(f"peak RSS of the import process: median {statistics.median(rss):.0f} MB")
    fc, ac = statistics.median(floor_cpu), statistics.median(app_cpu)
    print(
        f"(diagnostic) CPU time of the timed part, every thread: floor median {fc:.2f} s, "
        f"app median {ac:.2f} s ({ac / fc:.2f}x)"
    )


def _fmt(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


if __name__ == "__main__":
    main()
