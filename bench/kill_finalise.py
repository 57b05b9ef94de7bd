"""Kill -9 over finalisation: a finalised version is never left without its outbox item.

Each round amends the worked demo visit (so that there is a new version to make), runs
``reviewer-app finalise --visit ID --sign-off`` in a child process and kills it with SIGKILL after
a random delay spread over a whole run (checking, writing the report, the transaction, handing
over). Then, without going through the app, it checks the workspace: ``PRAGMA integrity_check``
and that every snapshot has its outbox item (the workspace is encrypted: it is opened with
SQLCipher and the visit's key, ``storage.encrypted_sqlite.connect``, and nothing else). Last,
it finalises again: that must make the version, or say nothing changed only when the version
is queued to be sent.

    .venv/bin/python bench/kill_finalise.py [--kills 50] [--seed N]

The test suite (tests/reviewer_app/test_finalise_kill.py) drives the same rounds, with the child
paused at named points (``REVIEWER_APP_TEST_PAUSE``) as well as random delays.

Keys: the visit's is the app's (``reviewer_app.app.keys.visit_key``), kept where the app keeps
it: the password store (``bench/run_all.py`` runs a private one) or, with none, a file beside
the workspace wrapped with ``REVIEWER_APP_PASSPHRASE``, which the children inherit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reviewer_app.app.keys import OUTBOX, laptop_key, visit_key  # noqa: E402
from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit  # noqa: E402
from reviewer_app.lead.finalise import completeness  # noqa: E402
from reviewer_app.lead.privacy import privacy_hits  # noqa: E402
from reviewer_app.lead.view import CONFIRMED_KEY  # noqa: E402
from reviewer_app.visit.model import TEAM_JUDGEMENT, team_judgement_id  # noqa: E402
from reviewer_app.visit.read_model import VisitData, read_visit_data  # noqa: E402
from reviewer_app.visit.workspaces import workspace_path  # noqa: E402
from storage import Workspace, encrypted_sqlite  # noqa: E402

PAUSE_TIMEOUT = 60.0


def paths_for(home: Path) -> AppPaths:
    """The app's folders under ``home``, as ``REVIEWER_APP_HOME=home`` gives them."""
    return AppPaths(
        data=home / "data", config=home / "config", cache=home / "cache", logs=home / "logs"
    )


def prepare(home: Path) -> str:
    """A worked demo visit under ``home``, made complete enough to finalise: every gap gets a
    team judgement and the possible personal data is confirmed, as the lead would in the
    window. Returns its visit id."""
    paths = paths_for(home)
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=1))
    with _workspace(home, visit_id) as (ws, data, lead):
        for gap in completeness(data):
            tid = team_judgement_id(gap.ref, gap.component)
            ws.record(lead, TEAM_JUDGEMENT, tid, {"value": "met", "rationale": "Agreed"})
        ws.set_local(CONFIRMED_KEY, sorted(h.key for h in privacy_hits(data)))
    return visit_id


def amend(home: Path, visit_id: str, n: int) -> None:
    """Change one team rationale, so that finalising again makes a new version."""
    with _workspace(home, visit_id) as (ws, _data, lead):
        first = sorted(ws.entities(TEAM_JUDGEMENT))[0]
        ws.record(lead, TEAM_JUDGEMENT, first, {"rationale": f"Agreed by the team ({n})"})


@contextlib.contextmanager
def _workspace(home: Path, visit_id: str) -> Iterator[tuple[Workspace, VisitData, str]]:
    """The visit's workspace, its read model and its lead's member id."""
    paths = paths_for(home)
    key = visit_key(paths, visit_id)
    with Workspace.open(
        workspace_path(paths, visit_id), key=key, device_id="bench-lead", backup=False
    ) as ws:
        data = read_visit_data(ws)
        lead = data.visit.lead
        assert lead is not None, "the demo visit has a lead"
        yield ws, data, lead.member_id


# -- looking at the files, not through the app ----------------------------------------------------


