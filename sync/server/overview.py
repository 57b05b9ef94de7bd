"""The comparative overview staff publish: compliance per programme, organisation and component.

Each visit counts once, through its latest submission that staff have not rejected (the highest
version). A component's organisation comes from the visit's kit (component -> site ->
organisation); a component with no site (a commissioning body, say) belongs to the visit's
organisation that no site names, when there is exactly one, else to all its organisations
together.

The figures are recomputed from the submission's team judgements with
:func:`sync.compliance.component_figures`, the computation the laptop's report, feedback sheet
and ``findings.json`` use; the lead's own totals are never trusted. % met = met / applicable,
half rounded up, and "-" when nothing applies (DOMAIN.md), never 0 %.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from sync.compliance import ComponentCompliance, figures_by_component, percent_text
from sync.kit_model import VisitDetails
from sync.server.db import Database, submissions, visits

COLUMNS = ("programme", "organisation", "component", "visits", "applicable", "met", "percent_met")


def percent(met: int, applicable: int) -> str:
    """The CSV's and JSON's "% met": a whole number without the sign, or "-"."""
    return percent_text(met, applicable, sign="")


def visit_figures(findings: dict[str, Any]) -> list[ComponentCompliance]:
    """A submission's compliance per component, recomputed from its team judgements."""
    components = [
        (str(c.get("id", "")), str(c.get("name") or c.get("id", "")))
        for c in findings.get("visit", {}).get("components", [])
        if isinstance(c, dict)
    ]
    judgements = [
        (str(tj.get("component", "")), str(tj.get("value", "")))
        for tj in findings.get("team_judgements", [])
        if isinstance(tj, dict)
    ]
    return figures_by_component(components, judgements)


def _organisation_of(details: VisitDetails | None, component_id: str, fallback: str) -> str:
    if details is None:
        return fallback
    names = {o.id: o.name for o in details.organisations}
    sites = {s.id: s for s in details.sites}
    comp = next((c for c in details.components if c.id == component_id), None)
    if comp is not None and comp.site in sites and sites[comp.site].organisation in names:
        return names[sites[comp.site].organisation]
    owned = {s.organisation for s in details.sites}
    unowned = [o.name for o in details.organisations if o.id not in owned]
    if len(unowned) == 1:
        return unowned[0]
    return "; ".join(o.name for o in details.organisations) or fallback


def latest_envelopes(db: Database) -> list[tuple[dict[str, Any], VisitDetails | None]]:
    """Per visit, the envelope of its newest non-rejected submission, with the kit's details."""
    with db.read() as conn:
        rows = conn.execute(
            select(submissions.c.visit_id, submissions.c.version, submissions.c.envelope)
            .where(submissions.c.state != "rejected")
            .order_by(submissions.c.visit_id, submissions.c.version)
        ).all()
        details = {
            r.visit_id: r.details for r in conn.execute(select(visits.c.visit_id, visits.c.details))
        }
    latest: dict[str, str] = {}
    for r in rows:
        latest[r.visit_id] = r.envelope  # ordered by version: the last one wins
    out = []
    for visit_id, envelope in sorted(latest.items()):
        raw = details.get(visit_id)
        out.append((json.loads(envelope), VisitDetails.from_dict(json.loads(raw)) if raw else None))
    return out


def overview(db: Database, programme: str | None = None) -> list[dict[str, Any]]:
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for envelope, details in latest_envelopes(db):
        findings = envelope["findings"]
        visit = findings.get("visit", {})
        prog = str(visit.get("programme") or (details.programme if details else ""))
        if programme is not None and prog != programme:
            continue
        fallback = "; ".join(str(o) for o in visit.get("organisations", []))
        for figures in visit_figures(findings):
            organisation = _organisation_of(details, figures.component, fallback)
            key = (prog, organisation, figures.name)
            totals[key][0] += 1
            totals[key][1] += figures.applicable
            totals[key][2] += figures.met
    return [
        {
            "programme": p,
            "organisation": o,
            "component": c,
            "visits": n,
            "applicable": applicable,
            "met": met,
            "percent_met": percent(met, applicable),
        }
        for (p, o, c), (n, applicable, met) in sorted(totals.items())
    ]


def overview_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
