"""Finding your way in a 2,000-standard visit: next standard, a filter keystroke, and RSS.

    .venv/bin/python bench/navigation.py [--standards 2000] [--files 200] [--mb 100] [--moves 200]
                                         [--kit BIG.rvkit]

One process (QT_QPA_PLATFORM=offscreen, a temporary REVIEWER_APP_HOME): the big kit
(``reviewer-app demo kit --standards 2000 --evidence-files 200 --evidence-mb 100``) is opened with
``open_kit`` + ``open_session`` as the demo lead, and a 1400x900 ``ReviewerWindow`` is shown.

The kit's document indexing (started in the background when the window shows) is waited for
before anything is measured.

- next standard: ``navigator.next_standard()`` then ``processEvents()`` until the standard's page
  shows the new ref (layout and paint included). Budget <= 16 ms.
- filter keystroke: ``QTest.keyClick`` into the search box, one character at a time ("network",
  which matches every standard, then "transfusion", which matches none, each typed and then
  erased with Backspace), timed from the key until the navigator's model has applied the results
  (the model's ``shown_changed``, emitted once the tree's rows are narrowed; the navigator's own
  handler, connected first, has run), and until the
  tree has repainted after that.
  The navigator's deliberate debounce (``SEARCH_DELAY_MS``) is EXCLUDED: its timer interval is set
  to 0 for the run, so the search starts at the next turn of the event loop. Also the filter
  check boxes ("Not yet assessed", "Key standards") toggled with the space bar. Budget <= 30 ms.
- RSS with the visit open: ``VmRSS`` from /proc/self/status and peak (``ru_maxrss``), next to the
  same process before the kit was opened (Python + Qt + a QApplication) as a floor.
  Budget <= 300 MB.

Figures only: nothing here fails on a budget.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NEXT_BUDGET_MS = 16.0
FILTER_BUDGET_MS = 30.0
RSS_BUDGET_MB = 300.0
WORDS = ("network", "transfusion")


def build_big_kit(out: Path, standards: int, files: int, mb: float) -> float:
    """Write the synthetic kit with the app's own command; return seconds taken."""
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewer_app",
            "demo",
            "kit",
            "-o",
            str(out),
            "--standards",
            str(standards),
            "--evidence-files",
            str(files),
            "--evidence-mb",
            str(mb),
        ],
        check=True,
        cwd=ROOT,
        env={**os.environ, "REVIEWER_APP_HOME": str(out.parent / "kit-builder")},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


_BALLAST: list[None] = []


def none_guard(app: object) -> str:
    """Detect the PySide6 6.12 + Python 3.11 fault that drops a reference to None on every call
    of a void Qt method (``processEvents()``, ``update()``...): the process then dies with "Fatal
    Python error: none_dealloc" after some thousands of calls. If present, hold a million extra
    references to None (an 8 MB list, never freed: the process leaves with ``os._exit``) so the
    benchmark can finish, and say so. Returns the line to print.
    """
    import PySide6

    before = sys.getrefcount(None)
    for _ in range(100):
        app.processEvents()  # type: ignore[attr-defined]
    lost = (before - sys.getrefcount(None)) / 100
    if lost < 0.5:
        return f"PySide6 {PySide6.__version__}: no None-refcount fault"
    _BALLAST.extend([None] * 1_000_000)
    return (
        f"WARNING PySide6 {PySide6.__version__} on Python {sys.version.split()[0]}: every void Qt "
        f"call drops a reference to None ({lost:.1f} per processEvents()); the app dies with "
        "'Fatal Python error: none_dealloc' after some thousands of calls. This run holds "
        "1,000,000 extra references to None (an 8 MB list, in any RSS figure) to finish."
    )


def rss_mb() -> tuple[float, float]:
    """(current VmRSS, peak ru_maxrss) of this process in MB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stats(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"median {statistics.median(samples):.2f} ms  p95 {q[94]:.2f} ms  "
        f"max {max(samples):.2f} ms  (n={len(samples)})"
    )


def wait(app: object, done: object, seconds: float = 10.0) -> None:
    """Process events (sleeping until one comes) until ``done()`` is true."""
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + seconds
    while not done():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the window")
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)  # type: ignore[attr-defined]


def measure_next(app: object, window: object, moves: int) -> list[float]:
    nav, page = window.navigator, window.page  # type: ignore[attr-defined]
    samples = []
    for i in range(moves + 10):
        t0 = time.perf_counter()
        ref = nav.next_standard()
        app.processEvents()  # type: ignore[attr-defined]
        while page.ref != ref:
            app.processEvents()  # type: ignore[attr-defined]
        if i >= 10:  # the first ten warm up
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def measure_search(app: object, window: object) -> dict[str, tuple[list[float], list[float]]]:
    """Per word typed and erased: (key -> model applied, key -> repainted) in ms per keystroke."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    nav = window.navigator  # type: ignore[attr-defined]
    nav._timer.setInterval(0)  # the debounce is deliberate: excluded from the figure
    resets: list[float] = []
    nav.model.shown_changed.connect(lambda: resets.append(time.perf_counter()))
    nav.search.setFocus()
    out: dict[str, tuple[list[float], list[float]]] = {}
    order: list[tuple[str, object, str]] = []  # (word, key, the search box's text after it)
    for word in WORDS:  # type the word, then erase it
        out[word] = ([], [])
        order += [(word, ch, word[: i + 1]) for i, ch in enumerate(word)]
        order += [(word, Qt.Key.Key_Backspace, word[:i]) for i in range(len(word) - 1, -1, -1)]
    for word, key, expected in order:
        applied, painted = out[word]
        before = len(resets)
        t0 = time.perf_counter()
        QTest.keyClick(nav.search, key)  # type: ignore[call-overload]
        assert nav.search.text() == expected, (nav.search.text(), expected)

        def done(expected: str = expected, before: int = before) -> bool:
            if len(resets) <= before:
                return False
            if not expected:
                return nav.model.search_hits is None
            return bool(nav.model.query == expected)

        wait(app, done)
        applied.append((resets[-1] - t0) * 1000)
        app.processEvents()  # type: ignore[attr-defined]
        painted.append((time.perf_counter() - t0) * 1000)
    return out