@dataclass
class State:
    """What is on disk: the snapshots, their outbox items, the installation's sending queue."""

    integrity: str
    versions: list[tuple[int, str]]  # (version, snapshot_id), oldest first
    queued: set[str]  # snapshots with an outbox item in the workspace
    handed_over: set[str]  # ... marked as handed to the sending queue
    sending: set[str]  # in data/outbox.sqlite

    @property
    def orphans(self) -> list[int]:
        """Versions with no outbox item: finalised, and never to be sent."""
        return [v for v, sid in self.versions if sid not in self.queued]


def inspect(home: Path, visit_id: str) -> State:
    """Read the files with SQLCipher and the key alone (nothing the app does on open, such as
    queueing orphaned snapshots, gets a chance to hide a problem)."""
    paths = paths_for(home)
    conn = encrypted_sqlite.connect(workspace_path(paths, visit_id), visit_key(paths, visit_id))
    try:
        integrity = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        versions = [
            (int(v), str(s))
            for v, s in conn.execute("SELECT version, snapshot_id FROM snapshots ORDER BY version")
        ]
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'snapshot_outbox'"
        ).fetchone()
        items = (
            conn.execute("SELECT snapshot_id, handed_over_at FROM snapshot_outbox").fetchall()
            if has_table
            else []
        )
    finally:
        conn.close()
    return State(
        integrity=integrity,
        versions=versions,
        queued={str(s) for s, _h in items},
        handed_over={str(s) for s, h in items if h is not None},
        sending=_sending(paths, paths.data / "outbox.sqlite"),
    )


def _sending(paths: AppPaths, file: Path) -> set[str]:
    if not file.exists():
        return set()
    # The sending queue is the laptop's; encrypted with its own key when the app encrypts it.
    if encrypted_sqlite.is_encrypted(file):
        conn = encrypted_sqlite.connect(file, laptop_key(paths, OUTBOX))
    else:
        conn = sqlite3.connect(file)
    try:
        return {str(r[0]) for r in conn.execute("SELECT snapshot_id FROM items")}
    finally:
        conn.close()


# -- the child -------------------------------------------------------------------------------------


def finalise_command(visit_id: str) -> list[str]:
    return [sys.executable, "-m", "reviewer_app", "finalise", "--visit", visit_id, "--sign-off"]


def _env(home: Path, pause: str | None) -> dict[str, str]:
    env = {**os.environ, "REVIEWER_APP_HOME": str(home)}
    env.pop("REVIEWER_APP_TEST_PAUSE", None)
    if pause is not None:
        env["REVIEWER_APP_TEST_PAUSE"] = pause
    return env


