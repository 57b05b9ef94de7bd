"""A visit plan: everything staff decide before a kit is built, kept as a draft.

The plan holds the visit details, components, which standards apply to each component (rules
by section, with exceptions per standard), the team drawn from the pool (exactly one lead),
the timetable, the provider's self-assessment and the evidence documents (files on this
computer, linked to standards). ``visit_id`` is made once, when the plan is made, and never
changes: every kit built from the plan (a re-issue) carries it, so reviewers keep their work.

Which components a standard applies to, most specific first:
1. an exception for that standard (``exceptions[ref]``),
2. the rule for its section (``section_rules[section]``),
3. what the spreadsheet said (``applies_to``, component ids or names), read against the plan's
   components by ``sync.standards_import.match_components``, the rule ``reviewer-app kit build``
   uses too: a standard naming only what this visit does not review (network, commissioning,
   another team type) applies to none, and one naming some of each to those it names,
4. every component, when the spreadsheet's Applies to is blank.
A standard that ends up applying to none is left out of the kit; the pre-flight check says so,
naming what the spreadsheet gave that the visit does not review (``not_reviewed``).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from storage.records import OPTIONAL, Record
from storage.staff_store import StaffStore
from sync.kit_model import (
    Component,
    Member,
    Organisation,
    SelfAssessmentEntry,
    Session,
    Site,
    Standard,
    StandardsSet,
    VisitDetails,
)
from sync.standards_import import ComponentIndex, NotReviewed, match_components

__all__ = [
    "Component",
    "EvidenceItem",
    "Organisation",
    "SelfAssessmentEntry",
    "Session",
    "Site",
    "TeamMember",
    "VisitPlan",
]


@dataclass(slots=True)
class TeamMember(Record):
    """A reviewer from the pool on this visit's team."""

    member_id: str
    reviewer_id: str
    name: str = field(metadata=OPTIONAL)  # a draft may hold a member not named yet
    role: str = ""
    organisation: str = ""
    lead: bool = False
    subteam: str = ""


@dataclass(slots=True)
class EvidenceItem(Record):
    """One of the provider's documents: a file on this computer, and the standards it supports."""

    id: str
    title: str = field(metadata=OPTIONAL)
    path: str
    standards: list[str] = field(default_factory=list)


