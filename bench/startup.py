"""Start to a usable window on the demo visit, against a bare PySide6 window in the same run.

    .venv/bin/python bench/startup.py [--runs 7]

Each trial is a fresh child process, timed from spawn to exit (``time.perf_counter`` around
``subprocess.run``); floor and app trials alternate, and medians are printed.

- floor: import PySide6.QtWidgets, create the QApplication, show a 1400x900 QMainWindow with a
  label, process events until its window is exposed, close it and exit.
- app: ``python -m reviewer_app --demo`` (run as that command runs: ``reviewer_app.app.cli.run``,
  hence ``main``, ``run_app`` and the app's own exit) with the demo workspace already prepared
  (one untimed start beforehand), in a driver that imports nothing itself (the app imports its
  modules in its own order) and only adds, as ``ui.app`` is imported: on the
  ``AppController.window_shown`` signal, wait until the ReviewerWindow is exposed, its navigator
  filled and the standard's page showing a standard, then ``QApplication.quit()``. The exit
  includes the app's own shutdown (the window closes, the storage worker drains).

Both run with QT_QPA_PLATFORM=offscreen and a temporary REVIEWER_APP_HOME, with byte code cached
(PYTHONPYCACHEPREFIX in the temporary folder, as an installed app has .pyc files). The child
also reports spawn -> usable (wall clock handed over in RV_BENCH_SPAWN), printed as a second figure.

The demo visit's key is kept in a real password store, as on a reviewer's laptop: the session's
own, or, with no session bus, gnome-keyring on a private one (``run_all.password_store``, as
``make bench`` runs it). Without any, the window would ask for a passphrase that nobody types,
and the first trial would never end.

Budget (issue 3): app / floor <= 2x.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_all import password_store  # (bench/ is this script's folder: sys.path[0])

ROOT = Path(__file__).resolve().parent.parent

FLOOR = """
import json, os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("A bare window", window))
window.resize(1400, 900)
window.show()
usable = []

def check():
    handle = window.windowHandle()
    if window.isVisible() and handle is not None and handle.isExposed():
        usable.append(time.time() - float(os.environ["RV_BENCH_SPAWN"]))
        window.close()
        app.quit()
    else:
        QTimer.singleShot(1, check)

QTimer.singleShot(0, check)
app.exec()
print(json.dumps({"usable": usable[0]}))
"""

APP = """
import importlib.machinery, json, os, sys, time

class PatchAppController:
    # Adds the check below to ui.app.AppController as ui.app is imported by the app itself, so
    # that the app imports its modules in its own order (the driver imports nothing of ours).
    def find_spec(self, name, path=None, target=None):
        if name != "ui.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec

def check(window):
    from PySide6.QtCore import QTimer  # (imported by the app by now)
    from PySide6.QtWidgets import QApplication

    handle = window.windowHandle()
    if (
        window.isVisible()
        and handle is not None
        and handle.isExposed()
        and window.navigator.model.rowCount() > 0
        and window.page.ref is not None
    ):
        usable = time.time() - float(os.environ["RV_BENCH_SPAWN"])
        print(json.dumps({"usable": usable}), flush=True)
        QApplication.instance().quit()
    else:
        QTimer.singleShot(1, lambda: check(window))

def patch(ui_app):
    init = ui_app.AppController.__init__

    def checked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.window_shown.connect(check)

    ui_app.AppController.__init__ = checked_init

sys.meta_path.insert(0, PatchAppController())
import runpy

sys.argv = ["reviewer-app", "--demo"]
runpy.run_module("reviewer_app", run_name="__main__", alter_sys=True)
"""


def trial(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(spawn -> exit, spawn -> usable) in seconds for one fresh child process."""
    start = time.perf_counter()
    env = {**env, "RV_BENCH_SPAWN": repr(time.time())}
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, cwd=ROOT, capture_output=True, text=True
    )
    total = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"trial failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    if result.get("usable") is None:
        raise SystemExit(f"the window never became usable:\n{proc.stderr[-3000:]}")
    return total, float(result["usable"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with (
        password_store() as keys_env,
        tempfile.TemporaryDirectory(prefix="rv-bench-start-") as home,
    ):
        env = {
            **keys_env,
            "QT_QPA_PLATFORM": "offscreen",
            "REVIEWER_APP_HOME": home,
            "PYTHONPATH": str(ROOT),
            # Byte code cached as an installed app has it (this shell may set
            # PYTHONDONTWRITEBYTECODE): kept in the temporary folder, not in the source tree.
            "PYTHONPYCACHEPREFIX": str(Path(home) / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        t0 = time.perf_counter()
        trial(APP, env)  # the first start ever builds the demo kit and workspace: untimed
        trial(FLOOR, env)  # and warms the file and byte-code caches for the floor too
        print(f"demo workspace prepared in {time.perf_counter() - t0:.1f} s (untimed)")
        floors: list[tuple[float, float]] = []
        apps: list[tuple[float, float]] = []
        for _ in range(args.runs):
            floors.append(trial(FLOOR, env))
            apps.append(trial(APP, env))
    floor = statistics.median(t for t, _ in floors)
    app = statistics.median(t for t, _ in apps)
    floor_u = statistics.median(u for _, u in floors)
    app_u = statistics.median(u for _, u in apps)
    print(f"{args.runs} alternating trials, each a fresh process (offscreen)")
    print(f"bare PySide6 window, spawn -> exit:     median {floor:.3f} s  runs {_fmt(floors)}")
    print(f"reviewer-app --demo, spawn -> exit:     median {app:.3f} s  runs {_fmt(apps)}")
    print(
        f"spawn -> usable window: bare {floor_u:.3f} s, app {app_u:.3f} s "
        f"(ratio {app_u / floor_u:.2f}x)"
    )
    verdict = "within" if app / floor <= 2 else "OVER"
    print(f"ratio app/floor (spawn -> exit): {app / floor:.2f}x  (budget <= 2x: {verdict} budget)")


def _fmt(xs: list[tuple[float, float]]) -> str:
    return ", ".join(f"{t:.2f}" for t, _ in xs)


if __name__ == "__main__":
    main()
