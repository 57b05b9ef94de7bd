"""The Qt desktop front end: widgets and item models over reviewer_app. No SQL."""

from __future__ import annotations

import os
import sys

import PySide6.QtCore  # noqa: F401  (first, so that the table below exists)


def _tell_pyside_our_modules_use_it() -> None:
    """Spare PySide6's import hook from reading our sources at start-up.

    The hook looks at every module imported after PySide6 once, reading its whole source to see
    whether it says "PySide6" (for the opt-in ``__feature__`` switches, which we do not use),
    and records the answer in ``pyside_feature_dict``: 0 for "uses PySide6, no features".
    Every module of this package uses PySide6, so we record that answer up front: about forty
    files fewer to read before the window shows. If a PySide6 release moves the table, this
    does nothing and the hook works as before.
    """
    feature = sys.modules.get("PySide6.support.feature") or sys.modules.get(
        "shibokensupport.feature"
    )
    table = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(table, dict):
        return
    root = os.path.dirname(os.path.abspath(__file__))
    base = os.path.dirname(root)
    for folder, folders, files in os.walk(root):  # (ten times quicker than Path.rglob here)
        folders[:] = [f for f in folders if f != "__pycache__"]
        package = os.path.relpath(folder, base).replace(os.sep, ".")
        for file in files:
            if file.endswith(".py"):
                table.setdefault(package if file == "__init__.py" else f"{package}.{file[:-3]}", 0)


_tell_pyside_our_modules_use_it()
