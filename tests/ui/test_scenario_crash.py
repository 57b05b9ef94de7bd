"""Killed mid-visit: the real app in a child process judges standards by keyboard and says which
edits the window acknowledged as saved; the test kills it (SIGKILL) at a random point, three
times, and checks that every acknowledged edit is there and that the app comes back to the same
visit at the standard it remembered."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.demo.kits import demo_visit
from reviewer_app.visit.model import JUDGEMENT_LABELS
from reviewer_app.visit.workspaces import open_session
from ui.app import AppController, Start, choose_start
from ui.main_window import ReviewerWindow

DRIVER = Path(__file__).with_name("scenario_driver.py")
REPO = Path(__file__).resolve().parents[2]
ROUNDS = 3
LINE_TIMEOUT_S = 30.0
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


class Child:
    """The driver process, its stdout read line by line on a thread (never blocking the test)."""

    def __init__(self, home: Path, *args: str) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", REVIEWER_APP_HOME=str(home))
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_event(self) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            pytest.fail(f"the driver said nothing for {LINE_TIMEOUT_S} s")
        if line is None:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            pytest.fail(f"the driver ended early ({self.proc.wait()}):\n{err}")
        event: dict[str, Any] = json.loads(line)
        return event

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    made: list[Child] = []
    yield made
    for child in made:
        child.kill()


def test_acknowledged_edits_survive_being_killed(
    qtbot: QtBot, app_home: Path, children: list[Child]
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    paths = AppPaths.from_environment()
    visit_id = demo_visit().visit_id
    acknowledged: dict[tuple[str, str], tuple[str, str]] = {}  # (ref, comp) -> (value, reason)
    remembered: tuple[str, str] | None = None  # where the last round's app said it would reopen
    for round_no in range(1, ROUNDS + 1):
        child = Child(app_home, "--round", str(round_no), *(["--demo"] if round_no == 1 else []))
        children.append(child)
        opened = child.next_event()
        assert opened["event"] == "open", opened
        assert opened["visit_id"] == visit_id
        if remembered is not None:  # the app came back at the standard it remembered
            assert (opened["ref"], opened["component"]) == remembered, f"seed {seed}"
        kill_after = rng.randint(1, 6)
        last: dict[str, Any] = {}
        for _ in range(kill_after):
            last = child.next_event()
            assert last["event"] == "saved", last
            acknowledged[(last["ref"], last["component"])] = (last["value"], last["reason"])
        child.kill()  # mid-way through the next edit, wherever that happens to be

        # A new session on the workspace: every acknowledged edit is there.
        settings = Settings.load(paths)
        assert settings.get("last_visit_id") == visit_id
        assert choose_start(paths, settings, demo=False) == Start("visit", visit_id=visit_id)
        session = open_session(paths, visit_id).result(timeout=30)
        try:
            data = session.data
            for (ref, component), (value, reason) in acknowledged.items():
                j = data.judgement(ref, component)
                assert (j.value, j.reason) == (value, reason), f"{ref} (seed {seed})"
            assert data.position is not None
            refs = [s.ref for s in data.standards_for(last["component"])]
            next_ref = refs[refs.index(last["ref"]) + 1]
            # The last acknowledged standard, or the next one if the move to it was saved.
            assert data.position in {
                (last["ref"], last["component"]),
                (next_ref, last["component"]),
            }, f"seed {seed}"
            remembered = data.position
        finally:
            session.close()
    assert len(acknowledged) >= ROUNDS

    # Finally the app itself, started as after a power cut: same visit, same standard, all there.
    controller = AppController(paths)
    qtbot.addWidget(controller.start_screen)
    try:
        with qtbot.waitSignal(controller.window_shown, timeout=30_000) as shown:
            assert controller.start() == Start("visit", visit_id=visit_id)
        window = shown.args[0]
        assert isinstance(window, ReviewerWindow)
        assert remembered is not None
        assert (window.page.ref, window.page.component) == remembered
        model = window.navigator.model
        for (ref, component), (value, reason) in acknowledged.items():
            assert component == window.page.component
            tip = str(model.data(model.index_of(ref), Qt.ItemDataRole.ToolTipRole))
            assert JUDGEMENT_LABELS[value] in tip, tip
            window.navigator.select(ref)
            assert window.page.judgement.radios[value].isChecked()
            assert window.page.judgement.reason.toPlainText() == reason
    finally:
        controller.shutdown()
