"""The comparative overview staff publish: compliance per programme, organisation and component.

Each visit counts once, through its latest submission that staff have not rejected (the highest
version). A component's organisation comes from the visit's kit (component -> site ->
organisation); a component with no site (a commissioning body, say) belongs to the visit's
organisation that no site names, when there is exactly one, else to all its organisations
together.

Nothing a laptop computes is trusted (DESIGN.md "Central service"): the programme, the
components, their names and which standards apply to each come from the **stored kit** the
submission names (a kit of that visit uploaded by staff; else the visit's latest kit), and the
figures are recomputed with :func:`sync.compliance.component_figures`, the computation the
laptop's report, feedback sheet and ``findings.json`` use, from the submitted team judgement of
each standard that applies (one per standard and component; none is "not yet assessed"). So met
never exceeds applicable, whatever the lead's totals say. % met = met / applicable, half rounded
up, and "-" when nothing applies (DOMAIN.md), never 0 %. A submission the overview cannot read
(stored by an older release, say) is left out and logged: it never fails the overview.

The CSV is opened in spreadsheets: a cell that starts with = + - @ (or a tab or carriage return)
is prefixed with an apostrophe so that it is shown as text, never run as a formula.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sync.compliance import (
    ComponentCompliance,
    component_figures,
    figures_by_component,
    percent_text,
)
from sync.kit_format import MANIFEST_NAME, STANDARDS_NAME
from sync.kit_model import KitManifest, VisitDetails
from sync.server.db import Database, kits, submissions, visits

log = logging.getLogger(__name__)

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


def organisation_of(details: VisitDetails | None, component_id: str, fallback: str) -> str:
    """The organisation a component belongs to (see the module's docstring); ``fallback``
    without details."""
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


@dataclass(frozen=True, slots=True)
class StoredKit:
    """What the overview takes from a kit staff uploaded: the visit, and per component the refs
    of the standards that apply to it (in the kit's order); the programme overview also takes
    each standard's (ref, section, title) and the sections, in the kit's order."""

    details: VisitDetails
    applies: Mapping[str, tuple[str, ...]]
    standards: tuple[tuple[str, str, str], ...] = ()
    sections: tuple[str, ...] = ()


def kit_figures(kit: StoredKit, findings: Any) -> list[ComponentCompliance]:
    """Per component of the kit, its figures from the submission's team judgements.

    Only judgements of a standard the kit applies to that component count, the first one of
    each; a standard without one is not yet assessed (applicable, not met). ValueError when
    the findings have no list of judgements to count.
    """
    return judged_figures(kit, team_judgements(findings))


def judged_figures(
    kit: StoredKit, judged: Mapping[tuple[str, str], str]
) -> list[ComponentCompliance]:
    """:func:`kit_figures` from judgements already read by :func:`team_judgements`."""
    return [
        component_figures(
            c.id, c.name, (judged.get((ref, c.id), "") for ref in kit.applies.get(c.id, ()))
        )
        for c in kit.details.components
    ]


def team_judgements(findings: Any) -> dict[tuple[str, str], str]:
    """The submission's team judgement per (ref, component), the first one of each.

    ValueError when the findings have no list of judgements to count.
    """
    judgements = findings.get("team_judgements") if isinstance(findings, dict) else None
    if not isinstance(judgements, list):
        raise ValueError("the submission's findings have no list of team judgements")
    judged: dict[tuple[str, str], str] = {}
    for tj in judgements:
        if isinstance(tj, dict):
            key = (str(tj.get("ref", "")), str(tj.get("component", "")))
            judged.setdefault(key, str(tj.get("value", "")))
    return judged


@functools.lru_cache(maxsize=256)
def read_stored_kit(path: Path) -> StoredKit:
    """The visit and standards of a kit file the service stored (content-addressed, so cached).

    The kit was verified (signature, hashes) and read in full (``StandardsSet``) when staff
    uploaded it; here only the four fields the figures need are taken from its standards: the
    full reading costs 50 ms a kit of 500 standards, seconds for a programme's overview.
    """
    with zipfile.ZipFile(path) as zf:
        manifest = KitManifest.from_dict(json.loads(zf.read(MANIFEST_NAME)))
        raw = json.loads(zf.read(STANDARDS_NAME))
    applies: dict[str, list[str]] = defaultdict(list)
    standards = []
    for s in raw["standards"]:
        ref = str(s["ref"])
        standards.append((ref, str(s.get("section", "")), str(s.get("title", ""))))
        for component in s.get("applies_to") or ():
            applies[str(component)].append(ref)
    sections = raw.get("sections") or dict.fromkeys(section for _r, section, _t in standards)
    return StoredKit(
        manifest.visit,
        {c: tuple(refs) for c, refs in applies.items()},
        tuple(standards),
        tuple(str(section) for section in sections),
    )


@dataclass(frozen=True, slots=True)
class Counted:
    """A visit's latest submission that counts, and the SHA-256 of the kit it is judged by."""

    visit_id: str
    snapshot_id: str
    envelope: str
    kit_sha256: str | None


def latest_submissions(db: Database) -> list[Counted]:
    """Per visit, its newest non-rejected submission, with the stored kit it names."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                submissions.c.visit_id,
                submissions.c.snapshot_id,
                submissions.c.version,
                submissions.c.envelope,
            )
            .where(submissions.c.state != "rejected")
            .order_by(submissions.c.visit_id, submissions.c.version)
        ).all()
        kit_rows = conn.execute(select(kits.c.kit_id, kits.c.visit_id, kits.c.sha256)).all()
        latest_kit = dict(conn.execute(select(visits.c.visit_id, visits.c.latest_kit_id)).all())
    shas = {(k.visit_id, k.kit_id): k.sha256 for k in kit_rows}
    newest: dict[str, Any] = {}
    for r in rows:
        newest[r.visit_id] = r  # ordered by version: the last one wins
    out = []
    for visit_id, r in sorted(newest.items()):
        named = named_kit(r.envelope)
        sha = shas.get((visit_id, named)) or shas.get((visit_id, latest_kit.get(visit_id, "")))
        out.append(Counted(visit_id, r.snapshot_id, r.envelope, sha))
    return out


def named_kit(envelope: str) -> str:
    """The kit id the findings name ("" when there is none to read)."""
    try:
        kit_id = json.loads(envelope)["findings"]["visit"]["kit_id"]
    except (ValueError, TypeError, KeyError):
        return ""
    return kit_id if isinstance(kit_id, str) else ""


def overview(db: Database, kit_folder: Path, programme: str | None = None) -> list[dict[str, Any]]:
    """The overview's rows; ``kit_folder`` holds the stored kits as ``<sha256>.rvkit``."""
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for counted in latest_submissions(db):
        try:
            if counted.kit_sha256 is None:
                raise LookupError("the visit has no stored kit")
            kit = read_stored_kit(kit_folder / f"{counted.kit_sha256}.rvkit")
            figures = kit_figures(kit, json.loads(counted.envelope).get("findings"))
        except Exception:  # noqa: BLE001 - one unreadable submission must not hide the others
            log.exception(
                "overview: left out submission %s of visit %s",
                counted.snapshot_id,
                counted.visit_id,
            )
            continue
        details = kit.details
        if programme is not None and details.programme != programme:
            continue
        fallback = "; ".join(o.name for o in details.organisations)
        for f in figures:
            key = (details.programme, organisation_of(details, f.component, fallback), f.name)
            totals[key][0] += 1
            totals[key][1] += f.applicable
            totals[key][2] += f.met
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: one starting like a formula gets an apostrophe.

    "-" alone (% met when nothing applies) is no formula and stays as it is.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and value != "-":
        return "'" + value
    return value


def overview_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()
