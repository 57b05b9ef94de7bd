"""Compliance figures per component: the report's summary table and the feedback sheet's.

DOMAIN.md: per component, the applicable standards are all those that apply to it less the ones
judged Not applicable; % met = met / applicable, and with nothing applicable the figure is "-",
never 0 %. The report counts only the TEAM judgements (the one that counts). The end-of-visit
feedback sheet needs a figure before the lead has recorded every team judgement, so
:func:`provisional_compliance` also takes the reviewers' judgement when everyone who assessed a
standard agrees, and counts the rest as not yet agreed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reviewer_app.visit_data import VisitData
from reviewer_app.visit_model import MET, NOT_APPLICABLE, NOT_ASSESSED, NOT_MET


@dataclass(frozen=True, slots=True)
class ComponentCompliance:
    """The figures of one component. ``applicable = met + not_met + not_assessed + not_agreed``.

    ``not_agreed`` is only ever non-zero in :func:`provisional_compliance`: standards the
    reviewers judged differently and the lead has not yet settled.
    """

    component: str
    name: str
    applicable: int
    met: int
    not_met: int
    not_assessed: int
    not_agreed: int = 0

    @property
    def percent(self) -> int | None:
        """Met as a whole percentage (half rounds up), None when nothing applies."""
        if self.applicable == 0:
            return None
        return (200 * self.met + self.applicable) // (2 * self.applicable)

    @property
    def percent_text(self) -> str:
        """Met as text, e.g. "83%"; "-" when nothing applies (DOMAIN.md: never 0 %)."""
        percent = self.percent
        return "-" if percent is None else f"{percent}%"


def _figures(component: str, name: str, values: list[str]) -> ComponentCompliance:
    """Figures from one value per standard that applies (NOT_APPLICABLE ones drop out;
    ``""`` means judged differently and not yet settled)."""
    counted = [v for v in values if v != NOT_APPLICABLE]
    return ComponentCompliance(
        component=component,
        name=name,
        applicable=len(counted),
        met=counted.count(MET),
        not_met=counted.count(NOT_MET),
        not_assessed=counted.count(NOT_ASSESSED),
        not_agreed=counted.count(""),
    )


def compliance(data: VisitData) -> list[ComponentCompliance]:
    """The report's figures: per component in kit order, from the team judgements only."""
    out = []
    for comp in data.visit.components:
        values = [data.team_judgement(s.ref, comp.id).value for s in data.standards_for(comp.id)]
        out.append(_figures(comp.id, comp.name, values))
    return out


def provisional_compliance(data: VisitData) -> list[ComponentCompliance]:
    """Compliance so far, for verbal feedback before every team judgement is recorded.

    Per standard: the team judgement where the lead recorded one; else the reviewers'
    judgement when all who assessed it agree (N/A included: it drops out of the applicable
    count); else, when they differ, it counts as not yet agreed; when nobody assessed it, as
    not yet assessed.
    """
    reviewers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for j in data.judgements.values():
        if j.assessed:
            reviewers[(j.ref, j.component)].add(j.value)
    out = []
    for comp in data.visit.components:
        values = []
        for s in data.standards_for(comp.id):
            team = data.team_judgement(s.ref, comp.id)
            if team.assessed:
                values.append(team.value)
                continue
            seen = reviewers.get((s.ref, comp.id), set())
            values.append(next(iter(seen)) if len(seen) == 1 else ("" if seen else NOT_ASSESSED))
        out.append(_figures(comp.id, comp.name, values))
    return out