def finalise_again(home: Path, visit_id: str) -> dict[str, object]:
    """Run ``reviewer-app finalise --sign-off --json`` to the end; its JSON and exit code."""
    proc = subprocess.run(
        [*finalise_command(visit_id), "--json"],
        capture_output=True,
        text=True,
        env=_env(home, None),
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    try:
        out: dict[str, object] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out = {"status": "error", "message": proc.stderr.strip()}
    out["exit_code"] = proc.returncode
    return out


def timed_run(home: Path, visit_id: str) -> float:
    """Seconds one whole finalisation takes here (after an amendment)."""
    start = time.perf_counter()
    result = finalise_again(home, visit_id)
    if result["status"] != "finalised":
        raise RuntimeError(f"finalising did not work: {result}")
    return time.perf_counter() - start


@dataclass
class RoundResult:
    killed: bool  # the child was still running when the signal came
    new_version: bool  # the killed run's version survived
    with_item: bool  # ... with its outbox item
    orphans: list[int]
    integrity_ok: bool
    recovery: str  # "finalised" or "unchanged"
    problems: list[str] = field(default_factory=list)


def kill_round(
    home: Path,
    visit_id: str,
    n: int,
    *,
    delay: float | None = None,
    pause: str | None = None,
) -> RoundResult:
    """Amend, start finalising, SIGKILL it (after ``delay`` seconds, or once it says it has
    paused at ``pause``), check the files, then finalise again and check the result."""
    amend(home, visit_id, n)
    before = inspect(home, visit_id)
    proc = subprocess.Popen(
        finalise_command(visit_id),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(home, pause),
        cwd=ROOT,
    )
    paused = threading.Event()
    reader = threading.Thread(target=_watch, args=(proc, paused), daemon=True)
    reader.start()
    if pause is not None:
        _wait_for_pause(proc, paused, pause)
    else:
        time.sleep(delay or 0.0)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(timeout=10)
    return _check(home, visit_id, before, killed)


def _wait_for_pause(proc: subprocess.Popen[str], paused: threading.Event, pause: str) -> None:
    deadline = time.monotonic() + PAUSE_TIMEOUT
    while not paused.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the child never paused at {pause} (exit code {proc.poll()})")


def _watch(proc: subprocess.Popen[str], paused: threading.Event) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("paused at "):
            paused.set()
    proc.stderr.close()


def _check(home: Path, visit_id: str, before: State, killed: bool) -> RoundResult:
    after = inspect(home, visit_id)
    new_version = len(after.versions) > len(before.versions)
    result = RoundResult(
        killed=killed,
        new_version=new_version,
        with_item=new_version and after.versions[-1][1] in after.queued,
        orphans=after.orphans,
        integrity_ok=after.integrity == "ok",
        recovery="",
    )
    if not result.integrity_ok:
        result.problems.append(f"integrity_check: {after.integrity}")
    if result.orphans:
        result.problems.append(f"versions without an outbox item: {result.orphans}")
    again = finalise_again(home, visit_id)
    result.recovery = str(again["status"])
    latest = len(after.versions)
    expected = ("unchanged", latest) if new_version else ("finalised", latest + 1)
    if (again["status"], again.get("version")) != expected:
        result.problems.append(f"finalising again: expected {expected}, got {again}")
    final = inspect(home, visit_id)
    unsent = [v for v, sid in final.versions if sid not in final.sending]
    if unsent or final.orphans or len(final.handed_over) != len(final.versions):
        result.problems.append(
            f"after finalising again, versions not in the sending queue: {unsent}"
        )
    return result


# -- the bench -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="stop after this many kills")
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    # With no password store, the visit's key is wrapped with this (the children inherit it).
    os.environ.setdefault("REVIEWER_APP_PASSPHRASE", "bench passphrase")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    results: list[RoundResult] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        visit_id = prepare(home)
        one_run = timed_run(home, visit_id)
        n = 0
        while sum(r.killed for r in results) < args.kills:
            n += 1
            results.append(kill_round(home, visit_id, n, delay=rng.uniform(0, one_run * 1.1)))
            problems = results[-1].problems
            if problems:
                print(f"round {n}: {'; '.join(problems)}", file=sys.stderr)
    report(results, time.perf_counter() - started, one_run, args.seed)
    bad = any(r.problems for r in results)
    return 1 if bad else 0


def report(results: list[RoundResult], seconds: float, one_run: float, seed: int) -> None:
    kills = [r for r in results if r.killed]
    print(
        f"kill -9 over finalisation: {len(results)} rounds in {seconds:.0f} s (seed {seed}); "
        f"one finalisation takes {one_run:.2f} s, kills fall in 0..{one_run * 1.1:.2f} s"
    )
    print(f"kills: {len(kills)} ({len(results) - len(kills)} runs ended before their kill)")
    print(f"versions finalised: {sum(r.new_version for r in kills)} (by a run then killed)")
    print(f"versions with outbox item: {sum(r.with_item for r in kills)}")
    print(f"orphans: {sum(len(r.orphans) for r in results)}")
    print(f"integrity failures: {sum(not r.integrity_ok for r in results)}")
    finalised = sum(r.recovery == "finalised" for r in results)
    print(
        f"finalising again: {finalised} made the version, "
        f"{len(results) - finalised} said nothing changed; "
        f"every version in the sending queue: {not any(r.problems for r in results)}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
