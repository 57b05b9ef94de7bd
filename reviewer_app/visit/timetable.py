"""The visit's timetable as rules without widgets: which session is happening now, and whose.

Times in a kit are local ``HH:MM`` on an ISO date (``sync.kit_model.Session``); "now" is the
laptop's local time, given by the caller so that tests can fix it.
"""

from __future__ import annotations

from datetime import date, datetime

from reviewer_app.visit.read_model import VisitData
from sync.kit_model import Session, VisitDetails

__all__ = [
    "Session",  # for ui/, which may not import sync/
    "current_session",
    "current_sessions",
    "is_mine",
    "is_now",
    "my_subteam",
    "nice_date",
    "session_label",
    "sessions_in_order",
    "visit_days",
]


def _day(session: Session) -> date | None:
    try:
        return date.fromisoformat(session.date)
    except ValueError:
        return None


def _at(day: date, hhmm: str) -> datetime | None:
    try:
        hours, minutes = (int(p) for p in hhmm.split(":", 1))
        return datetime(day.year, day.month, day.day, hours, minutes)
    except ValueError:
        return None


def is_now(session: Session, now: datetime) -> bool:
    """The session's date and start-end contain ``now`` (start included, end excluded)."""
    day = _day(session)
    if day is None:
        return False
    start, end = _at(day, session.start), _at(day, session.end)
    moment = now.replace(tzinfo=None)
    return start is not None and end is not None and start <= moment < end


def sessions_in_order(visit: VisitDetails) -> list[Session]:
    return sorted(visit.timetable, key=lambda s: (s.date, s.start, s.end, s.subteam, s.id))


def current_sessions(visit: VisitDetails, now: datetime) -> list[Session]:
    return [s for s in sessions_in_order(visit) if is_now(s, now)]


def current_session(data: VisitData, now: datetime) -> Session | None:
    """The session happening now that concerns me (my sub-team's first), else None."""
    found = current_sessions(data.visit, now)
    mine = [s for s in found if is_mine(data, s)]
    return (mine or found)[0] if found else None


def my_subteam(data: VisitData) -> str:
    me = data.visit.member(data.member_id)
    return me.subteam if me else ""


def is_mine(data: VisitData, session: Session) -> bool:
    """A whole-team session, my sub-team's, or one I am listed at."""
    return (
        not session.subteam
        or session.subteam == my_subteam(data)
        or data.member_id in session.attendees
    )


def nice_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%B %Y')}"


def session_label(session: Session, with_date: bool = False) -> str:
    """ "10:15–11:00  Meeting with nurse specialists" (the date first when asked)."""
    when = f"{session.start}–{session.end}"
    if with_date:
        when = f"{nice_date(session.date)}, {when}"
    return f"{when}  {session.title}"


def visit_days(visit: VisitDetails) -> list[str]:
    return sorted({s.date for s in visit.timetable} or {visit.start_date})
