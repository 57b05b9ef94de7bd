"""Results of background work reach the UI thread (``ui.tasks.when_done``).

The crash ``when_done`` once caused (its relay releasing, as it was deleted, a callback holding
the last reference to its owner) is witnessed by the last test of ``test_staff_window.py``,
which crashed the test process every time before the fix.
"""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ui.tasks import when_done


def test_the_result_arrives_on_the_ui_thread_once(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    future: Future[int] = Future()
    got: list[int] = []
    when_done(future, owner, got.append, lambda _exc: got.append(-1))
    future.set_result(7)
    qtbot.waitUntil(lambda: got == [7])
    qtbot.wait(20)
    assert got == [7]
