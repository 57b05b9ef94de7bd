"""A child process for the crash test: the real app, driven by keyboard, saying what is saved.

    QT_QPA_PLATFORM=offscreen REVIEWER_APP_HOME=... python tests/ui/scenario_driver.py \
        [--demo] --round N [--edits 60]

It starts the app as ``reviewer-app`` would (``AppController.start``: ``--demo`` opens the demo
visit; without it the visit open last time reopens), then judges one standard after another by
keyboard (next-standard shortcut, a digit, and for Not met / N/A a reason typed into the reason
box). It prints one JSON line per edit only once the window says everything is saved (the
bridge has nothing pending and the status bar reads "All changes saved"): an acknowledged edit.
The parent kills it with SIGKILL at some point and checks that every acknowledged edit survived.

Lines printed (stdout, one JSON object each):
    {"event": "open", "visit_id": ..., "ref": ..., "component": ..., "member": ...}
    {"event": "saved", "n": i, "ref": ..., "component": ..., "value": ..., "reason": ...}
    {"event": "done"}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, as pytest has it

from PySide6.QtGui import QKeySequence  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_MET  # noqa: E402
from ui import shortcuts  # noqa: E402
from ui.app import AppController, application  # noqa: E402

TIMEOUT_S = 20.0
CYCLE = (MET, NOT_MET, NOT_APPLICABLE)
DIGITS = {
    MET: shortcuts.JUDGE_MET,
    NOT_MET: shortcuts.JUDGE_NOT_MET,
    NOT_APPLICABLE: shortcuts.JUDGE_NOT_APPLICABLE,
}


_windows: list[QWidget] = []  # the reviewer's window, once shown


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def wait_until(predicate: Callable[[], object], what: str) -> None:
    """Run the event loop until ``predicate()`` holds (a driver, not a test: qWait is fine)."""
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        QTest.qWait(5)


def press(keys: tuple[str, ...] | str) -> None:
    """The first key sequence of a shortcut, pressed on the widget that has the focus."""
    combo = QKeySequence(keys if isinstance(keys, str) else keys[0])[0]
    if QApplication.focusWidget() is None and _windows:
        make_active(_windows[0])  # it comes back with the focus where it was
    target = QApplication.focusWidget()
    if target is None:
        raise RuntimeError(f"nothing has the keyboard focus to press {keys}")
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())


def make_active(window: QWidget) -> None:
    """Make the window the active one (offscreen, hiding the start screen may take that away
    a moment after the window was shown; a window manager would give it back)."""
    if not window.isActiveWindow():
        window.activateWindow()
        wait_until(window.isActiveWindow, "the window to be active")


def reason_for(round_no: int, n: int, value: str) -> str:
    if value == MET:
        return ""
    return f"Round {round_no} edit {n}: {value.replace('_', ' ')}, seen on the ward (2 of 3)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--round", type=int, default=1)
    parser.add_argument("--edits", type=int, default=60)
    args = parser.parse_args(argv)

    application()
    paths = AppPaths.from_environment()
    controller = AppController(paths, demo=args.demo)
    shown = _windows
    controller.window_shown.connect(shown.append)
    controller.start()
    wait_until(lambda: shown, "the reviewer's window")
    window: Any = shown[0]
    QTest.qWaitForWindowExposed(window)
    make_active(window)
    controller.flush()  # the visit to reopen (last_visit_id) is on disk
    page = window.page
    say(
        event="open",
        visit_id=window.session.data.visit.visit_id,
        ref=page.ref,
        component=page.component,
        member=window.session.member_id,
    )

    press(shortcuts.FOCUS_NAVIGATOR)
    for n in range(args.edits):
        press(shortcuts.NEXT_STANDARD)
        value = CYCLE[(n + args.round) % len(CYCLE)]
        reason = reason_for(args.round, n, value)
        press(DIGITS[value])
        if reason:
            press(shortcuts.FOCUS_REASON)
            QTest.keyClicks(QApplication.focusWidget(), reason)
            press(shortcuts.FOCUS_NAVIGATOR)  # leaving the box saves the reason
        wait_until(
            lambda: (
                window.bridge.pending == 0
                and window.save_label.text().startswith("All changes saved")
            ),
            "the window to say it is saved",
        )
        say(
            event="saved",
            n=n,
            ref=page.ref,
            component=page.component,
            value=value,
            reason=reason,
        )
    say(event="done")
    window.close()
    controller.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
