"""The comparative overview staff publish: compliance per programme, organisation and component.

Each visit counts once, through its latest submission that staff have not rejected (the highest
version). A component's organisation comes from the visit's kit (component -> site ->
organisation); a component with no site (a commissioning body, say) belongs to the visit's
organisation that no site names, when there is exactly one, else to all its organisations
together. % met = met / applicable, and "-" when nothing applies (DOMAIN.md), never 0 %.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from sync.kit_model import VisitDetails
from sync.server.db import Database, submissions, visits

COLUMNS = ("programme", "organisation", "component", "visits", "applicable", "met", "percent_met")


def percent(met: int, applicable: int) -> str:
    return "-" if applicable <= 0 else f"{round(100 * met / applicable)}"


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
        comp_names = {c.get("id"): c.get("name") for c in visit.get("components", [])}
        fallback = "; ".join(str(o) for o in visit.get("organisations", []))
        for row in findings.get("compliance", []):
            comp_id = str(row.get("component", ""))
            key = (
                prog,
                _organisation_of(details, comp_id, fallback),
                str(comp_names.get(comp_id) or comp_id),
            )
            totals[key][0] += 1
            totals[key][1] += int(row.get("applicable", 0))
            totals[key][2] += int(row.get("met", 0))
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
