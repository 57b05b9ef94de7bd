"""Conflicts as a person sees them: concurrent edits of one field, every value, who and when.

``storage`` lists each conflict as a (winner, loser) pair of operations. A person thinks of one
field edited in two (or more) places at once, so :func:`conflict_groups` gathers the pairs of
one field into a :class:`ConflictGroup` with every value still in play: the winner (what the
window shows now) first, then the losers. Resolving (:func:`resolve_group`) marks every loser
resolved with the ``_conflict`` operation storage expects, and with a chosen or new value also
records that value, based on the winner, so it wins everywhere once bundles travel.

The functions taking a ``Workspace`` run on the storage worker; nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reviewer_app.visit.model import (
    EVIDENCE_SEEN,
    FINDING,
    JUDGEMENT,
    JUDGEMENT_LABELS,
    NOTE,
    OBSERVATION,
    PHOTO,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    parse_judgement_id,
    parse_team_judgement_id,
)
from storage import KEEP_WINNER as KEEP_WINNER  # noqa: PLC0414 (re-export for ui/)
from storage import Op, Workspace
from storage.hlc import parse_hlc

if TYPE_CHECKING:
    from reviewer_app.visit.read_model import VisitData

_RECORD_NAMES = {
    EVIDENCE_SEEN: "Evidence seen",
    NOTE: "Note",
    PHOTO: "Photo",
    OBSERVATION: "Observation",
    FINDING: "Finding",
    REPORT_TEXT: "Report passage",
}


@dataclass(frozen=True, slots=True)
class ConflictGroup:
    """One field edited concurrently: ``values[0]`` is the winner (shown now), the rest lost."""

    entity: str
    entity_id: str
    field: str
    values: tuple[Op, ...]

    @property
    def winner(self) -> Op:
        return self.values[0]

    @property
    def losers(self) -> tuple[Op, ...]:
        return self.values[1:]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.entity, self.entity_id, self.field)

    @property
    def text_field(self) -> bool:
        """Every value in play is text (or empty), so a person may type a new one."""
        return all(isinstance(op.value, str | None) for op in self.values)


def conflict_groups(ws: Workspace) -> list[ConflictGroup]:
    """Every unresolved conflict of the workspace, one group per field, in storage's order."""
    groups: dict[tuple[str, str, str], list[Op]] = {}
    for c in ws.conflicts():
        ops = groups.setdefault((c.entity, c.entity_id, c.field), [c.winner])
        ops.append(c.loser)
    return [
        ConflictGroup(entity, entity_id, field_name, tuple(ops))
        for (entity, entity_id, field_name), ops in groups.items()
    ]


def conflict_count(ws: Workspace) -> int:
    """How many fields have unresolved concurrent edits (what the window's badge says)."""
    return len({(c.entity, c.entity_id, c.field) for c in ws.conflicts()})


def resolve_group(
    ws: Workspace, member_id: str, loser_ids: Iterable[str], value: Any = KEEP_WINNER
) -> dict[str, Any] | None:
    """Settle one field's conflict in one go: every loser marked resolved; with ``value``, the
    field set to it. Returns the record's fields now (``None``: the record is deleted)."""
    ids = list(loser_ids)
    if not ids:
        raise ValueError("a conflict has at least one losing value")
    first = ws.op(ids[0])
    if first is None:
        raise KeyError(f"no operation {ids[0]!r} in this workspace")
    for i, loser_id in enumerate(ids):
        ws.resolve_conflict(member_id, loser_id, value if i == 0 else KEEP_WINNER)
    return ws.entity(first.entity, first.entity_id)


# -- words for people ---------------------------------------------------------------------------


def hlc_time(hlc: str) -> datetime:
    """When an operation was made (its clock's wall time), in this laptop's time zone."""
    wall_ms, _counter = parse_hlc(hlc)
    return datetime.fromtimestamp(wall_ms / 1000, UTC).astimezone()


def member_name(data: VisitData, member_id: str) -> str:
    member = data.visit.member(member_id)
    return member.name if member is not None else member_id


def component_name(data: VisitData, component: str) -> str:
    if not component:
        return "the whole service"
    return next((c.name for c in data.visit.components if c.id == component), component)


def describe(group: ConflictGroup, data: VisitData) -> str:
    """What was edited, in words: "HN-101, Specialist Centre: Siobhán O'Brien's reason"."""
    field_name = group.field.replace("_", " ")
    if group.entity == JUDGEMENT:
        ref, component, member = parse_judgement_id(group.entity_id)
        what = "judgement" if group.field == "value" else field_name
        where = f"{ref}, {component_name(data, component)}"
        return f"{where}: {member_name(data, member)}'s {what}"
    if group.entity == TEAM_JUDGEMENT:
        ref, component = parse_team_judgement_id(group.entity_id)
        what = "team judgement" if group.field == "value" else f"team judgement's {field_name}"
        return f"{ref}, {component_name(data, component)}: {what}"
    record = _RECORD_NAMES.get(group.entity, group.entity.replace("_", " ").capitalize())
    if group.entity == REPORT_TEXT:
        return f"{record} “{group.entity_id}”"
    ref = _record_ref(group, data)
    return f"{record}{f' on {ref}' if ref else ''}: {field_name}"


def _record_ref(group: ConflictGroup, data: VisitData) -> str:
    tables: dict[str, Mapping[str, object]] = {
        NOTE: data.notes,
        EVIDENCE_SEEN: data.evidence_seen,
        PHOTO: data.photos,
    }
    record = tables.get(group.entity, {}).get(group.entity_id)
    return str(getattr(record, "ref", "") or "")


def show_value(field_name: str, value: Any) -> str:
    """A field's value as a person reads it."""
    if value is None or value == "":
        return "(empty)"
    if field_name == "value" and isinstance(value, str) and value in JUDGEMENT_LABELS:
        return JUDGEMENT_LABELS[value]
    if field_name == "_deleted" and isinstance(value, bool):
        return "Deleted" if value else "Kept"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