@dataclass(slots=True)
class VisitPlan(Record):
    """A draft plan as the staff workspace keeps it (``to_dict`` adds the document's format)."""

    plan_id: str
    visit_id: str
    programme: str = ""
    title: str = ""
    network: str = ""
    venue: str = ""
    start_date: str = ""
    end_date: str = ""
    organisations: list[Organisation] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    standards_version: int | None = None
    section_rules: dict[str, list[str]] = field(default_factory=dict)
    exceptions: dict[str, list[str]] = field(default_factory=dict)
    team: list[TeamMember] = field(default_factory=list)
    timetable: list[Session] = field(default_factory=list)
    self_assessment: list[SelfAssessmentEntry] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    # member_id -> the central service's user name the kit is assigned to when published
    central_users: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, title: str = "") -> VisitPlan:
        return cls(plan_id=str(uuid.uuid4()), visit_id=str(uuid.uuid4()), title=title)

    @classmethod
    def from_visit(cls, visit: VisitDetails) -> VisitPlan:
        """A plan holding an existing visit's details (a ``visit.json``, or an older kit's):
        same visit id, so kits built from it re-issue that visit."""
        return cls(
            plan_id=str(uuid.uuid4()),
            visit_id=visit.visit_id,
            programme=visit.programme,
            title=visit.title,
            network=visit.network,
            venue=visit.venue,
            start_date=visit.start_date,
            end_date=visit.end_date,
            organisations=list(visit.organisations),
            sites=list(visit.sites),
            components=list(visit.components),
            team=[
                TeamMember(
                    m.member_id, m.member_id, m.name, m.role, m.organisation, m.lead, m.subteam
                )
                for m in visit.team
            ],
            timetable=list(visit.timetable),
        )

    # -- documents ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"format": 1, **Record.to_dict(self)}

    def copy(self) -> VisitPlan:
        """A plan equal to this one that shares nothing that can change with it (an undo
        snapshot, or the staff worker's own copy to save). The kit's records are frozen and
        shared; the lists, the maps and the plan's own records are copied (several times
        quicker than a round trip through ``to_dict``, and each edit takes two copies)."""
        return replace(
            self,
            organisations=list(self.organisations),
            sites=list(self.sites),
            components=list(self.components),
            section_rules={k: list(v) for k, v in self.section_rules.items()},
            exceptions={k: list(v) for k, v in self.exceptions.items()},
            team=[replace(m) for m in self.team],
            timetable=list(self.timetable),
            self_assessment=list(self.self_assessment),
            evidence=[replace(e, standards=list(e.standards)) for e in self.evidence],
            central_users=dict(self.central_users),
        )

    def become(self, other: VisitPlan) -> None:
        """Take ``other``'s contents in place (undo and redo), so whoever holds this plan sees
        the change; ``other`` is copied, so later edits never reach it."""
        fresh = other.copy()
        for f in fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    # -- components and standards -----------------------------------------------------------------

    @property
    def component_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components)

    def applies_to(
        self, standard: Standard, index: ComponentIndex | None = None
    ) -> tuple[str, ...]:
        """The components ``standard`` applies to in this plan (module docstring).

        ``index``: the plan's components by id or name, when the caller asks for many."""
        ids = self.component_ids
        chosen = self.exceptions.get(standard.ref)
        if chosen is None:
            chosen = self.section_rules.get(standard.section)
        if chosen is None and standard.applies_to:
            index = index or _component_index(self)
            chosen = list(match_components(standard.applies_to, index).ids)
        if chosen is None:
            chosen = list(ids)
        return tuple(c for c in ids if c in chosen)

    def not_reviewed(self, standards: StandardsSet) -> tuple[NotReviewed, ...]:
        """The standards whose spreadsheet Applies to, which decides for them (no rule or
        exception does), names what this visit does not review; ``left_out`` when it names
        nothing the visit does (``sync.standards_import.not_reviewed_warnings`` words them)."""
        index = _component_index(self)
        found = []
        for s in standards.standards:
            if s.ref in self.exceptions or s.section in self.section_rules:
                continue
            match = match_components(s.applies_to, index)
            if match.unknown:
                found.append(NotReviewed(s.ref, match.unknown, left_out=not match.ids))
        return tuple(found)

    def section_state(self, standards: StandardsSet, section: str, component: str) -> bool | None:
        """Does ``section`` apply to ``component``? True (all its standards), False (none) or
        None (some: exceptions, or the spreadsheet's own choice, differ)."""
        values = {
            component in self.applies_to(s) for s in standards.standards if s.section == section
        }
        return values.pop() if len(values) == 1 else None

    def set_section_rule(
        self, standards: StandardsSet, section: str, component: str, on: bool
    ) -> None:
        """Apply (or not) every standard of ``section`` to ``component``; exceptions stay."""
        rule = self.section_rules.get(section)
        if rule is None:
            # Start from what the section's standards share now, so one click changes one cell.
            members = [s for s in standards.standards if s.section == section]
            rule = [c for c in self.component_ids if all(c in self.applies_to(s) for s in members)]
        rule = [c for c in rule if c != component] + ([component] if on else [])
        self.section_rules[section] = [c for c in self.component_ids if c in rule]

    def set_exception(self, ref: str, components: list[str] | None) -> None:
        """Make ``ref`` apply to exactly ``components`` (None: follow its section again)."""
        if components is None:
            self.exceptions.pop(ref, None)
        else:
            self.exceptions[ref] = [c for c in self.component_ids if c in components]

    def kit_standards(self, standards: StandardsSet) -> StandardsSet:
        """The set as the kit carries it: ``applies_to`` decided, standards applying to no
        component left out, ``order`` counted afresh."""
        kept: list[Standard] = []
        index = _component_index(self)
        for s in standards.standards:
            comps = self.applies_to(s, index)
            if comps:
                kept.append(replace(s, applies_to=comps, order=len(kept) + 1))
        sections = tuple(sec for sec in standards.sections if any(s.section == sec for s in kept))
        return StandardsSet(info=standards.info, sections=sections, standards=tuple(kept))

    def unassigned(self, standards: StandardsSet) -> list[Standard]:
        index = _component_index(self)
        return [s for s in standards.standards if not self.applies_to(s, index)]

    # -- the team -------------------------------------------------------------------------------

    def add_member(
        self, reviewer_id: str, name: str, role: str = "", organisation: str = ""
    ) -> TeamMember:
        """Add a reviewer from the pool (once); the first one added is the lead until changed."""
        for m in self.team:
            if m.reviewer_id == reviewer_id:
                return m
        member = TeamMember(
            member_id=self._member_id(name),
            reviewer_id=reviewer_id,
            name=name,
            role=role,
            organisation=organisation,
            lead=not self.team,
        )
        self.team.append(member)
        return member

    def remove_member(self, member_id: str) -> None:
        """Take someone off the team and out of every session they were to attend."""
        self.team = [m for m in self.team if m.member_id != member_id]
        self.timetable = [
            replace(s, attendees=tuple(a for a in s.attendees if a != member_id))
            for s in self.timetable
        ]

    def set_lead(self, member_id: str) -> None:
        """Exactly one lead: ``member_id``."""
        for m in self.team:
            m.lead = m.member_id == member_id

    @property
    def lead(self) -> TeamMember | None:
        return next((m for m in self.team if m.lead), None)

    def member(self, member_id: str) -> TeamMember | None:
        return next((m for m in self.team if m.member_id == member_id), None)

    def _member_id(self, name: str) -> str:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        base = "m-" + (re.sub(r"[^a-z0-9]+", "-", plain.casefold()).strip("-") or "member")
        taken = {m.member_id for m in self.team}
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    # -- the timetable ----------------------------------------------------------------------------

    def new_session_id(self) -> str:
        taken = {s.id for s in self.timetable}
        n = len(self.timetable) + 1
        while f"s{n:02d}" in taken:
            n += 1
        return f"s{n:02d}"

    # -- the visit as a kit states it -----------------------------------------------------------

    def visit_details(self) -> VisitDetails:
        return VisitDetails(
            visit_id=self.visit_id,
            programme=self.programme,
            title=self.title,
            network=self.network,
            organisations=tuple(self.organisations),
            sites=tuple(self.sites),
            components=tuple(self.components),
            start_date=self.start_date,
            end_date=self.end_date or self.start_date,
            venue=self.venue,
            timetable=tuple(self.timetable),
            team=tuple(
                Member(
                    member_id=m.member_id,
                    name=m.name,
                    role=m.role,
                    organisation=m.organisation,
                    lead=m.lead,
                    subteam=m.subteam,
                )
                for m in self.team
            ),
        )


