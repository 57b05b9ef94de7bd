"""A worked demo visit for the report tests: team judgements, findings, photos, report texts.

Written through a real session's storage worker into its real SQLite workspace, as the lead
would leave them, in one transaction (``apply_ops``) so the tests stay quick.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

from PIL import Image

from reviewer_app.visit.model import (
    FINDING,
    JUDGEMENT,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.session import VisitSession
from storage import HybridClock, Op, Workspace

Record = tuple[str, str, dict[str, Any]]


def write_records(ws: Workspace, member_id: str, records: list[Record]) -> None:
    """Every record's fields as ops of ``member_id``, applied in one transaction."""
    clock = HybridClock()
    ops = [
        Op(str(uuid.uuid4()), clock.tick(), ws.device_id, member_id, entity, eid, name, value)
        for entity, eid, fields in records
        for name, value in fields.items()
    ]
    ws.apply_ops(ops)


def photo_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def team_value(index: int, component: str) -> str | None:
    """A fixed pattern: mostly met, some not met, one N/A for one component only, a few left."""
    if index == 2 and component == "lht":
        return NOT_APPLICABLE
    if index % 7 == 3:
        return NOT_MET
    if index % 11 == 5:
        return None  # not yet recorded by the lead
    return MET


def populate(session: VisitSession, *, service_users: str = "") -> VisitData:
    """Fill the demo visit (opened as the lead) and return the fresh read model."""
    data = session.data
    records: list[Record] = []
    for i, s in enumerate(data.standards):
        for comp in s.applies_to:
            value = team_value(i, comp)
            if value is None:
                continue
            rationale = "" if value == MET else f"Reason for {s.ref} ({comp}): not in place."
            records.append(
                (
                    TEAM_JUDGEMENT,
                    team_judgement_id(s.ref, comp),
                    {"value": value, "rationale": rationale},
                )
            )
    photo_ids = []
    for n, colour in enumerate([(200, 60, 60), (60, 160, 90), (70, 90, 200)]):
        change = session.add_photo(photo_bytes(colour), caption=f"Ward corridor, view {n + 1}")
        photo_ids.append(change.result(timeout=30).entity_id)
    refs = [s.ref for s in data.standards]
    findings = [
        ("", "general", "The team were welcomed by Zoë's colleagues across both sites.", [], []),
        ("shc", "general", "The centre has grown since the last review.", refs[:1], []),
        (
            "shc",
            "good_practice",
            "Transition clinics are run jointly with adult services.",
            refs[1:3],
            [photo_ids[0]],
        ),
        (
            "shc",
            "immediate_risk",
            "Emergency department staff could not find the acute pain protocol.",
            refs[3:4],
            photo_ids[1:3],
        ),
        (
            "shc",
            "serious_concern",
            "There was no consultant cover for two weeks in August.",
            refs[4:5],
            [],
        ),
        ("shc", "concern", "Annual reviews were overdue for a third of patients.", refs[5:6], []),
        ("shc", "concern", "The day unit had no dedicated nurse at weekends.", [], []),
        (
            "lht",
            "further_consideration",
            "The team may wish to consider a local patient group.",
            [],
            [],
        ),
    ]
    for order, (comp, cat, text, frefs, photos) in enumerate(findings):
        fields: dict[str, Any] = {
            "text": text,
            "category": cat,
            "component": comp,
            "order": float(order),
            "refs": frefs,
            "photos": photos,
            "author": "m-lead",
            "created_at": f"2026-12-03T15:{order:02d}:00Z",
        }
        if cat == "immediate_risk":
            fields |= {
                "risk_status": "escalated",
                "escalated_to": "Chief Executive",
                "escalated_at": "2026-12-03",
                "escalated_how": "in person at feedback",
            }
        records.append((FINDING, str(uuid.uuid4()), fields))
    if service_users:
        records.append((REPORT_TEXT, "service_users", {"text": service_users}))
    # Two reviewers who disagree, and two who agree, on standards the lead has not settled.
    unsettled = [s.ref for i, s in enumerate(data.standards) if team_value(i, "shc") is None]
    if len(unsettled) >= 2:
        a, b = unsettled[:2]
        records += [
            (JUDGEMENT, judgement_id(a, "shc", "m-cns"), {"value": MET}),
            (JUDGEMENT, judgement_id(a, "shc", "m-paed"), {"value": NOT_MET, "reason": "x"}),
            (JUDGEMENT, judgement_id(b, "shc", "m-cns"), {"value": MET}),
            (JUDGEMENT, judgement_id(b, "shc", "m-paed"), {"value": MET}),
        ]
    session.worker.submit(write_records, data.member_id, records).result(timeout=60)
    fresh: VisitData = session.worker.submit(read_visit_data).result(timeout=60)
    return fresh
