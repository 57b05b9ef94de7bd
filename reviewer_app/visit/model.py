"""The words of a visit as data: judgements, evidence seen, notes, photos and observations.

Every record a reviewer makes is an entity in the operation log (``storage.oplog``). This module
names the entities and their fields, and holds the rules that do not need a database: which
judgements need a reason, what the lettered parts suggest, how a record reads back from its
fields. Each reviewer's judgement of a standard for a component is its own record, so two
reviewers never edit the same fields (DESIGN.md: disagreements are not conflicts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# -- judgements ------------------------------------------------------------------------------

MET = "met"
NOT_MET = "not_met"
NOT_APPLICABLE = "not_applicable"
NOT_ASSESSED = "not_assessed"
JUDGEMENTS = (MET, NOT_MET, NOT_APPLICABLE, NOT_ASSESSED)
JUDGEMENT_LABELS = {
    MET: "Met",
    NOT_MET: "Not met",
    NOT_APPLICABLE: "Not applicable",
    NOT_ASSESSED: "Not yet assessed",
}
NEEDS_REASON = frozenset({NOT_MET, NOT_APPLICABLE})

# The self-assessment's claims use the same words, less "not yet assessed".
CLAIM_LABELS = {MET: "Met", NOT_MET: "Not met", NOT_APPLICABLE: "Not applicable"}

# -- observations and findings (DOMAIN.md "Findings") ----------------------------------------

CATEGORIES = {
    "general": "General comments and achievements",
    "good_practice": "Good practice",
    "immediate_risk": "Immediate risk",
    "serious_concern": "Serious concern",
    "concern": "Concern",
    "further_consideration": "Further consideration",
}

# -- evidence seen ---------------------------------------------------------------------------

EVIDENCE_KINDS = {
    "document": "Kit document",
    "meeting": "Meeting",
    "interview": "Interview",
    "observation": "Observation",
}

# -- entity names in the operation log --------------------------------------------------------

JUDGEMENT = "judgement"
EVIDENCE_SEEN = "evidence_seen"
NOTE = "note"
PHOTO = "photo"
OBSERVATION = "observation"
TEAM_JUDGEMENT = "team_judgement"
"""The team's judgement of a standard for a component: one record, set only by the lead."""
FINDING = "finding"
"""A narrative finding of the report (DOMAIN.md "Findings"), written by the lead."""
REPORT_TEXT = "report_text"
"""A passage of the report the lead edits (entity id: the passage's name, field ``text``)."""
ACCURACY_ANSWER = "accuracy_answer"
"""The lead's answer to one of the provider's factual accuracy comments (entity id: the
comment's id; ``reviewer_app.lead.accuracy``)."""
DELETED = "_deleted"


def judgement_id(ref: str, component: str, member_id: str) -> str:
    """A judgement's entity id. JSON, because refs are free text and may hold any character."""
    return json.dumps([ref, component, member_id], ensure_ascii=False, separators=(",", ":"))


def parse_judgement_id(entity_id: str) -> tuple[str, str, str]:
    ref, component, member_id = json.loads(entity_id)
    return str(ref), str(component), str(member_id)


def team_judgement_id(ref: str, component: str) -> str:
    """A team judgement's entity id: JSON ``[ref, component]``, like :func:`judgement_id`."""
    return json.dumps([ref, component], ensure_ascii=False, separators=(",", ":"))


def parse_team_judgement_id(entity_id: str) -> tuple[str, str]:
    ref, component = json.loads(entity_id)
    return str(ref), str(component)


def part_field(label: str) -> str:
    return f"part.{label}"


@dataclass(frozen=True, slots=True)
class Judgement:
    """One reviewer's judgement of one standard for one component."""

    ref: str
    component: str
    member_id: str
    value: str = NOT_ASSESSED
    reason: str = ""
    parts: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, entity_id: str, fields: Mapping[str, Any]) -> Judgement:
        ref, component, member_id = parse_judgement_id(entity_id)
        value = fields.get("value")
        parts = {
            name.removeprefix("part."): bool(v)
            for name, v in fields.items()
            if name.startswith("part.") and v is not None
        }
        return cls(
            ref=ref,
            component=component,
            member_id=member_id,
            value=value if value in JUDGEMENTS else NOT_ASSESSED,
            reason=str(fields.get("reason") or ""),
            parts=parts,
        )

    @property
    def assessed(self) -> bool:
        return self.value != NOT_ASSESSED

    @property
    def missing_reason(self) -> bool:
        """Not met and N/A need a reason (DOMAIN.md)."""
        return self.value in NEEDS_REASON and not self.reason.strip()


