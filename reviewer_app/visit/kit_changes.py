"""What a re-issued kit changed, for the reviewer who opens it over their existing work.

When ``visits.open_kit`` replaces an older kit of the same visit, it takes a ``Before`` of the
workspace's kit (standards and timetable) first, then compares it with the new one and keeps the
result in the workspace's ``local`` table (``PENDING_KEY``). The window shows it once after
opening (``take_pending``) and clears it, so the reviewer learns that HN-105 was reworded and the
patients' meeting moved, without having to spot it. Their work is untouched either way: kit
tables are replaced, operations never are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage import Workspace
from storage.records import Record
from sync.kit_model import Session, Standard, StandardsSet, StandardsSetInfo, VisitDetails

PENDING_KEY = "kit_changes"


@dataclass(frozen=True, slots=True)
class KitChanges(Record):
    """Lines a reviewer reads: each says which standard or session and what happened."""

    kit_id: str
    standards_added: tuple[str, ...] = ()
    standards_removed: tuple[str, ...] = ()
    standards_reworded: tuple[str, ...] = ()
    sessions_added: tuple[str, ...] = ()
    sessions_removed: tuple[str, ...] = ()
    sessions_changed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in _GROUPS)

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """(heading, lines) for every group that has lines, in reading order."""
        return [
            (title, getattr(self, name)) for name, title in _GROUPS.items() if getattr(self, name)
        ]


_GROUPS = {
    "standards_added": "Standards added",
    "standards_removed": "Standards removed",
    "standards_reworded": "Standards reworded",
    "sessions_added": "Timetable: sessions added",
    "sessions_removed": "Timetable: sessions removed",
    "sessions_changed": "Timetable: sessions changed",
}


@dataclass(frozen=True, slots=True)
class Before:
    """The kit a workspace held before a re-issue (None when it held none)."""

    standards: tuple[Standard, ...]
    visit: VisitDetails


def before(ws: Workspace) -> Before | None:
    info = ws.kit_info()
    if info is None:
        return None
    visit = VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])
    standards = tuple(Standard.from_dict(s, "standard") for s in ws.standards())
    return Before(standards, visit)


def compare(
    old: Before, standards: tuple[Standard, ...], visit: VisitDetails, kit_id: str
) -> KitChanges:
    # The staff library is imported only when a kit is re-issued: the window's start-up asks
    # ``take_pending`` for what was recorded, which needs none of it.
    from reviewer_app.staff.library import compare_sets  # noqa: PLC0415

    info = StandardsSetInfo("kit", "kit", "1")
    diff = compare_sets(StandardsSet(info, (), old.standards), StandardsSet(info, (), standards))
    old_sessions = {s.id: s for s in old.visit.timetable}
    new_sessions = {s.id: s for s in visit.timetable}
    return KitChanges(
        kit_id=kit_id,
        standards_added=tuple(f"{s.ref} {s.title}" for s in diff.added),
        standards_removed=tuple(f"{s.ref} {s.title}" for s in diff.removed),
        standards_reworded=tuple(
            f"{r.ref} {r.new.title} ({' and '.join(r.fields)} changed)" for r in diff.reworded
        ),
        sessions_added=tuple(_session(s) for k, s in new_sessions.items() if k not in old_sessions),
        sessions_removed=tuple(
            _session(s) for k, s in old_sessions.items() if k not in new_sessions
        ),
        sessions_changed=tuple(
            line
            for k, s in new_sessions.items()
            if k in old_sessions and (line := _session_change(old_sessions[k], s))
        ),
    )


def record(
    ws: Workspace,
    old: Before | None,
    standards: tuple[Standard, ...],
    visit: VisitDetails,
    kit_id: str,
) -> KitChanges | None:
    """Compare and keep the changes for the window (None when there was no older kit)."""
    if old is None:
        return None
    changes = compare(old, standards, visit, kit_id)
    ws.set_local(PENDING_KEY, changes.to_dict() if changes.any else {})
    return changes


def take_pending(ws: Workspace) -> KitChanges | None:
    """The changes not yet shown, once: runs on the visit's storage worker."""
    value = ws.get_local(PENDING_KEY)
    if not isinstance(value, dict) or not value:
        return None
    ws.set_local(PENDING_KEY, {})
    return KitChanges.from_dict(value)


def _session(s: Session) -> str:
    return f"{s.date} {s.start}-{s.end} {s.title}"


def _session_change(old: Session, new: Session) -> str:
    what = []
    if (old.date, old.start, old.end) != (new.date, new.start, new.end):
        what.append(f"moved from {old.date} {old.start}-{old.end}")
    if old.title != new.title:
        what.append(f'was "{old.title}"')
    if old.location != new.location:
        what.append(f"now in {new.location or 'no set place'}")
    if set(old.attendees) != set(new.attendees) or old.subteam != new.subteam:
        what.append("different people attend")
    if set(old.standards) != set(new.standards):
        what.append("different standards")
    return f"{_session(new)}: {'; '.join(what)}" if what else ""
