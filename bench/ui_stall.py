"""The longest UI-thread stall while opening a 2,000-standard kit with 100 MB of evidence.

    .venv/bin/python bench/ui_stall.py [--standards 2000] [--files 200] [--mb 100] [--runs 3]
                                       [--kit BIG.rvkit] [--why]

Each trial is a fresh process (QT_QPA_PLATFORM=offscreen, its own temporary REVIEWER_APP_HOME),
as a reviewer who starts the app and opens the kit: the app's ``AppController`` shows the start
screen (as ``run_app`` starts: the garbage collector off until the start screen shows, then on
with start-up's objects frozen), then ``start_screen.open_kit(kit)`` runs the real flow (check
the kit on the opener's worker, "who am I", ``open_kit`` with its progress dialog,
``open_session``, the ReviewerWindow), with ``WhoAmIDialog.ask`` patched to answer the demo
lead at once (the only change).

A ``QTimer`` probe (PreciseTimer, every 5 ms) on the UI thread records when it ticks, from the
call of ``open_kit`` until the first tick after the ReviewerWindow is exposed with a standard on
its page (so the first paint counts). The gaps between ticks, minus the 5 ms interval, are the
stalls: the longest, p99, and the total time are printed (medians over the trials), and, as a
figure less swayed by a busy machine, the UI thread's own CPU time in its busiest gap.
Budget (issue 3): longest <= 50 ms.

With ``--why`` (and whenever the median longest stall is over budget) one more trial runs with a
watchdog thread that samples every thread's Python stack while a stall is going on (> 20 ms
since the last tick), and prints where the longest stalls were spent: the UI thread's stack, the
stacks of the other threads not waiting on something (a stall while the UI thread sits in the
event loop is another thread holding the GIL), how late the watchdog itself woke (it needs the
GIL too), and the garbage collections that ran during each.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BUDGET_MS = 50.0
PROBE_MS = 5
STALL_MS = 20.0  # the watchdog samples every thread after this long without a tick


IDLE_FUNCTIONS = {
    "wait",
    "_wait_for_tstate_lock",
    "select",
    "poll",
    "sleep",
    "get",
    "accept",
    "recv",
    "readinto",
    "acquire",
    "join",
    "_worker",
}  # a thread waiting, GIL free


class Watchdog(threading.Thread):
    """Samples every thread's stack while the UI thread has not ticked for more than STALL_MS.

    The watchdog needs the GIL to wake: when it wakes late (``late``), some thread held the GIL
    for that long (a long call into C that keeps it: ``json.loads`` of a big document, a full
    garbage collection, AES-GCM...), or no core was free to run it (a busy machine). The stacks
    of the threads not waiting on something tell which. Garbage collections are timed by
    ``gc.callbacks``, on whichever thread ran them.
    """

    def __init__(self, ticks: list[float]) -> None:
        super().__init__(name="stall-watchdog", daemon=True)
        self.ticks = ticks
        self.ui = threading.main_thread().ident or 0
        # gap -> samples; a sample is [(thread name, its stack)...], the UI thread first
        self.samples: dict[int, list[list[tuple[str, list[str]]]]] = collections.defaultdict(list)
        self.late: dict[int, float] = collections.defaultdict(float)  # gap -> longest late wake
        self.collections: list[tuple[float, float, int, str]] = []  # (start, ms, gen, thread)
        self._gc_start: dict[int, float] = {}
        self.stop = threading.Event()

    def start(self) -> None:
        gc.callbacks.append(self._gc)
        super().start()

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        now, me = time.perf_counter(), threading.get_ident()
        if phase == "start":
            self._gc_start[me] = now
        elif me in self._gc_start:
            began = self._gc_start.pop(me)
            name = threading.current_thread().name
            self.collections.append((began, (now - began) * 1000, info["generation"], name))

    def run(self) -> None:
        names: dict[int | None, str] = {}
        due = time.perf_counter() + 0.004
        while not self.stop.wait(0.004):
            now = time.perf_counter()
            late, due = (now - due) * 1000, now + 0.004
            if not self.ticks:
                continue
            gap_index = len(self.ticks)  # the gap after the last tick
            if (now - self.ticks[-1]) * 1000 < STALL_MS:
                continue
            self.late[gap_index] = max(self.late[gap_index], late)
            if len(names) != threading.active_count():
                names = {t.ident: t.name for t in threading.enumerate()}
            sample = []
            for ident, frame in sys._current_frames().items():  # noqa: SLF001
                if ident == self.ident:
                    continue
                stack = [
                    f"{Path(f.filename).name}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack(frame)
                ][-10:]
                name = "UI" if ident == self.ui else names.get(ident, str(ident))
                idle = frame.f_code.co_name in IDLE_FUNCTIONS and ident != self.ui
                if not idle:
                    sample.append((name, stack))
            sample.sort(key=lambda s: s[0] != "UI")
            self.samples[gap_index].append(sample)
        gc.callbacks.remove(self._gc)


def child(kit: Path, why: bool) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from navigation import none_guard, wait
    from PySide6.QtCore import Qt, QTimer

    from reviewer_app.app.paths import AppPaths
    from reviewer_app.demo.kits import demo_visit
    from ui.app import AppController, application
    from ui.who_am_i import WhoAmIDialog

    # As ``ui.app.run_app`` does: no cyclic garbage collection while the app starts; it comes
    # back, with start-up's objects frozen out of it, once the start screen shows (``_started``).
    gc.disable()
    app = application()
    warning = none_guard(app)
    phases: list[tuple[str, float]] = []
    profile = cProfile.Profile()
    if why:
        _instrument(phases, profile)
    lead = demo_visit().lead
    assert lead is not None
    WhoAmIDialog.ask = classmethod(lambda _cls, _parent, _title, _team: lead.member_id)  # type: ignore[method-assign,assignment]
    controller = AppController(AppPaths.from_environment(), demo=True)
    shown: list[object] = []
    controller.window_shown.connect(shown.append)
    controller._show_start_screen()  # noqa: SLF001 (the start screen, shown as run_app shows it)
    settle = time.perf_counter() + 0.3  # the start screen's first paint and its visit list
    wait(app, lambda: time.perf_counter() > settle and not controller.start_screen.opener.working)

    ticks: list[float] = []
    cpu: list[float] = []  # the UI thread's CPU time at each tick (time.thread_time)
    done: list[float] = []

    def usable() -> bool:
        if not shown:
            return False
        window = shown[0]
        handle = window.windowHandle()  # type: ignore[attr-defined]
        return handle is not None and handle.isExposed() and window.page.ref is not None  # type: ignore[attr-defined]

    def tick() -> None:
        ticks.append(time.perf_counter())
        cpu.append(time.thread_time())
        if not done and usable():
            done.append(ticks[-1])
            profile.disable()
            phases.append(("first probe tick after the window is usable", ticks[-1]))

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)
    watchdog = Watchdog(ticks) if why else None
    probe.start()
    start = time.perf_counter()
    ticks.append(start)
    cpu.append(time.thread_time())
    if watchdog is not None:
        watchdog.start()
    assert controller.start_screen.open_kit(kit)
    wait(app, lambda: bool(done), seconds=300)
    probe.stop()
    if watchdog is not None:
        watchdog.stop.set()
        watchdog.join()
    gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]
    result: dict[str, object] = {
        "warning": warning,
        "total_s": done[0] - start,
        "gaps": gaps,
        "gaps_cpu": [(b - a) * 1000 for a, b in zip(cpu, cpu[1:], strict=False)],
        "stacks": {},
    }
    if watchdog is not None:
        longest = sorted(range(len(gaps)), key=lambda i: gaps[i], reverse=True)[:5]
        stacks: dict[str, object] = {}
        for i in longest:
            begin, end = ticks[i], ticks[i + 1]
            gcs = [
                f"gen {gen} collection {ms:.1f} ms on {name} at {(at - start) * 1000:.0f} ms"
                for at, ms, gen, name in watchdog.collections
                if at < end and at + ms / 1000 > begin and ms >= 2
            ]
            stacks[f"{gaps[i]:.1f} ms at {(begin - start) * 1000:.0f} ms"] = {
                "samples": watchdog.samples.get(i + 1, []),
                "late": watchdog.late.get(i + 1, 0.0),
                "gc": gcs,
            }
        result["stacks"] = stacks
        result["phases"] = [(label, (t - start) * 1000) for label, t in phases]
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
        stats.print_stats(str(ROOT / "(ui|reviewer_app)"), 25)
        result["profile"] = out.getvalue()
    controller.shutdown()
    return result


def _instrument(phases: list[tuple[str, float]], profile: cProfile.Profile) -> None:
    """Mark the phases of making the window (on the UI thread) and profile them and the first
    paint: only for the diagnostic trial."""
    import ui.app as ui_app

    make_window = ui_app._main_window  # noqa: SLF001
    visit_opened = ui_app.AppController._visit_opened  # noqa: SLF001

    def main_window(session: object, paths: object) -> object:
        phases.append(("ui.app._main_window: import ui.main_window", time.perf_counter()))
        import ui.main_window  # noqa: F401, PLC0415

        phases.append(("ReviewerWindow(session, paths)", time.perf_counter()))
        window = make_window(session, paths)  # type: ignore[arg-type]
        phases.append(("window.show() and the rest of _visit_opened", time.perf_counter()))
        return window

    def opened(self: object, session: object) -> None:
        profile.enable()
        phases.append(("AppController._visit_opened", time.perf_counter()))
        visit_opened(self, session)  # type: ignore[arg-type]
        phases.append(("the first expose and paint (processEvents)", time.perf_counter()))

    ui_app._main_window = main_window  # type: ignore[assignment]  # noqa: SLF001
    ui_app.AppController._visit_opened = opened  # type: ignore[method-assign]  # noqa: SLF001


def run_child(kit: Path, tmp: Path, n: int, why: bool) -> dict[str, object]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "REVIEWER_APP_HOME": str(tmp / f"home-{n}"),
        # Byte code cached as an installed app has it (this shell may set
        # PYTHONDONTWRITEBYTECODE): kept in the temporary folder, not in the source tree.
        "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
    }
    # With no keyring here (a laptop has one), the new visit's key is wrapped with a passphrase
    # (else the app would ask for one in a dialog, and the trial would wait for it).
    env.setdefault("REVIEWER_APP_PASSPHRASE", "ui-stall bench passphrase")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, __file__, "--child", "--kit", str(kit)] + (["--why"] if why else [])
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"trial failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def summary(gaps: list[float]) -> tuple[float, float]:
    """(longest, p99) stall in ms: the gaps between probe ticks beyond the probe interval."""
    stalls = [max(0.0, g - PROBE_MS) for g in gaps]
    return max(stalls), statistics.quantiles(stalls, n=100, method="inclusive")[98]


def explain(why: dict[str, object]) -> None:
    print("  phases on the UI thread (ms since open_kit was called):")
    for label, at in why["phases"]:  # type: ignore[attr-defined]
        print(f"    {at:8.1f}  {label}")
    print(
        "  the five longest gaps, every busy thread's stack sampled during each (> 20 ms; "
        "threads waiting on a lock, a queue or a socket left out):"
    )
    for gap, seen in why["stacks"].items():  # type: ignore[attr-defined]
        samples = seen["samples"]
        print(
            f"  gap of {gap}: {len(samples)} samples; the watchdog woke up to "
            f"{seen['late']:.0f} ms late (the GIL held elsewhere, or no core free, that long)"
        )
        for line in seen["gc"]:
            print(f"    {line}")
        per_thread: dict[str, collections.Counter[tuple[str, ...]]] = collections.defaultdict(
            collections.Counter
        )
        for sample in samples:
            for name, stack in sample:
                per_thread[name][tuple(stack)] += 1
        for name, counts in per_thread.items():
            for stack, count in counts.most_common(2):
                print(f"    {name} x{count}/{len(samples)}:")
                for line in stack[-8:]:
                    print(f"      {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--standards", type=int, default=2000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kit", type=Path, help="use this kit instead of building one")
    ap.add_argument("--why", action="store_true", help="sample every thread's stack in stalls")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.kit, args.why)))
        sys.stdout.flush()
        os._exit(0)  # see navigation.none_guard: freeing its ballast could free None itself
    from navigation import build_big_kit

    with tempfile.TemporaryDirectory(prefix="rv-bench-stall-") as tmp_name:
        tmp = Path(tmp_name)
        kit = args.kit
        if kit is None:
            kit = tmp / "big.rvkit"
            took = build_big_kit(kit, args.standards, args.files, args.mb)
            print(
                f"kit: {args.standards} standards, {args.files} evidence files, "
                f"{kit.stat().st_size / 1e6:.1f} MB (built in {took:.1f} s)"
            )
        run_child(kit, tmp, -1, False)  # untimed: warms the file and byte-code caches
        results = [run_child(kit, tmp, n, False) for n in range(args.runs)]
        print(results[0]["warning"])
        figures = [summary(r["gaps"]) for r in results]  # type: ignore[arg-type]
        longest = statistics.median(f[0] for f in figures)
        p99 = statistics.median(f[1] for f in figures)
        total = statistics.median(float(r["total_s"]) for r in results)  # type: ignore[arg-type]
        print(
            f"{args.runs} trials, each a fresh process: start screen -> open_kit -> window shown, "
            f"QTimer probe every {PROBE_MS} ms on the UI thread"
        )
        print(
            f"longest stall: median {longest:.1f} ms  runs "
            + ", ".join(f"{f[0]:.1f}" for f in figures)
        )
        print(f"p99 stall: median {p99:.1f} ms;  total open -> usable window: median {total:.2f} s")
        # A stall the UI thread spent working, not waiting for a core or for the GIL: its own
        # CPU time between two ticks (less swayed by a busy machine than the figure above).
        busy = [max(r["gaps_cpu"]) for r in results]  # type: ignore[call-overload]
        print(
            f"  (the UI thread's own CPU time in its busiest gap: median "
            f"{statistics.median(busy):.1f} ms, runs " + ", ".join(f"{b:.1f}" for b in busy) + ")"
        )
        verdict = "within" if longest <= BUDGET_MS else "OVER"
        print(f"budget longest <= {BUDGET_MS:.0f} ms: {verdict} budget")
        if args.why or longest > BUDGET_MS:
            why = run_child(kit, tmp, args.runs, True)
            longest_why, _ = summary(why["gaps"])  # type: ignore[arg-type]
            print(
                f"diagnostic trial (watchdog sampling the UI thread): longest {longest_why:.1f} ms"
            )
            explain(why)
            print("  cProfile of the UI thread from _visit_opened to the first tick after it:")
            print("    " + str(why["profile"]).strip().replace("\n", "\n    "))


if __name__ == "__main__":
    main()
