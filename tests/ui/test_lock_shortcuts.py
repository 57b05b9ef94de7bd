"""Every key of the reviewer's window does one thing: Ctrl+L locks (issue 19), and the
standards list it used to reach moved to Ctrl+G."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from helpers import show_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import open_kit, open_session
from ui import shortcuts
from ui.main_window import ReviewerWindow


def test_no_two_actions_of_the_reviewers_window_share_a_key(
    qtbot: QtBot, demo_kit_file: Path
) -> None:
    paths = AppPaths.from_environment()
    visit_id = open_kit(demo_kit_file, "m-lead", paths=paths, demo=True).visit_id
    window = ReviewerWindow(open_session(paths, visit_id).result(timeout=30), paths)
    show_window(qtbot, window)
    window.install_menus()  # the Team, Lead and sync centre's entries too
    by_key: dict[str, list[str]] = defaultdict(list)
    for action in window.findChildren(QAction):
        if action.shortcutContext() == Qt.ShortcutContext.WidgetShortcut:
            continue  # (a key of one control, as in a list: not the window's)
        for key in action.shortcuts():
            by_key[key.toString()].append(action.objectName() or action.text())
    shared = {key: names for key, names in by_key.items() if len(set(names)) > 1}
    assert shared == {}
    assert by_key["Ctrl+L"] == ["action_lock"]
    assert by_key["Ctrl+G"] == ["action_standards_list"]
    assert QKeySequence(shortcuts.LOCK[0]).toString() == "Ctrl+L"
    window.close()
