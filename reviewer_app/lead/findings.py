"""The lead's findings: who may write them, where a new one goes, how they are numbered.

The named operations that change findings live on ``VisitSession`` (``add_finding``,
``edit_finding``, ``move_finding``, ``promote_observation``, ``record_escalation``,
``set_risk_status``, ``set_report_text``); this module holds the rules they share and that need
no worker, so the report, the feedback sheet, the privacy check and finalisation all number
findings the same way.

Order: a finding's ``order`` is a float. A new one goes after the last of its component and
category (+1); moving one puts it half-way between its new neighbours, so a move is one edit of
one field, which merges and undoes like any other.

Numbering (DOMAIN.md "Review visit findings, per component, by the categories above,
numbered"): within each component and category, 1, 2, 3 ..., as published reports number them
("Concerns 1, 2 ..."), and as the report model numbers them. A person names one as "Finding 2
(Serious concern), Local Haemoglobinopathy Team".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from reviewer_app.app.errors import UserError
from reviewer_app.visit.model import CATEGORIES, FINDING, OBSERVATION, PHOTO, RISK_STATUSES, Finding
from reviewer_app.visit.read_model import VisitData
from storage import Workspace
from sync.kit_model import VisitDetails

IMMEDIATE_RISK = "immediate_risk"
WHOLE_SERVICE = ""
"""The component of a finding about the whole service rather than one component."""

EDITABLE_FIELDS = frozenset(
    {
        "text",
        "category",
        "component",
        "order",
        "refs",
        "evidence",
        "photos",
        "risk_status",
        "escalated_to",
        "escalated_at",
        "escalated_how",
        "confirmation_sent",
    }
)
LIST_FIELDS = frozenset({"refs", "evidence", "photos"})


class LeadOnly(UserError):
    """Someone other than the visit's lead tried to write the lead's records."""


class FindingError(UserError):
    """A finding edit that cannot be made as asked (the message says why and what to do)."""


def require_lead(visit: VisitDetails, member_id: str, what: str) -> None:
    """Raise :class:`LeadOnly` unless ``member_id`` is the visit's lead."""
    lead = visit.lead
    if lead is not None and lead.member_id == member_id:
        return
    who = f"the lead reviewer, {lead.name}" if lead is not None else "the visit's lead reviewer"
    raise LeadOnly(f"Only {who}, {what}; ask them to make this change.")


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        known = ", ".join(CATEGORIES.values())
        raise FindingError(f"{category!r} is not a finding category; choose one of: {known}")
    return category


def check_component(visit: VisitDetails, component: str) -> str:
    if component != WHOLE_SERVICE and component not in {c.id for c in visit.components}:
        known = ", ".join(f"{c.id} ({c.name})" for c in visit.components)
        raise FindingError(
            f"{component!r} is not a component of this visit; choose one of: {known}"
        )
    return component


