"""What a killed kit read leaves in ``data/staging`` is cleaned by every entry point (the
window, ``visit open``, ``kit verify``), never a folder another running process is using.

The kit reads are real processes, killed with SIGKILL while the kit sits checked and unpacked
in staging.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import STAGING_IDLE_SECONDS, clean_staging, forget_staging

REPO = Path(__file__).resolve().parents[2]

_PAUSED_OPEN = """
import sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from reviewer_app.visit import workspaces as visits
from reviewer_app.app.paths import AppPaths

def paused(*args, **kwargs):
    print("staged", flush=True)
    time.sleep(600)

visits._install = paused
visits.open_kit(Path({kit!r}), "m-cns", paths=AppPaths.from_environment(), demo=True)
"""


def _staged_files(folder: Path) -> list[Path]:
    """What a kit read keeps in its staging folder: its lock, and no plaintext evidence (the
    evidence is sealed into the visit's store while it is unpacked)."""
    files = [f for f in folder.rglob("*") if f.is_file()]
    assert not any(b"%PDF" in f.read_bytes() for f in files), "plaintext evidence in staging"
    return files


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture
def paused_open(demo_kit_file: Path, paths: AppPaths) -> Iterator[subprocess.Popen[str]]:
    """A process opening the demo kit, stopped once the kit is checked and unpacked."""
    script = _PAUSED_OPEN.format(repo=str(REPO), kit=str(demo_kit_file))
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "staged"
    yield child
    child.kill()
    child.wait()


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def _age(folder: Path, seconds: float) -> None:
    """Make everything in ``folder`` look untouched for ``seconds``."""
    when = time.time() - seconds
    for f in [folder, *folder.rglob("*")]:
        os.utime(f, (when, when), follow_symlinks=False)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer_app", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )


def _staged(paths: AppPaths) -> list[Path]:
    return sorted(paths.staging.iterdir()) if paths.staging.is_dir() else []


def test_a_folder_in_use_by_a_running_process_is_never_removed(
    paths: AppPaths, paused_open: subprocess.Popen[str], demo_kit_file: Path
) -> None:
    (in_use,) = _staged(paths)
    assert _staged_files(in_use)
    _age(in_use, 10 * STAGING_IDLE_SECONDS)  # however old it looks
    assert clean_staging(paths) == []
    forget_staging(paths)
    result = _cli("kit", "verify", "--demo", str(demo_kit_file))
    assert result.returncode == 0, result.stderr
    assert _staged(paths) == [in_use] and _staged_files(in_use)


@pytest.mark.parametrize("entry_point", ["kit verify", "visit open", "window"])
def test_every_entry_point_cleans_what_a_killed_kit_open_left(
    paths: AppPaths, paused_open: subprocess.Popen[str], demo_kit_file: Path, entry_point: str
) -> None:
    (left,) = _staged(paths)
    _kill(paused_open)
    assert left.exists() and _staged_files(left)  # what the kill left behind
    if entry_point == "window":
        forget_staging(paths)  # what the window does as it starts
    else:
        args = {"kit verify": ["kit", "verify"], "visit open": ["visit", "open"]}[entry_point]
        extra = ["--as", "m-cns"] if entry_point == "visit open" else []
        result = _cli(*args, str(demo_kit_file), *extra, "--demo")
        assert result.returncode == 0, result.stderr
    assert not left.exists()
    assert not paths.staging.exists()


def test_an_unlocked_leftover_is_removed_only_once_it_has_been_idle(paths: AppPaths) -> None:
    """Folders made by older versions, or by a bundle import, carry no lock: their age says."""
    old = paths.staging / "kit-abc123"
    (old / "evidence").mkdir(parents=True)
    (old / "evidence" / "big.pdf").write_bytes(b"x" * 1000)
    assert clean_staging(paths) == []  # it may be a read under way
    _age(old, STAGING_IDLE_SECONDS + 60)
    assert clean_staging(paths) == [old]
    assert not paths.staging.exists()


def test_a_kit_read_leaves_no_staging_behind(paths: AppPaths, demo_kit_file: Path) -> None:
    result = _cli("visit", "open", str(demo_kit_file), "--as", "m-cns", "--demo")
    assert result.returncode == 0, result.stderr
    assert not paths.staging.exists()