def measure_filters(app: object, window: object, rounds: int) -> list[float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    nav = window.navigator  # type: ignore[attr-defined]
    samples = []
    for _ in range(rounds):
        for name in ("not_assessed", "key_only"):
            box = nav.filter_boxes[name]
            for _twice in range(2):  # on, then off
                box.setFocus()
                was = box.isChecked()
                t0 = time.perf_counter()
                QTest.keyClick(box, Qt.Key.Key_Space)
                app.processEvents()  # type: ignore[attr-defined]
                samples.append((time.perf_counter() - t0) * 1000)
                assert box.isChecked() != was
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--standards", type=int, default=2000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--kit", type=Path, help="use this kit instead of building one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rv-bench-nav-") as tmp:
        os.environ["REVIEWER_APP_HOME"] = str(Path(tmp) / "home")
        kit = args.kit
        if kit is None:
            kit = Path(tmp) / "big.rvkit"
            took = build_big_kit(kit, args.standards, args.files, args.mb)
            print(
                f"kit: {args.standards} standards, {args.files} evidence files, "
                f"{kit.stat().st_size / 1e6:.1f} MB (built in {took:.1f} s)"
            )
        run(kit, args.moves)


def run(kit: Path, moves: int) -> None:
    from reviewer_app.app.paths import AppPaths
    from reviewer_app.demo.kits import demo_visit
    from reviewer_app.visit.workspaces import open_kit, open_session
    from ui.app import application
    from ui.navigator import SEARCH_DELAY_MS

    app = application()
    print(none_guard(app))
    floor_rss, _ = rss_mb()
    lead = demo_visit().lead
    assert lead is not None
    paths = AppPaths.from_environment()
    t0 = time.perf_counter()
    visit_id = open_kit(kit, lead.member_id, paths=paths, demo=True).visit_id
    session = open_session(paths, visit_id).result()
    from ui.main_window import ReviewerWindow

    window = ReviewerWindow(session, paths)
    window.resize(1400, 900)
    window.show()
    wait(app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed())
    wait(app, lambda: window.page.ref is not None)
    print(
        f"visit open: {len(session.data.standards)} standards, window shown in "
        f"{time.perf_counter() - t0:.1f} s (open_kit + open_session + window)"
    )
    # The kit's documents are indexed in the background (a second process) once the window
    # shows: measured after it has finished, so that the figures are the navigator's own.
    t1 = time.perf_counter()
    indexed = session.document_index().wait(300)
    print(
        f"document index {'finished' if indexed else 'NOT finished'} before measuring "
        f"({time.perf_counter() - t1:.1f} s waited)"
    )
    open_rss, _ = rss_mb()

    nxt = measure_next(app, window, moves)
    searches = measure_search(app, window)
    hits = {word: len(session.data.search(word)) for word in WORDS}
    toggles = measure_filters(app, window, 5)
    end_rss, peak = rss_mb()

    def verdict(samples: list[float], budget: float) -> str:
        median = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=100, method="inclusive")[94]
        return (
            f"budget <= {budget:.0f} ms: median {'within' if median <= budget else 'OVER'}, "
            f"p95 {'within' if p95 <= budget else 'OVER'}"
        )

    print(f"next standard (next_standard + processEvents until the page shows it), {moves} moves:")
    print(f"  {stats(nxt)}   {verdict(nxt, NEXT_BUDGET_MS)}")
    print(
        "filter keystroke (QTest.keyClick in the search box -> navigator model applied), the "
        f"{SEARCH_DELAY_MS} ms debounce EXCLUDED (its timer set to 0 ms); each word typed, then "
        "erased with Backspace:"
    )
    for word, (applied, painted) in searches.items():
        print(f"  '{word}' ({hits[word]} hits for the whole word; prefixes may match more):")
        print(f"    to model applied: {stats(applied)}   {verdict(applied, FILTER_BUDGET_MS)}")
        print(f"    to repainted:     {stats(painted)}   {verdict(painted, FILTER_BUDGET_MS)}")
    print(
        "filter toggles (space on 'Not yet assessed' / 'Key standards', on and off, "
        "until repainted):"
    )
    print(f"  {stats(toggles)}   {verdict(toggles, FILTER_BUDGET_MS)}")
    print(
        f"RSS: floor (Python + Qt + QApplication) {floor_rss:.0f} MB; "
        f"visit open {open_rss:.0f} MB; after the runs {end_rss:.0f} MB; "
        f"peak (ru_maxrss, incl. open_kit) {peak:.0f} MB"
    )
    worst = max(open_rss, end_rss)
    print(
        f"  budget <= {RSS_BUDGET_MB:.0f} MB with the visit open: "
        f"{'within' if worst <= RSS_BUDGET_MB else 'OVER'} budget"
    )
    window.close()
    session.close()
    sys.stdout.flush()
    if _BALLAST:
        os._exit(0)  # freeing the ballast could free None itself


if __name__ == "__main__":
    main()
