"""The visit's timetable: its sessions in order, "now" marked, and each session's standards.

``TimetablePanel`` (``panel.py``) is the widget; ``models.py`` the item models; ``delegates.py``
how a session is drawn. The rules (what "now" and "mine" mean) are in
``reviewer_app.visit.timetable``.
"""

from __future__ import annotations

from ui.timetable.models import (
    MINE_ROLE,
    NOW_ROLE,
    REF_ROLE,
    SESSION_ROLE,
    LinkedStandardsModel,
    SessionsModel,
)
from ui.timetable.panel import TimetablePanel

__all__ = [
    "MINE_ROLE",
    "NOW_ROLE",
    "REF_ROLE",
    "SESSION_ROLE",
    "LinkedStandardsModel",
    "SessionsModel",
    "TimetablePanel",
]
