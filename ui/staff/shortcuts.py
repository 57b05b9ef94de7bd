"""The staff window's keyboard shortcuts, named once (the reviewer's are in ``ui/shortcuts``)."""

from __future__ import annotations

from ui import shortcuts as reviewer

Keys = tuple[str, ...]

LIBRARY_PAGE: Keys = ("Ctrl+1",)
POOL_PAGE: Keys = ("Ctrl+2",)
PLANS_PAGE: Keys = ("Ctrl+3",)
PROGRAMME_PAGE: Keys = ("Ctrl+4",)
REFRESH_PROGRAMME: Keys = ("F5",)  # on the Programme page: ask the service again
BACK_TO_START: Keys = ("Ctrl+W",)
UNDO: Keys = reviewer.UNDO  # the same keys as the reviewer's window: Ctrl+Z
REDO: Keys = reviewer.REDO  # Ctrl+Shift+Z, Ctrl+Y
