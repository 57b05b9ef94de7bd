"""The Qt binding must not leak references to None: PySide6 6.12.0 did, under Python 3.11.

Every void Qt call took one reference from None; after a few thousand calls the interpreter
aborted with "deallocating None" and a reviewer would lose the window mid-visit. pyproject.toml
keeps PySide6 below 6.12; this test fails if a binding with that bug is ever installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot


def test_void_qt_calls_leave_none_alone(qtbot: QtBot) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    app = QApplication.instance()
    assert app is not None
    before = sys.getrefcount(None)
    for _ in range(2000):
        app.processEvents()
        label.update()
    # Other threads may take or drop a few references meanwhile; the bug cost 4,000 here.
    assert sys.getrefcount(None) - before > -200
