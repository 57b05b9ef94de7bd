"""Compliance figures of a visit, from its read model: the one computation every output shares.

The window, the end-of-visit feedback sheet, the report and ``findings.json`` all take their
figures from :func:`compliance`, and the central service recomputes its overview from the
submitted team judgements with the same :func:`sync.compliance.component_figures`, so the
figures of one visit agree everywhere. Only the team judgements count (DOMAIN.md: the team
judgement is the one that counts); a standard that applies and has none yet is counted as not
yet assessed. The rules themselves are in :mod:`sync.compliance`.
"""

from __future__ import annotations

from reviewer_app.visit.read_model import VisitData
from sync.compliance import ComponentCompliance, component_figures

__all__ = ["ComponentCompliance", "compliance"]


def compliance(data: VisitData) -> list[ComponentCompliance]:
    """Per component in kit order, the figures from the team judgements."""
    return [
        component_figures(
            comp.id,
            comp.name,
            (data.team_judgement(s.ref, comp.id).value for s in data.standards_for(comp.id)),
        )
        for comp in data.visit.components
    ]
