"""The programme overview and the QSG summary, computed by the service (DOMAIN.md step 9).

Nothing a laptop computed is trusted (DESIGN.md "Central service"): which standards apply to
which component, the components, their organisations, the sections and titles come from the
**stored kit** each submission is judged by, and every figure is recomputed from the submitted
team judgements with :mod:`sync.compliance` through :mod:`sync.server.overview` (its kit
loading and :func:`~sync.server.overview.kit_figures`), so a column here shows the same
figures as that visit's own report and the comparative overview.

**Which visits.** A visit of the programme (its newest kit's programme, confirmed by the kit
its submission names) counts through its latest non-rejected version. Its **state** is
``published`` (a publication of that version), else ``approved`` (an approval of it), else the
submission's state (``received``, ``accepted``, ``has_issues``). By default every visit whose
state is accepted, approved or published is included; staff may choose visits instead, and a
chosen visit that is in another state (or not of the programme, or never submitted) is refused
with :class:`ProgrammeError` (the route answers 422 with the sentence).

**The overview** (:func:`programme_overview`, ``GET /v1/programme/overview``)::

    {"programme", "generated_at",
     "visits": [{"visit_id", "title", "organisations": [names], "version", "snapshot_id",
                 "state", "start_date", "end_date", "approved_at", "published_at"}],
     "sections": [names, in the order of the first kit that has them],
     "columns": [{"visit_id", "component", "component_name", "organisation",
                  "applicable", "met", "not_met", "not_assessed", "percent_met"}],
     "standards": [{"ref", "section", "title",
                    "cells": [value per column: "met" | "not_met" | "not_applicable" |
                              "not_assessed" | null (the standard does not apply there)],
                    "applicable", "met", "not_met", "not_assessed", "percent_met"}],
     "organisations": [{"organisation", "visits", "applicable", "met", "not_met",
                        "percent_met"}],
     "most_not_met": [{"ref", "section", "title", "not_met", "applicable",
                       "organisations": [names]}],
     "good_practice": [{"visit_id", "visit_title", "organisation", "component",
                        "component_name", "number", "text", "refs"}],
     "risks": [RISK...]}

One column per visit and component (in the visits' order, then the kit's); rows are the
standards of every included kit, by ref (refs are free text: compared whole, never parsed),
grouped by section. ``percent_met`` is a whole number (half rounded up) or null when nothing
applies (DOMAIN.md: "-", never 0 %). A column's figures are the visit's own (kit_figures); a
standard's and an organisation's add up the columns' judgements the same way (N/A drops out,
not yet assessed counts as applicable and not met). ``most_not_met``: the standards not met in
the most columns, most first (ties by the rows' order), at most :data:`MOST_NOT_MET`.

A RISK (``risks`` here, ``items`` in the QSG summary) is an immediate risk or a serious concern::

    {"visit_id", "visit_title", "visit_date", "version", "state", "approved_at",
     "published_at", "organisation", "component", "component_name", "category"
     ("immediate_risk" | "serious_concern"), "number", "text", "refs", "status"
     ("open" | "escalated" | "confirmed" | "closed" | "" for a serious concern: none kept),
     "escalated_to", "escalated_at", "escalated_how", "confirmation_due",
     "confirmation_sent"}

**The QSG summary** (:func:`qsg_summary`, ``GET /v1/programme/qsg``): per provider
(organisation), every immediate risk and serious concern of each visit's latest version that is
**approved or published** (whatever its other state; a rejected version never counts)::

    {"programme", "generated_at", "visits": [VISIT as above],
     "providers": [{"organisation", "items": [RISK...]}]}

A submission that cannot be read (its kit is gone, an older release's envelope) is left out and
logged, as in the comparative overview; a chosen one is refused instead.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sync.compliance import NOT_MET, component_figures, percent_met
from sync.server.db import Database, approvals, kits, now_iso, publications, submissions, visits
from sync.server.overview import (
    StoredKit,
    judged_figures,
    named_kit,
    organisation_of,
    read_stored_kit,
    team_judgements,
)

log = logging.getLogger(__name__)

INCLUDED_STATES = ("accepted", "approved", "published")
QSG_STATES = ("approved", "published")
RISK_CATEGORIES = ("immediate_risk", "serious_concern")
MOST_NOT_MET = 15
JUDGEMENTS = ("met", "not_met", "not_applicable", "not_assessed")


class ProgrammeError(ValueError):
    """A choice of visits the overview cannot honour (one sentence, for a 422)."""


@dataclass(frozen=True, slots=True)
class Version:
    """One submitted version of a visit, with what staff did with it."""

    visit_id: str
    snapshot_id: str
    version: int
    submission_state: str
    envelope: str
    approved_at: str | None
    published_at: str | None
    kit_sha256: str | None

    @property
    def state(self) -> str:
        if self.published_at is not None:
            return "published"
        if self.approved_at is not None:
            return "approved"
        return self.submission_state


@dataclass(frozen=True, slots=True)
class Loaded:
    """A version read: its kit, findings, and judgement per (ref, component)."""

    version: Version
    kit: StoredKit
    findings: dict[str, Any]
    judged: dict[tuple[str, str], str]

    @property
    def fallback(self) -> str:
        return "; ".join(o.name for o in self.kit.details.organisations)

    def organisation(self, component: str) -> str:
        return organisation_of(self.kit.details, component, self.fallback)

    def visit_row(self) -> dict[str, Any]:
        d = self.kit.details
        return {
            "visit_id": d.visit_id,
            "title": d.title,
            "organisations": [o.name for o in d.organisations],
            "version": self.version.version,
            "snapshot_id": self.version.snapshot_id,
            "state": self.version.state,
            "start_date": d.start_date,
            "end_date": d.end_date or d.start_date,
            "approved_at": self.version.approved_at,
            "published_at": self.version.published_at,
        }


def programme_versions(db: Database, programme: str) -> dict[str, list[Version]]:
    """Per visit of the programme (its newest kit's), its non-rejected versions, oldest first."""
    with db.read() as conn:
        visit_ids = set(
            conn.execute(select(visits.c.visit_id).where(visits.c.programme == programme))
            .scalars()
            .all()
        )
        if not visit_ids:
            return {}
        ids = sorted(visit_ids)
        rows = conn.execute(
            select(
                submissions.c.visit_id,
                submissions.c.snapshot_id,
                submissions.c.version,
                submissions.c.state,
                submissions.c.envelope,
                approvals.c.approved_at,
                publications.c.published_at,
            )
            .outerjoin(approvals, approvals.c.snapshot_id == submissions.c.snapshot_id)
            .outerjoin(publications, publications.c.snapshot_id == submissions.c.snapshot_id)
            .where(submissions.c.state != "rejected", submissions.c.visit_id.in_(ids))
            .order_by(submissions.c.visit_id, submissions.c.version)
        ).all()
        kit_rows = conn.execute(
            select(kits.c.kit_id, kits.c.visit_id, kits.c.sha256).where(kits.c.visit_id.in_(ids))
        ).all()
        latest_kit = dict(
            conn.execute(
                select(visits.c.visit_id, visits.c.latest_kit_id).where(visits.c.visit_id.in_(ids))
            ).all()
        )
    shas = {(k.visit_id, k.kit_id): k.sha256 for k in kit_rows}
    out: dict[str, list[Version]] = defaultdict(list)
    for r in rows:
        sha = shas.get((r.visit_id, named_kit(r.envelope))) or shas.get(
            (r.visit_id, latest_kit.get(r.visit_id, ""))
        )
        out[r.visit_id].append(
            Version(
                r.visit_id,
                r.snapshot_id,
                r.version,
                r.state,
                r.envelope,
                r.approved_at,
                r.published_at,
                sha,
            )
        )
    return dict(out)


def load(version: Version, kit_folder: Path) -> Loaded:
    """The version's kit and judgements; LookupError/ValueError when it cannot be read."""
    if version.kit_sha256 is None:
        raise LookupError("the visit has no stored kit")
    kit = read_stored_kit(kit_folder / f"{version.kit_sha256}.rvkit")
    findings = json.loads(version.envelope).get("findings")
    judged = team_judgements(findings)  # ValueError when there are none to read
    return Loaded(version, kit, findings, judged)


def _chosen(
    versions: dict[str, list[Version]],
    kit_folder: Path,
    programme: str,
    chosen: Sequence[str] | None,
) -> list[Loaded]:
    """The visits the overview covers, in the order of their dates then titles."""
    picked: list[Loaded] = []
    wanted = list(dict.fromkeys(chosen)) if chosen else sorted(versions)
    for visit_id in wanted:
        latest = versions.get(visit_id, [])
        if not latest:
            if chosen:
                raise ProgrammeError(
                    f"Visit {visit_id} is not a submitted visit of the programme {programme!r}."
                )
            continue
        version = latest[-1]
        if version.state not in INCLUDED_STATES:
            if chosen:
                raise ProgrammeError(
                    f"Visit {visit_id}'s latest version (V{version.version}) is "
                    f"{version.state.replace('_', ' ')}: only accepted, approved or published "
                    "versions go into the programme overview."
                )
            continue
        loaded = _load_or_skip(version, kit_folder, programme, refuse=bool(chosen))
        if loaded is not None:
            picked.append(loaded)
    return sorted(picked, key=_visit_order)


def _load_or_skip(
    version: Version, kit_folder: Path, programme: str, *, refuse: bool
) -> Loaded | None:
    try:
        loaded = load(version, kit_folder)
    except Exception as exc:  # noqa: BLE001 - one unreadable submission must not hide the others
        if refuse:
            raise ProgrammeError(
                f"Visit {version.visit_id}'s version V{version.version} cannot be read ({exc})."
            ) from exc
        log.exception(
            "programme: left out submission %s of visit %s", version.snapshot_id, version.visit_id
        )
        return None
    if loaded.kit.details.programme != programme:
        if refuse:
            raise ProgrammeError(
                f"Visit {version.visit_id} is judged by a kit of the programme "
                f"{loaded.kit.details.programme!r}, not {programme!r}."
            )
        return None
    return loaded


def _visit_order(loaded: Loaded) -> tuple[str, str, str]:
    d = loaded.kit.details
    return (d.start_date, d.title, d.visit_id)


# -- the overview ------------------------------------------------------------------------------


def programme_overview(
    db: Database, kit_folder: Path, programme: str, chosen: Sequence[str] | None = None
) -> dict[str, Any]:
    """The overview's data (the module's docstring gives its shape); ProgrammeError when a
    chosen visit cannot be included."""
    included = _chosen(programme_versions(db, programme), kit_folder, programme, chosen)
    columns: list[dict[str, Any]] = []
    column_keys: list[tuple[Loaded, str]] = []
    for loaded in included:
        for figures in judged_figures(loaded.kit, loaded.judged):
            columns.append(
                {
                    "visit_id": loaded.version.visit_id,
                    "component": figures.component,
                    "component_name": figures.name,
                    "organisation": loaded.organisation(figures.component),
                    **_figures(figures.applicable, figures.met, figures.not_met),
                }
            )
            column_keys.append((loaded, figures.component))
    sections, standards = _rows(included, column_keys)
    return {
        "programme": programme,
        "generated_at": now_iso(),
        "visits": [loaded.visit_row() for loaded in included],
        "sections": sections,
        "columns": columns,
        "standards": standards,
        "organisations": _organisations(columns),
        "most_not_met": _most_not_met(standards, columns),
        "good_practice": _good_practice(included),
        "risks": [risk for loaded in included for risk in risks_of(loaded)],
    }


def _figures(applicable: int, met: int, not_met: int) -> dict[str, Any]:
    return {
        "applicable": applicable,
        "met": met,
        "not_met": not_met,
        "not_assessed": applicable - met - not_met,
        "percent_met": percent_met(met, applicable),
    }


def _rows(
    included: Sequence[Loaded], column_keys: Sequence[tuple[Loaded, str]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Every standard of the included kits, by ref, grouped by section, with its cells."""
    sections: dict[str, None] = {}
    info: dict[str, tuple[str, str]] = {}
    for loaded in included:
        sections.update(dict.fromkeys(loaded.kit.sections))
        for ref, section, title in loaded.kit.standards:
            info.setdefault(ref, (section, title))
            sections.setdefault(section)
    # Per column, the judgement of each standard that applies there (as kit_figures counts
    # them: none, or an unknown value, is not yet assessed).
    columns = [
        {
            ref: _judgement(loaded.judged.get((ref, component), ""))
            for ref in loaded.kit.applies.get(component, ())
        }
        for loaded, component in column_keys
    ]
    by_section: dict[str, list[dict[str, Any]]] = {s: [] for s in sections}
    for ref, (section, title) in info.items():
        cells = [column.get(ref) for column in columns]
        figures = component_figures(ref, title, (c for c in cells if c is not None))
        by_section[section].append(
            {
                "ref": ref,
                "section": section,
                "title": title,
                "cells": cells,
                **_figures(figures.applicable, figures.met, figures.not_met),
            }
        )
    order = [s for s in sections if by_section[s]]
    return order, [row for s in order for row in by_section[s]]


def _judgement(value: str) -> str:
    return value if value in JUDGEMENTS else "not_assessed"


def _organisations(columns: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    seen: dict[str, set[str]] = defaultdict(set)
    for c in columns:
        t = totals[c["organisation"]]
        t[0] += c["applicable"]
        t[1] += c["met"]
        t[2] += c["not_met"]
        seen[c["organisation"]].add(c["visit_id"])
    return [
        {"organisation": org, "visits": len(seen[org]), **_figures(*totals[org])}
        for org in sorted(totals, key=str.casefold)
    ]


def _most_not_met(
    standards: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    ranked = sorted(
        (row for row in standards if row["not_met"]),
        key=lambda row: (-row["not_met"], -row["not_met"] / row["applicable"]),
    )[:MOST_NOT_MET]
    return [
        {
            "ref": row["ref"],
            "section": row["section"],
            "title": row["title"],
            "not_met": row["not_met"],
            "applicable": row["applicable"],
            "organisations": sorted(
                {columns[i]["organisation"] for i, v in enumerate(row["cells"]) if v == NOT_MET},
                key=str.casefold,
            ),
        }
        for row in ranked
    ]


def _findings_of(loaded: Loaded, categories: Iterable[str]) -> list[dict[str, Any]]:
    wanted = set(categories)
    rows = loaded.findings.get("findings", [])
    return [f for f in rows if isinstance(f, dict) and f.get("category") in wanted]


def _component_name(loaded: Loaded, component: str) -> str:
    names = {c.id: c.name for c in loaded.kit.details.components}
    return names.get(component, "The whole service" if not component else component)


def _good_practice(included: Sequence[Loaded]) -> list[dict[str, Any]]:
    out = []
    for loaded in included:
        for f in _findings_of(loaded, ("good_practice",)):
            component = str(f.get("component", ""))
            out.append(
                {
                    "visit_id": loaded.version.visit_id,
                    "visit_title": loaded.kit.details.title,
                    "organisation": loaded.organisation(component),
                    "component": component,
                    "component_name": _component_name(loaded, component),
                    "number": _int(f.get("number")),
                    "text": str(f.get("text", "")),
                    "refs": [str(r) for r in f.get("refs", []) if isinstance(r, str)],
                }
            )
    return out


def risks_of(loaded: Loaded) -> list[dict[str, Any]]:
    """The version's immediate risks then serious concerns, with their escalation."""
    escalation = {
        str(r.get("finding_id")): r
        for r in loaded.findings.get("immediate_risks", [])
        if isinstance(r, dict)
    }
    d = loaded.kit.details
    out = []
    for category in RISK_CATEGORIES:
        for f in _findings_of(loaded, (category,)):
            component = str(f.get("component", ""))
            e = escalation.get(str(f.get("id")), {}) if category == "immediate_risk" else {}
            out.append(
                {
                    "visit_id": d.visit_id,
                    "visit_title": d.title,
                    "visit_date": d.end_date or d.start_date,
                    "version": loaded.version.version,
                    "state": loaded.version.state,
                    "approved_at": loaded.version.approved_at,
                    "published_at": loaded.version.published_at,
                    "organisation": loaded.organisation(component),
                    "component": component,
                    "component_name": _component_name(loaded, component),
                    "category": category,
                    "number": _int(f.get("number")),
                    "text": str(f.get("text", "")),
                    "refs": [str(r) for r in f.get("refs", []) if isinstance(r, str)],
                    "status": str(e.get("status", "open" if category == "immediate_risk" else "")),
                    **{
                        k: str(e.get(k, "") or "")
                        for k in (
                            "escalated_to",
                            "escalated_at",
                            "escalated_how",
                            "confirmation_due",
                            "confirmation_sent",
                        )
                    },
                }
            )
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- the QSG summary ---------------------------------------------------------------------------


def qsg_summary(db: Database, kit_folder: Path, programme: str) -> dict[str, Any]:
    """Per provider, the immediate risks and serious concerns of each visit's latest approved
    or published version (the module's docstring gives the shape)."""
    included: list[Loaded] = []
    for versions in programme_versions(db, programme).values():
        approved = [v for v in versions if v.state in QSG_STATES]
        if approved:
            loaded = _load_or_skip(approved[-1], kit_folder, programme, refuse=False)
            if loaded is not None:
                included.append(loaded)
    included.sort(key=_visit_order)
    providers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for loaded in included:
        for risk in risks_of(loaded):
            providers[risk["organisation"]].append(risk)
    return {
        "programme": programme,
        "generated_at": now_iso(),
        "visits": [loaded.visit_row() for loaded in included],
        "providers": [
            {"organisation": org, "items": providers[org]}
            for org in sorted(providers, key=str.casefold)
        ],
    }
