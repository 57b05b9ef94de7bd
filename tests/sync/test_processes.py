"""A worker process of the app's pools ends when the app is killed (it lived on, idle)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP = """
import os, sys, time
sys.path.insert(0, {root!r})
from sync.processes import single_worker_pool

if __name__ == "__main__":
    pool = single_worker_pool()
    print(pool.submit(os.getpid).result(timeout=60), flush=True)
    time.sleep(600)  # the app at work, until it is killed
"""


def alive(pid: int) -> bool:
    """Running (not gone, nor a zombie waiting for its parent to read its end)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_worker_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP.format(root=str(ROOT)))
    app = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        worker = int(app.stdout.readline())
        assert worker != app.pid and alive(worker)
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=30)
        deadline = time.monotonic() + 15
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker), "the worker lived on after the app was killed"
    finally:
        app.kill()