@dataclass(frozen=True, slots=True)
class TeamJudgement:
    """The lead's judgement for the team of one standard for one component (fields ``value``,
    ``rationale``). Operations on it from anyone but the kit's lead are refused at import."""

    ref: str
    component: str
    value: str = NOT_ASSESSED
    rationale: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, fields: Mapping[str, Any]) -> TeamJudgement:
        ref, component = parse_team_judgement_id(entity_id)
        value = fields.get("value")
        return cls(
            ref=ref,
            component=component,
            value=value if value in JUDGEMENTS else NOT_ASSESSED,
            rationale=str(fields.get("rationale") or ""),
        )

    @property
    def assessed(self) -> bool:
        return self.value != NOT_ASSESSED


def leaf_parts(labels: Sequence[str]) -> list[str]:
    """The parts a reviewer ticks to say a standard is met: every part, except that a lettered
    part with roman sub-items ("a" over "a.i", "a.ii") is met by its sub-items."""
    return [label for label in labels if not any(o.startswith(label + ".") for o in labels)]


def suggest_from_parts(labels: Sequence[str], ticked: Mapping[str, bool]) -> str | None:
    """What the ticked parts suggest: every part met suggests Met; some met suggests Not met.

    A standard with parts is met only when every part is met (DOMAIN.md); a part with sub-items
    counts through them (:func:`leaf_parts`). Nothing ticked suggests nothing: the reviewer may
    not have looked yet.
    """
    leaves = leaf_parts(labels)
    if not leaves:
        return None
    met = [label for label in leaves if ticked.get(label)]
    if len(met) == len(leaves):
        return MET
    if met or any(ticked.get(label) for label in labels):
        return NOT_MET
    return None


# -- the other records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceSeen:
    id: str
    ref: str
    component: str
    kind: str
    document_id: str = ""
    location: str = ""  # page or section of a document
    session_id: str = ""
    description: str = ""
    author: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> EvidenceSeen:
        return cls(
            id=entity_id,
            ref=_s(f, "ref"),
            component=_s(f, "component"),
            kind=_s(f, "kind") or "document",
            document_id=_s(f, "document_id"),
            location=_s(f, "location"),
            session_id=_s(f, "session_id"),
            description=_s(f, "description"),
            author=_s(f, "author"),
        )


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    ref: str
    text: str
    author: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> Note:
        return cls(id=entity_id, ref=_s(f, "ref"), text=_s(f, "text"), author=_s(f, "author"))


@dataclass(frozen=True, slots=True)
class Photo:
    id: str
    sha256: str
    ref: str = ""
    observation_id: str = ""
    caption: str = ""
    author: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> Photo:
        return cls(
            id=entity_id,
            sha256=_s(f, "sha256"),
            ref=_s(f, "ref"),
            observation_id=_s(f, "observation_id"),
            caption=_s(f, "caption"),
            author=_s(f, "author"),
        )


@dataclass(frozen=True, slots=True)
class Observation:
    id: str
    text: str
    category: str = "general"
    refs: tuple[str, ...] = ()
    session_id: str = ""
    author: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> Observation:
        refs = f.get("refs") or []
        category = _s(f, "category")
        return cls(
            id=entity_id,
            text=_s(f, "text"),
            category=category if category in CATEGORIES else "general",
            refs=tuple(str(r) for r in refs) if isinstance(refs, list) else (),
            session_id=_s(f, "session_id"),
            author=_s(f, "author"),
        )


# -- findings (the lead's; DOMAIN.md "Findings", issue 5) ---------------------------------------

