"""Timetable clashes: the same room, or the same person, booked at overlapping times.

A session's people are its attendees; a session that names none is attended by its sub-team
(when it has one) or else by the whole team. Rooms are compared ignoring case and spacing; a
session with no location books no room. Times are ``HH:MM`` on an ISO date; sessions that merely
touch (one ends at 10:15, the next starts at 10:15) do not clash. Staff are warned, not stopped:
a clash is sometimes meant (a lead dropping into two rooms), and only a person can judge that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from sync.kit_model import Member, Session

__all__ = ["Clash", "attendees", "clashes_for", "find_clashes", "minutes", "time_problem"]


@dataclass(frozen=True, slots=True)
class Clash:
    kind: str  # "room" or "person"
    first: str  # session ids, in timetable order
    second: str
    what: str  # the room, or the people's names
    message: str


def minutes(hhmm: str) -> int | None:
    """Minutes after midnight for ``"HH:MM"``; None if it is not a time of day."""
    try:
        hours, mins = (int(p) for p in hhmm.strip().split(":", 1))
    except ValueError:
        return None
    return hours * 60 + mins if 0 <= hours < 24 and 0 <= mins < 60 else None


def time_problem(session: Session) -> str:
    """What is wrong with a session's date and times ("" when nothing is)."""
    start, end = minutes(session.start), minutes(session.end)
    if start is None or end is None:
        return f'"{session.title}": write the times like 09:30.'
    if end <= start:
        return f'"{session.title}" ends ({session.end}) before it starts ({session.start}).'
    if not session.date:
        return f'"{session.title}" has no date.'
    return ""


def attendees(session: Session, team: Sequence[Member]) -> set[str]:
    if session.attendees:
        return set(session.attendees)
    if session.subteam:
        return {m.member_id for m in team if m.subteam == session.subteam}
    return {m.member_id for m in team}


def _room(session: Session) -> str:
    return " ".join(session.location.casefold().split())


def _overlap(a: Session, b: Session) -> bool:
    if a.date != b.date:
        return False
    a0, a1, b0, b1 = minutes(a.start), minutes(a.end), minutes(b.start), minutes(b.end)
    if None in (a0, a1, b0, b1):
        return False
    return a0 < b1 and b0 < a1  # type: ignore[operator]


def find_clashes(sessions: Sequence[Session], team: Sequence[Member]) -> list[Clash]:
    """Every pair of overlapping sessions sharing a room or a person (a pair may clash twice)."""
    names = {m.member_id: m.name for m in team}
    out: list[Clash] = []
    for a, b in combinations(sessions, 2):
        if not _overlap(a, b):
            continue
        when = f"{a.date} {max(a.start, b.start)}"
        if _room(a) and _room(a) == _room(b):
            message = f'"{a.title}" and "{b.title}" are both in {a.location} at {when}.'
            out.append(Clash("room", a.id, b.id, a.location, message))
        both = attendees(a, team) & attendees(b, team)
        if both:
            who = ", ".join(sorted(names.get(p, p) for p in both))
            message = f'{who} cannot be at "{a.title}" and "{b.title}" at {when}.'
            out.append(Clash("person", a.id, b.id, who, message))
    return out


def clashes_for(session_id: str, clashes: Sequence[Clash]) -> list[Clash]:
    return [c for c in clashes if session_id in (c.first, c.second)]
