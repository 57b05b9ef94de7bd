"""Envelopes whose team judgements follow a kit's standards, and kits made for one test.

The service recomputes the overview from the stored kit (which standards apply to which
component) and the submitted judgements, so a test that wants "shc: 7 met of 10" judges the
kit's own refs: ``met`` of them met, the next ones not met, every other one not applicable.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from reviewer_app.demo.kits import DEMO_PRIVATE_KEY, demo_standards, demo_visit
from sync.findings_format import content_sha256
from sync.keys import load_signing_key
from sync.kit_builder import build_kit
from sync.kit_model import Component, StandardsSet, VisitDetails
from tests.server.central_helpers import make_envelope, sign


def applies(standards: StandardsSet, component: str) -> list[str]:
    return [s.ref for s in standards.standards if component in s.applies_to]


def kit_judgements(
    compliance: list[dict[str, Any]], standards: StandardsSet | None = None
) -> list[dict[str, Any]]:
    """Team judgements giving exactly ``compliance`` ({component, applicable, met} rows) for
    the components named; components not named are not judged at all."""
    standards = standards or demo_standards()
    out = []
    for row in compliance:
        refs = applies(standards, row["component"])
        assert row["applicable"] <= len(refs), "the kit has fewer standards for that component"
        for i, ref in enumerate(refs):
            if i < row["met"]:
                value = "met"
            elif i < row["applicable"]:
                value = "not_met"
            else:
                value = "not_applicable"
            out.append(
                {
                    "ref": ref,
                    "component": row["component"],
                    "value": value,
                    "rationale": "",
                    "key": False,
                }
            )
    return out


def with_judgements(envelope: dict[str, Any], judgements: list[dict[str, Any]]) -> dict[str, Any]:
    """``envelope`` with these team judgements, its content hash and signature made again."""
    envelope["findings"]["team_judgements"] = judgements
    envelope["content_sha256"] = content_sha256(envelope["findings"])
    return sign(envelope)


def kit_envelope(
    compliance: list[dict[str, Any]], *, kit_id: str = "kit", **kwargs: Any
) -> dict[str, Any]:
    """:func:`make_envelope` with judgements of the demo kit's own standards."""
    envelope = make_envelope(compliance=compliance, **kwargs)
    envelope["findings"]["visit"]["kit_id"] = kit_id
    return with_judgements(envelope, kit_judgements(compliance))


def build_other_kit(out: Path, **changes: Any) -> VisitDetails:
    """A signed kit of a new visit, the demo's in all but ``changes`` (and its visit id);
    ``component_names`` renames the components in order."""
    names = changes.pop("component_names", None)
    visit = replace(demo_visit(), visit_id=str(uuid.uuid4()), **changes)
    if names is not None:
        visit = replace(
            visit,
            components=tuple(
                Component(c.id, name, c.site, c.patients)
                for c, name in zip(visit.components, names, strict=True)
            ),
        )
    build_kit(
        out,
        visit=visit,
        standards=demo_standards(),
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by="tests",
    )
    return visit