RISK_STATUSES = {
    "open": "Open: not yet escalated",
    "escalated": "Escalated",
    "confirmed": "Confirmed in writing",
    "closed": "Closed",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of the report, for one component (``""``: the whole service).

    ``order`` places it among the findings of its component and category (numbered in that
    order). An immediate risk (category ``immediate_risk``) also carries its escalation: status,
    to whom, when and how it was escalated, and when the written confirmation was sent.
    """

    id: str
    text: str
    category: str = "general"
    component: str = ""
    order: float = 0.0
    refs: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    photos: tuple[str, ...] = ()
    observation_id: str = ""
    author: str = ""
    created_at: str = ""
    risk_status: str = "open"
    escalated_to: str = ""
    escalated_at: str = ""
    escalated_how: str = ""
    confirmation_sent: str = ""

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> Finding:
        category = _s(f, "category")
        status = _s(f, "risk_status")
        try:
            order = float(f.get("order") or 0.0)
        except (TypeError, ValueError):
            order = 0.0
        return cls(
            id=entity_id,
            text=_s(f, "text"),
            category=category if category in CATEGORIES else "general",
            component=_s(f, "component"),
            order=order,
            refs=_strings(f, "refs"),
            evidence=_strings(f, "evidence"),
            photos=_strings(f, "photos"),
            observation_id=_s(f, "observation_id"),
            author=_s(f, "author"),
            created_at=_s(f, "created_at"),
            risk_status=status if status in RISK_STATUSES else "open",
            escalated_to=_s(f, "escalated_to"),
            escalated_at=_s(f, "escalated_at"),
            escalated_how=_s(f, "escalated_how"),
            confirmation_sent=_s(f, "confirmation_sent"),
        )

    @property
    def immediate_risk(self) -> bool:
        return self.category == "immediate_risk"

    @property
    def escalated(self) -> bool:
        return bool(self.escalated_to.strip() and self.escalated_at.strip())


# -- answers to the provider's factual accuracy comments (docs/after-the-visit.md, issue 18) ----

ACCEPTED = "accepted"
DECLINED = "declined"
DECISIONS = (ACCEPTED, DECLINED)


@dataclass(frozen=True, slots=True)
class AccuracyAnswer:
    """The lead's answer to one provider comment: accepted (the item's text went from
    ``before`` to ``after``) or declined (``reason`` says why). The comment's own words are
    kept with the answer, so the version history can quote them whatever the next sync brings.
    ``snapshot_id`` and ``version`` name the finalised version the comment was made on."""

    comment_id: str
    decision: str
    reason: str = ""
    before: str = ""
    after: str = ""
    answered_by: str = ""
    answered_at: str = ""
    item_kind: str = ""
    item_id: str = ""
    item_label: str = ""
    comment_type: str = ""
    comment: str = ""
    proposed: str = ""
    snapshot_id: str = ""
    version: int = 0

    @classmethod
    def from_fields(cls, entity_id: str, f: Mapping[str, Any]) -> AccuracyAnswer:
        decision = _s(f, "decision")
        try:
            version = int(f.get("version") or 0)
        except (TypeError, ValueError):
            version = 0
        return cls(
            comment_id=entity_id,
            decision=decision if decision in DECISIONS else "",
            reason=_s(f, "reason"),
            before=_s(f, "before"),
            after=_s(f, "after"),
            answered_by=_s(f, "answered_by"),
            answered_at=_s(f, "answered_at"),
            item_kind=_s(f, "item_kind"),
            item_id=_s(f, "item_id"),
            item_label=_s(f, "item_label"),
            comment_type=_s(f, "comment_type"),
            comment=_s(f, "comment"),
            proposed=_s(f, "proposed"),
            snapshot_id=_s(f, "snapshot_id"),
            version=version,
        )

    @property
    def answered(self) -> bool:
        """Accepted, or declined with a reason (a decision without one is no answer)."""
        return self.decision == ACCEPTED or (
            self.decision == DECLINED and bool(self.reason.strip())
        )

    def fields(self) -> dict[str, Any]:
        """The record's fields as the operation log stores them (the id is the entity's)."""
        return {
            "decision": self.decision,
            "reason": self.reason,
            "before": self.before,
            "after": self.after,
            "answered_by": self.answered_by,
            "answered_at": self.answered_at,
            "item_kind": self.item_kind,
            "item_id": self.item_id,
            "item_label": self.item_label,
            "comment_type": self.comment_type,
            "comment": self.comment,
            "proposed": self.proposed,
            "snapshot_id": self.snapshot_id,
            "version": self.version,
        }


def _strings(fields: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = fields.get(key) or []
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _s(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    return "" if value is None else str(value)