def _component_index(plan: VisitPlan) -> ComponentIndex:
    return ComponentIndex(plan.components)


# -- plans in the store ---------------------------------------------------------------------------


def save_plan(store: StaffStore, plan: VisitPlan) -> None:
    """Keep the draft (runs on the staff worker)."""
    store.put_plan(
        plan.plan_id,
        plan.to_dict(),
        visit_id=plan.visit_id,
        title=plan.title,
        start_date=plan.start_date,
    )


def load_plan(store: StaffStore, plan_id: str) -> VisitPlan:
    doc = store.plan(plan_id)
    if doc is None:
        raise LookupError(f"visit plan {plan_id} is not in the staff workspace")
    return VisitPlan.from_dict(doc)


def list_plans(store: StaffStore) -> list[dict[str, Any]]:
    return list(store.plans())


def delete_plan(store: StaffStore, plan_id: str) -> None:
    """Forget a draft (the kits already built from it stay where they were saved)."""
    store.delete_plan(plan_id)


def plan_from_visit_file(store: StaffStore, path: Path) -> tuple[VisitPlan, list[str]]:
    """A new plan from a ``visit.json`` (same visit id: its kits re-issue that visit), kept in
    the store; and what staff should be told (a generated visit id, another plan for the visit).
    Raises ``KitInputError`` (a user error) for a file that cannot be read."""
    from sync.kit_inputs import read_visit  # noqa: PLC0415

    read = read_visit(Path(path))
    plan = VisitPlan.from_visit(read.visit)
    notes = list(read.warnings)
    same = [p["title"] for p in store.plans() if p["visit_id"] == plan.visit_id]
    if same:
        notes.append(
            f'The plan "{same[0]}" is for the same visit: kits built from either re-issue it.'
        )
    save_plan(store, plan)
    return plan, notes
