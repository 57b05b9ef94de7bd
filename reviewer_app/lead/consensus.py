"""Where reviewers' judgements differ: the lead's register of what needs agreement.

DESIGN.md: different reviewers' judgements of one standard for one component are a
**disagreement**, shown until the lead records the team judgement. A disagreement is not a
conflict: each reviewer's judgement is its own record, so nothing was overwritten. A reviewer
who has not assessed the standard yet (``not_assessed``) has no opinion and never disagrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reviewer_app.visit.model import Judgement, TeamJudgement

if TYPE_CHECKING:  # visit_data asks this module which standards need agreement
    from reviewer_app.visit.read_model import VisitData


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One standard and component on which the reviewers who judged it did not all agree.

    ``judgements`` are every assessed judgement of it, sorted by member id; ``team`` is the
    lead's team judgement of it, when one has been recorded (then it is settled).
    """

    ref: str
    component: str
    judgements: tuple[Judgement, ...]
    team: TeamJudgement | None = None
    claim: str = ""  # the provider's self-assessment claim ("" when none), set by register()

    @property
    def values(self) -> frozenset[str]:
        return frozenset(j.value for j in self.judgements)

    @property
    def reviewers_differ(self) -> bool:
        return len(self.values) > 1

    @property
    def differs_from_claim(self) -> bool:
        """The team's judgement is not what the provider claimed (a claim was made)."""
        return (
            bool(self.claim)
            and self.settled
            and self.team is not None
            and (self.team.value != self.claim)
        )

    @property
    def settled(self) -> bool:
        return self.team is not None and self.team.assessed


def disagreements(
    data: VisitData,
    team_judgements: Iterable[TeamJudgement] = (),
) -> list[Disagreement]:
    """Every (standard, component) whose assessed judgements hold more than one value.

    Sorted in the kit's order of standards, then by component. ``team_judgements`` (optional)
    are attached to the disagreements they settle.
    """
    return find_disagreements(data.judgements.values(), _order(data), team_judgements)


def find_disagreements(
    judgements: Iterable[Judgement],
    order: Mapping[str, int] | None = None,
    team_judgements: Iterable[TeamJudgement] = (),
) -> list[Disagreement]:
    """:func:`disagreements` on any judgements; ``order`` ranks refs (unknown refs go last)."""
    by_pair: dict[tuple[str, str], list[Judgement]] = {}
    for j in judgements:
        if j.assessed:
            by_pair.setdefault((j.ref, j.component), []).append(j)
    team = {(t.ref, t.component): t for t in team_judgements}
    rank = order or {}
    out = [
        Disagreement(
            ref,
            component,
            tuple(sorted(found, key=lambda j: j.member_id)),
            team.get((ref, component)),
        )
        for (ref, component), found in by_pair.items()
        if len({j.value for j in found}) > 1
    ]
    out.sort(key=lambda d: (rank.get(d.ref, len(rank)), d.ref, d.component))
    return out


def register(data: VisitData) -> list[Disagreement]:
    """The lead's register: every (standard, component) where the reviewers' assessed
    judgements differ, or where the team's judgement differs from the provider's claim.

    Each entry carries every assessed judgement of it, the team judgement (if any) and the
    claim (if any). In the kit's order of standards, then by component.
    """
    team = data.team_judgements.values()
    order = _order(data)
    found = {
        (d.ref, d.component): d for d in find_disagreements(data.judgements.values(), order, team)
    }
    for t in team:
        entry = data.self_assessment.get((t.ref, t.component))
        if (
            t.assessed
            and entry is not None
            and entry.claim != t.value
            and (t.ref, t.component) not in found
        ):
            judged = [
                j
                for j in data.judgements.values()
                if (j.ref, j.component) == (t.ref, t.component) and j.assessed
            ]
            found[(t.ref, t.component)] = Disagreement(
                t.ref, t.component, tuple(sorted(judged, key=lambda j: j.member_id)), t
            )
    out = []
    for (ref, component), d in found.items():
        entry = data.self_assessment.get((ref, component))
        out.append(replace(d, claim=entry.claim) if entry is not None else d)
    out.sort(key=lambda d: (order.get(d.ref, len(order)), d.ref, d.component))
    return out


def needs_agreement(data: VisitData) -> set[tuple[str, str]]:
    """(ref, component) pairs on which reviewers differ and the lead has recorded nothing yet."""
    team = data.team_judgements.values()
    return {
        (d.ref, d.component)
        for d in find_disagreements(data.judgements.values(), None, team)
        if not d.settled
    }


def _order(data: VisitData) -> dict[str, int]:
    return {s.ref: i for i, s in enumerate(data.standards)}