def check_fields(visit: VisitDetails, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes of an ``edit_finding``, checked and in the log's shapes (lists as lists)."""
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise FindingError(f"a finding has no field {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name in LIST_FIELDS:
            out[name] = [str(v) for v in value]
        elif name == "category":
            out[name] = check_category(str(value))
        elif name == "component":
            out[name] = check_component(visit, str(value))
        elif name == "risk_status":
            out[name] = check_status(str(value))
        elif name == "order":
            out[name] = float(value)
        else:
            out[name] = str(value)
    return out


def check_status(status: str) -> str:
    if status not in RISK_STATUSES:
        known = ", ".join(RISK_STATUSES)
        raise FindingError(f"{status!r} is not a risk status; choose one of: {known}")
    return status


def check_when(text: str, what: str) -> str:
    """An ISO date or date and time (``2026-12-03`` or ``2026-12-03T16:40``), stripped."""
    value = text.strip()
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        raise FindingError(
            f"{what} {text!r} is not a date and time like 2026-12-03 16:40; enter it again"
        ) from None
    return value


# -- order -------------------------------------------------------------------------------------


def _group(
    findings: Mapping[str, Mapping[str, Any]], component: str, category: str
) -> list[tuple[float, str]]:
    """(order, id) of the stored findings of one component and category, in order."""
    out = []
    for fid, fields in findings.items():
        if str(fields.get("component") or "") == component and fields.get("category") == category:
            out.append((_order(fields), fid))
    return sorted(out)


def _order(fields: Mapping[str, Any]) -> float:
    try:
        return float(fields.get("order") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def order_at_end(
    findings: Mapping[str, Mapping[str, Any]], component: str, category: str, skip: str = ""
) -> float:
    """The ``order`` that puts a finding after the last of its component and category."""
    group = [o for o, fid in _group(findings, component, category) if fid != skip]
    return (max(group) + 1.0) if group else 1.0


def order_before(
    findings: Mapping[str, Mapping[str, Any]], finding_id: str, before_id: str | None
) -> float:
    """The ``order`` that puts ``finding_id`` just before ``before_id`` (None: at the end).

    ``findings`` are the stored findings (``{id: fields}``); both must be in one component and
    category, or :class:`FindingError` says so.
    """
    me = findings.get(finding_id)
    if me is None:
        raise FindingError("that finding no longer exists; it may have been deleted")
    component, category = str(me.get("component") or ""), str(me.get("category") or "")
    if before_id is None:
        return order_at_end(findings, component, category, skip=finding_id)
    other = findings.get(before_id)
    if other is None:
        raise FindingError("the finding to move before no longer exists")
    if (str(other.get("component") or ""), other.get("category")) != (component, category):
        raise FindingError(
            "a finding moves only among the findings of its own component and category; "
            "change its category first"
        )
    group = [(o, fid) for o, fid in _group(findings, component, category) if fid != finding_id]
    index = next(i for i, (_o, fid) in enumerate(group) if fid == before_id)
    after = group[index][0]
    before = group[index - 1][0] if index > 0 else after - 2.0
    return (before + after) / 2.0


# -- numbering ---------------------------------------------------------------------------------


def numbered(data: VisitData, component: str) -> list[tuple[int, Finding]]:
    """The findings of one component (``""``: the whole service) in report order (categories
    in DOMAIN.md's order, then their own order), each numbered from 1 within its category."""
    out: list[tuple[int, Finding]] = []
    counts: dict[str, int] = {}
    for f in data.findings_for(component):
        counts[f.category] = counts.get(f.category, 0) + 1
        out.append((counts[f.category], f))
    return out


def numbers(data: VisitData) -> dict[str, int]:
    """Every finding's number within its component and category: ``{finding_id: number}``."""
    out: dict[str, int] = {}
    for comp in _components_with_findings(data):
        out.update((f.id, n) for n, f in numbered(data, comp))
    return out


def _components_with_findings(data: VisitData) -> list[str]:
    """The whole service first, then the visit's components in kit order."""
    present = {f.component for f in data.findings.values()}
    ordered = [WHOLE_SERVICE, *(c.id for c in data.visit.components)]
    return [c for c in ordered if c in present] + sorted(present - set(ordered))


def component_name(data: VisitData, component: str) -> str:
    if component == WHOLE_SERVICE:
        return "Whole service"
    found = next((c for c in data.visit.components if c.id == component), None)
    return found.name if found is not None else component


def finding_label(data: VisitData, finding: Finding, number: int | None = None) -> str:
    """How a person names a finding: "Finding 3 (Serious concern), Local Haemoglobinopathy
    Team"."""
    if number is None:
        number = numbers(data).get(finding.id, 0)
    category = CATEGORIES.get(finding.category, finding.category)
    return f"Finding {number} ({category}), {component_name(data, finding.component)}"


def immediate_risks(data: VisitData) -> list[tuple[int, Finding]]:
    """The immediate risks with their numbers, component by component."""
    out: list[tuple[int, Finding]] = []
    for comp in _components_with_findings(data):
        out.extend((n, f) for n, f in numbered(data, comp) if f.immediate_risk)
    return out


def promoted_fields(
    observation: Mapping[str, Any], component: str, photos: Iterable[str]
) -> dict[str, Any]:
    """A new finding's fields from a reviewer's observation (the lead edits the wording)."""
    category = str(observation.get("category") or "general")
    refs = observation.get("refs") or []
    return {
        "text": str(observation.get("text") or ""),
        "category": category if category in CATEGORIES else "general",
        "component": component,
        "refs": [str(r) for r in refs] if isinstance(refs, list) else [],
        "evidence": [],
        "photos": list(photos),
    }


# -- plans: what an operation changes, worked out on the storage worker from what is stored ----
# Each takes the workspace and the record's id and returns the fields to record; the session
# records them through its one edit path, so every one of them undoes and merges alike.


def _stored(ws: Workspace, finding_id: str) -> dict[str, Any]:
    fields = ws.entity(FINDING, finding_id)
    if fields is None:
        raise FindingError("that finding no longer exists; it may have been deleted")
    return fields


def plan_add(
    ws: Workspace, _finding_id: str, visit: VisitDetails, fields: Mapping[str, Any]
) -> dict[str, Any]:
    out = dict(fields)
    check_category(str(out["category"]))
    check_component(visit, str(out["component"]))
    if not str(out.get("text") or "").strip():
        raise FindingError("a finding needs some text; write what the team found")
    out["order"] = order_at_end(ws.entities(FINDING), str(out["component"]), str(out["category"]))
    return out


def plan_edit(
    ws: Workspace, finding_id: str, visit: VisitDetails, changes: Mapping[str, Any]
) -> dict[str, Any]:
    stored = _stored(ws, finding_id)
    out = check_fields(visit, changes)
    component = out.get("component", stored.get("component") or "")
    category = out.get("category", stored.get("category") or "")
    moved_group = (component, category) != (stored.get("component") or "", stored.get("category"))
    if moved_group and "order" not in out:  # into another group: at its end
        out["order"] = order_at_end(ws.entities(FINDING), str(component), str(category), finding_id)
    return out


def plan_move(ws: Workspace, finding_id: str, before_id: str | None) -> dict[str, Any]:
    return {"order": order_before(ws.entities(FINDING), finding_id, before_id)}


def plan_promote(
    ws: Workspace,
    _finding_id: str,
    visit: VisitDetails,
    observation_id: str,
    component: str,
    author: str,
) -> dict[str, Any]:
    observation = ws.entity(OBSERVATION, observation_id)
    if observation is None:
        raise FindingError("that observation no longer exists; it may have been deleted")
    check_component(visit, component)
    photos = sorted(
        pid
        for pid, p in ws.entities(PHOTO).items()
        if p.get("observation_id") == observation_id and p.get("sha256")
    )
    out = promoted_fields(observation, component, photos)
    out.update(
        observation_id=observation_id,
        author=author,
        created_at=now_utc(),
        order=order_at_end(ws.entities(FINDING), component, str(out["category"])),
    )
    return out


def plan_escalation(ws: Workspace, finding_id: str, to: str, at: str, how: str) -> dict[str, Any]:
    stored = _stored(ws, finding_id)
    if stored.get("category") != IMMEDIATE_RISK:
        raise FindingError(
            "only an immediate risk is escalated; make the finding an immediate risk first"
        )
    if not to.strip():
        raise FindingError("say to whom the risk was escalated (a name and role)")
    out: dict[str, Any] = {
        "escalated_to": to.strip(),
        "escalated_at": check_when(at, "the time of escalation"),
        "escalated_how": how.strip(),
    }
    if str(stored.get("risk_status") or "open") == "open":
        out["risk_status"] = "escalated"
    return out


def plan_status(
    ws: Workspace, finding_id: str, status: str, confirmation_sent: str | None
) -> dict[str, Any]:
    stored = _stored(ws, finding_id)
    if stored.get("category") != IMMEDIATE_RISK:
        raise FindingError("only an immediate risk has a risk status")
    out: dict[str, Any] = {"risk_status": check_status(status)}
    if confirmation_sent is not None:
        out["confirmation_sent"] = (
            check_when(confirmation_sent, "the date the confirmation was sent")
            if confirmation_sent.strip()
            else ""
        )
    elif status == "confirmed" and not stored.get("confirmation_sent"):
        out["confirmation_sent"] = date.today().isoformat()
    return out


def plan_report_text(_ws: Workspace, _name: str, text: str) -> dict[str, Any]:
    return {"text": text}
