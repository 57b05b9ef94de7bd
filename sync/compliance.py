"""Compliance figures: the one computation behind every figure a visit's documents show.

DOMAIN.md "Compliance summary": per component, the applicable standards are all those that apply
to it less the ones judged Not applicable; % met = met / applicable, rounded half up to a whole
number, and with nothing applicable the figure is "-", never 0 %. Only the **team** judgement
counts (the lead's, the one that counts); a standard that applies and has none yet counts as not
yet assessed: it is applicable and not met.

The laptop (the reviewer's and lead's windows, the feedback sheet, the report, ``findings.json``)
and the central service (the comparative overview, recomputed from the submitted team judgements,
never from a laptop's totals) all call :func:`component_figures`, so one visit can never show two
sets of figures. It lives in ``sync/`` because the service imports nothing above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MET",
    "NOT_APPLICABLE",
    "NOT_ASSESSED",
    "NOT_MET",
    "ComponentCompliance",
    "component_figures",
    "figures_by_component",
    "percent_met",
    "percent_text",
]

# The judgement values, as findings.json and the operation log write them.
MET = "met"
NOT_MET = "not_met"
NOT_APPLICABLE = "not_applicable"
NOT_ASSESSED = "not_assessed"


def percent_met(met: int, applicable: int) -> int | None:
    """Met as a whole percentage, half rounded up (12.5 -> 13); None when nothing applies."""
    if applicable <= 0:
        return None
    return (200 * met + applicable) // (2 * applicable)


def percent_text(met: int, applicable: int, sign: str = "%") -> str:
    """``"83%"``; ``"-"`` when nothing applies (DOMAIN.md: never 0 %)."""
    percent = percent_met(met, applicable)
    return "-" if percent is None else f"{percent}{sign}"


@dataclass(frozen=True, slots=True)
class ComponentCompliance:
    """The figures of one component. ``applicable = met + not_met + not_assessed``."""

    component: str
    name: str
    applicable: int
    met: int
    not_met: int
    not_assessed: int

    @property
    def percent(self) -> int | None:
        """Met as a whole percentage (half rounds up), None when nothing applies."""
        return percent_met(self.met, self.applicable)

    @property
    def percent_text(self) -> str:
        """Met as text, e.g. "83%"; "-" when nothing applies (DOMAIN.md: never 0 %)."""
        return percent_text(self.met, self.applicable)


def component_figures(component: str, name: str, values: Iterable[str]) -> ComponentCompliance:
    """The figures from the team judgement of every standard that applies to the component.

    ``values`` has one entry per applicable standard: a judgement value, or ``""``/anything
    unknown for "no team judgement yet" (counted as not yet assessed). N/A ones drop out.
    """
    counted = [v for v in values if v != NOT_APPLICABLE]
    met = counted.count(MET)
    not_met = counted.count(NOT_MET)
    return ComponentCompliance(
        component=component,
        name=name,
        applicable=len(counted),
        met=met,
        not_met=not_met,
        not_assessed=len(counted) - met - not_met,
    )


def figures_by_component(
    components: Sequence[tuple[str, str]], judgements: Iterable[tuple[str, str]]
) -> list[ComponentCompliance]:
    """Per component (``(id, name)``, in the order given), the figures of ``judgements``.

    ``judgements`` are ``(component id, team judgement value)``, one per standard that applies
    to that component; pairs naming a component not in ``components`` are ignored.
    """
    values: dict[str, list[str]] = defaultdict(list)
    for component, value in judgements:
        values[component].append(value)
    return [component_figures(cid, name, values.get(cid, ())) for cid, name in components]
