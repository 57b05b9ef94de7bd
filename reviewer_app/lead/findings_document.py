"""The visit's ``findings.json`` object (format ``reviewer-app.findings`` v1, sync/findings_format).

Built from the read model only, deterministically: the same judgements and findings give the
same object and so the same content hash, whatever the laptop or the time. That is how
finalisation knows nothing changed since the latest snapshot, and how anyone can recompute a
snapshot's hash. Nothing here names a device, and reviewers' own judgements are not included:
only the team's (DOMAIN.md "Confidentiality").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import findings
from reviewer_app.lead.compliance import compliance
from reviewer_app.lead.risks import confirmation_due, visit_end_date
from reviewer_app.lead.working_days import load_holidays
from reviewer_app.visit.read_model import VisitData
from sync.findings_format import FORMAT, VERSION, check_findings
from sync.kit_model import VisitDetails

DEFAULT_WORKING_DAYS = 2


def working_days_setting(paths: AppPaths | None) -> int:
    if paths is None:
        return DEFAULT_WORKING_DAYS
    from reviewer_app.app.settings import Settings  # noqa: PLC0415 - reads a file

    return max(0, int(Settings.shared(paths).get("risk_confirmation_working_days")))


def findings_document(
    data: VisitData,
    *,
    kit_id: str,
    blob_size: Callable[[str], int],
    paths: AppPaths | None = None,
    holidays: frozenset[date] | None = None,
) -> dict[str, Any]:
    """The findings object for ``data``; checked against the format before it is returned.

    ``blob_size(sha256)`` gives an attached photo's size in bytes (from the blob store).
    """
    visit = data.visit
    numbers = findings.numbers(data)
    due = confirmation_due(
        visit_end_date(data),
        working_days_setting(paths),
        load_holidays(paths) if holidays is None else holidays,
    )
    photos_used: dict[str, str] = {}  # sha256 -> caption (first use wins)
    finding_rows = []
    for f in data.findings_for(None):
        shas = []
        for photo_id in f.photos:
            photo = data.photos.get(photo_id)
            if photo is None or not photo.sha256:
                continue
            shas.append(photo.sha256)
            photos_used.setdefault(photo.sha256, photo.caption)
        finding_rows.append(
            {
                "id": f.id,
                "component": f.component,
                "category": f.category,
                "number": numbers.get(f.id, 0),
                "text": f.text,
                "refs": list(f.refs),
                "photos": shas,
            }
        )
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        **visit_and_team(visit, kit_id),
        "team_judgements": [
            {
                "ref": s.ref,
                "component": comp.id,
                "value": data.team_judgement(s.ref, comp.id).value,
                "rationale": data.team_judgement(s.ref, comp.id).rationale,
                "key": s.key,
            }
            for comp in visit.components
            for s in data.standards_for(comp.id)
        ],
        "compliance": [
            {"component": c.component, "applicable": c.applicable, "met": c.met}
            for c in compliance(data)
        ],
        "findings": finding_rows,
        "immediate_risks": [
            {
                "finding_id": f.id,
                "status": f.risk_status,
                "escalated_to": f.escalated_to,
                "escalated_at": f.escalated_at,
                "escalated_how": f.escalated_how,
                "confirmation_due": due.isoformat(),
                "confirmation_sent": f.confirmation_sent,
            }
            for _n, f in findings.immediate_risks(data)
        ],
        "attachments": [
            {"sha256": sha, "size": blob_size(sha), "kind": "photo", "caption": caption}
            for sha, caption in sorted(photos_used.items())
        ],
    }
    return check_findings(doc)


def visit_and_team(visit: VisitDetails, kit_id: str) -> dict[str, Any]:
    """The ``visit`` and ``team`` blocks of ``findings.json`` (the demo programme writes its
    invented submissions with this too, so they have the shape finalisation gives)."""
    return {
        "visit": {
            "visit_id": visit.visit_id,
            "kit_id": kit_id,
            "programme": visit.programme,
            "title": visit.title,
            "network": visit.network,
            "organisations": [o.name for o in visit.organisations],
            "start_date": visit.start_date,
            "end_date": visit.end_date or visit.start_date,
            "components": [{"id": c.id, "name": c.name} for c in visit.components],
        },
        "team": [
            {
                "member_id": m.member_id,
                "name": m.name,
                "role": m.role,
                "organisation": m.organisation,
                "lead": m.lead,
            }
            for m in visit.team
        ],
    }
