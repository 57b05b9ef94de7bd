"""The report's words that come from templates and dates, kept apart from its structure.

Introduction and acknowledgements start from ``resources/report/templates.json``, filled with
the visit's details; the lead's own edited text (``report_texts``) always wins over them. An
unknown ``{placeholder}`` stays as written so a typo in a template shows instead of failing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from reviewer_app.app.paths import RESOURCES
from reviewer_app.lead.risks import CONFIRMED_STATUSES
from reviewer_app.visit.model import RISK_STATUSES, Finding
from reviewer_app.visit.read_model import VisitData
from sync.kit_model import COMMISSIONER, PROVIDER, StandardsSetInfo, VisitDetails

TEMPLATES = RESOURCES / "report" / "templates.json"
ELLIPSIS = "…"
WRITING = "Writing the report"  # what a renderer's progress says
QUALITY_STANDARDS = "the Quality Standards"  # when the kit does not name its set


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
    {providers}, {commissioners}, {provision} ("provided by X and commissioned by Y"),
    {services} ("the A, the B and the C"), {standards} ("the ‘Title’, V4, October 2018"),
    {sites}, {visit_dates}, {team_size}, {lead}. A value may be empty: :func:`fill_template`
    tidies the space it leaves."""
    visit = data.visit
    lead = visit.lead
    return {
        "programme": visit.programme,
        "title": visit.title,
        "network": visit.network,
        "organisations": and_list([o.name for o in visit.organisations]),
        "providers": and_list(organisations_in_role(visit, PROVIDER)),
        "commissioners": and_list(organisations_in_role(visit, COMMISSIONER)),
        "provision": provision(visit),
        "services": the_list([c.name for c in visit.components]),
        "standards": standards_reference(data.standards_set),
        "sites": and_list([s.name for s in visit.sites]),
        "visit_dates": visit_dates(visit),
        "team_size": str(len(visit.team)),
        "lead": lead.name if lead else "",
    }


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled; the space an empty value leaves is tidied
    ("of the A , which" reads "of the A, which")."""
    filled = template.format_map(_Keep(values))
    filled = re.sub(r"[ \t]{2,}", " ", filled)
    return re.sub(r" +([,.;:])", r"\1", filled)


def organisations_in_role(visit: VisitDetails, role: str) -> list[str]:
    """The names of the visit's organisations with ``role`` ("provider", "commissioner")."""
    return [o.name for o in visit.organisations if o.role.strip().casefold() == role]


def provision(visit: VisitDetails) -> str:
    """Who provides and who commissions the services: "provided by X and commissioned by Y"
    ("provided by X and Z, and commissioned by Y"); either half alone when the visit names only
    one kind; "" when it names neither."""
    providers = organisations_in_role(visit, PROVIDER)
    commissioners = organisations_in_role(visit, COMMISSIONER)
    parts = []
    if providers:
        parts.append(f"provided by {and_list(providers)}")
    if commissioners:
        parts.append(f"commissioned by {and_list(commissioners)}")
    return (", and " if len(providers) > 1 else " and ").join(parts)


def the_list(names: list[str]) -> str:
    """Services as a sentence names them: "the A", "the A and the B", "the A, the B and the C"
    (a name that already starts with "the" keeps its own)."""
    return and_list([n if n.casefold().startswith("the ") else f"the {n}" for n in names if n])


def version_text(version: str) -> str:
    """A set's version as a sentence gives it: "V4" stays "V4"; a bare "4" reads "version 4"."""
    version = version.strip()
    return f"version {version}" if version[:1].isdigit() else version


def standards_set_text(info: StandardsSetInfo | None) -> str:
    """The set as a cover names it: "Title, V4, October 2018" ("" when the kit has none)."""
    if info is None:
        return ""
    return ", ".join(p for p in (info.title, version_text(info.version), _set_date(info)) if p)


def standards_reference(info: StandardsSetInfo | None) -> str:
    """The set as a sentence names it: "the ‘Title’, V4, October 2018"."""
    if info is None or not info.title.strip():
        return QUALITY_STANDARDS
    rest = [p for p in (version_text(info.version), _set_date(info)) if p]
    return ", ".join([f"the ‘{info.title.strip()}’", *rest])


def _set_date(info: StandardsSetInfo) -> str:
    """The set's date as people write it: an ISO date reads "October 2018"; text as given."""
    try:
        when = date.fromisoformat(info.date.strip())
    except ValueError:
        return info.date.strip()
    return f"{when:%B %Y}"


def shorten(text: str, fits: int | Callable[[str], bool], *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` as it is when it fits, else cut at the last word boundary that fits, with
    ``ellipsis``. ``fits``: a number of characters, or a test (the width of a footer line).

    Used for footers and for suggested file names, so neither ends mid-word. Punctuation left
    dangling at the cut goes; a first word too long on its own is cut where it must be."""
    test = fits if callable(fits) else _within(fits)
    text = " ".join(text.split())
    if test(text):
        return text
    words = text.split(" ")
    kept = ""
    for word in words:
        longer = f"{kept} {word}" if kept else word
        if not test(longer.rstrip(_DANGLING) + ellipsis):
            break
        kept = longer
    kept = kept.rstrip(_DANGLING)
    if not kept:  # one very long word: cut it by characters
        kept = words[0]
        while kept and not test(kept + ellipsis):
            kept = kept[:-1]
    return kept + ellipsis


_DANGLING = " ,;:-–—·/&"


def _within(limit: int) -> Callable[[str], bool]:
    def test(text: str) -> bool:
        return len(text) <= limit

    return test


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


# The factual accuracy check's types of comment (DOMAIN.md step 7), as the response form and the
# service may give them: the words on the form, or their short forms.
COMMENT_TYPES = {
    "typographical": "Typographical or numerical",
    "factual": "Factually inaccurate",
    "omitted": "Omitted information",
}


def comment_type_label(value: str) -> str:
    """A provider comment's type as the report names it ("factual" reads "Factually
    inaccurate"); a type the app does not know, as written."""
    word = value.strip().casefold()
    for short, label in COMMENT_TYPES.items():
        if word.startswith(short[:4]) or word == label.casefold():
            return label
    return value.strip()


def approval_text(approved_by: str, approved_at: str, conditions: str) -> str:
    """ "Approved by the Quality Assurance Group on 20 January 2027. No conditions." (or
    "Conditions: ...")."""
    who = f" by {approved_by.strip()}" if approved_by.strip() else ""
    when = f" on {readable_date(approved_at)}" if approved_at.strip() else ""
    text = f"Approved{who}{when}."
    rest = conditions.strip()
    return f"{text} Conditions: {rest}" if rest else f"{text} No conditions."
