"""The report's words that come from templates and dates, kept apart from its structure.

Introduction and acknowledgements start from ``resources/report/templates.json``, filled with
the visit's details; the lead's own edited text (``report_texts``) always wins over them. An
unknown ``{placeholder}`` stays as written so a typo in a template shows instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from reviewer_app.paths import RESOURCES
from reviewer_app.risks import CONFIRMED_STATUSES
from reviewer_app.visit_data import VisitData
from reviewer_app.visit_model import RISK_STATUSES, Finding
from sync.kit_model import VisitDetails

TEMPLATES = RESOURCES / "report" / "templates.json"


def load_templates(path: Path = TEMPLATES) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        loaded = json.load(fh)
    return {str(k): str(v) for k, v in loaded.items()}


class _Keep(dict[str, str]):
    """Unknown placeholders stay as written, so a typo in a template shows rather than fails."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def placeholders(data: VisitData) -> dict[str, str]:
    """The values a template may use: {programme}, {title}, {network}, {organisations},
    {services}, {sites}, {visit_dates}, {team_size}, {lead}."""
    visit = data.visit
    lead = visit.lead
    return {
        "programme": visit.programme,
        "title": visit.title,
        "network": visit.network,
        "organisations": and_list([o.name for o in visit.organisations]),
        "services": and_list([c.name for c in visit.components]),
        "sites": and_list([s.name for s in visit.sites]),
        "visit_dates": visit_dates(visit),
        "team_size": str(len(visit.team)),
        "lead": lead.name if lead else "",
    }


def fill_template(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(_Keep(values))


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip())


def and_list(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def readable_date(value: str) -> str:
    """An ISO date (or date-time) as "3 December 2026"; anything else as written."""
    try:
        return long_date(date.fromisoformat(value.strip()[:10]))
    except ValueError:
        return value


def escalation_text(f: Finding, due: date | None = None) -> str:
    """What a report says of an immediate risk's escalation: to whom, when and how, then the
    written confirmation: sent (when), confirmed or closed, or due by ``due``. "" before the
    risk is escalated (each document says that its own way)."""
    if not f.escalated:
        return ""
    how = f" ({f.escalated_how})" if f.escalated_how.strip() else ""
    line = f"Escalated to {f.escalated_to} on {readable_date(f.escalated_at)}{how}."
    if f.confirmation_sent.strip():
        line += f" Written confirmation sent {readable_date(f.confirmation_sent)}."
    elif f.risk_status in CONFIRMED_STATUSES:
        line += f" {RISK_STATUSES[f.risk_status]}."
    elif due is not None:
        line += f" Written confirmation due by {long_date(due)}."
    return line


def visit_dates(visit: VisitDetails) -> str:
    """The visit's dates as people write them: "3–4 December 2026", "30 November – 1 December
    2026", or one date."""
    try:
        start = date.fromisoformat(visit.start_date)
        end = date.fromisoformat(visit.end_date or visit.start_date)
    except ValueError:
        return " – ".join(dict.fromkeys(d for d in (visit.start_date, visit.end_date) if d))
    if end <= start:
        return long_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{long_date(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {long_date(end)}"
    return f"{long_date(start)} – {long_date(end)}"
