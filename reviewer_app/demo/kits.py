"""The demo visit, and scaled synthetic kits for benchmarks.

The demo key's private half ships with the app on purpose: the demo kit has to be signed on any
laptop. That is exactly why the demo key is trusted only in demo mode (``reviewer-app --demo``),
and why a visit signed with it says DEMO on screen.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import replace
from pathlib import Path

from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.visit.workspaces import open_kit, workspace_path
from sync.kit_model import (
    EvidenceDoc,
    KitManifest,
    Part,
    SelfAssessmentEntry,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
    evidence_from_list,
    self_assessment_from_list,
)

DEMO_PRIVATE_KEY = DEMO_DIR / "demo_key"
DEMO_CREATED_BY = "Reviewer App demo"


def demo_visit() -> VisitDetails:
    return VisitDetails.from_dict(_load_json(DEMO_DIR / "visit.json"), "visit.json")


def demo_standards() -> StandardsSet:
    return StandardsSet.from_dict(_load_json(DEMO_DIR / "standards.json"), "standards.json")


def demo_self_assessment() -> tuple[SelfAssessmentEntry, ...]:
    return self_assessment_from_list(_load_json(DEMO_DIR / "self_assessment.json"))


def demo_evidence() -> list[tuple[EvidenceDoc, Path]]:
    folder = DEMO_DIR / "evidence"
    docs = evidence_from_list(_load_json(folder / "index.json"))
    return [(d, folder / d.file) for d in docs]


def _load_json(path: Path) -> object:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def build_demo_kit(
    out: Path,
    *,
    standards: int | None = None,
    evidence_files: int | None = None,
    evidence_mb: float | None = None,
) -> KitManifest:
    """Build the demo kit, or, given sizes, a synthetic kit of that scale for benchmarks.

    A synthetic kit keeps the demo visit (its team, components and timetable) so it opens like
    the demo, with ``standards`` generated standards and ``evidence_files`` documents of
    ``evidence_mb`` megabytes in all (incompressible bytes, as real PDFs mostly are).
    """
    # Imported here: the window reopens a prepared demo without the kit machinery.
    from sync.keys import load_signing_key  # noqa: PLC0415
    from sync.kit_builder import build_kit  # noqa: PLC0415

    key = load_signing_key(DEMO_PRIVATE_KEY)
    visit = demo_visit()
    if standards is None and evidence_files is None and evidence_mb is None:
        return build_kit(
            out,
            visit=visit,
            standards=demo_standards(),
            signing_key=key,
            created_by=DEMO_CREATED_BY,
            self_assessment=demo_self_assessment(),
            evidence=demo_evidence(),
        )
    std_set = synthetic_standards(standards or 60, [c.id for c in visit.components])
    with tempfile.TemporaryDirectory(prefix="rv-demo-", dir=out.parent) as tmp:
        evidence = _synthetic_evidence(
            Path(tmp), evidence_files or 0, evidence_mb or 0.0, std_set.standards
        )
        return build_kit(
            out,
            visit=replace(visit, timetable=()),
            standards=std_set,
            signing_key=key,
            created_by=DEMO_CREATED_BY,
            evidence=evidence,
        )


SECTIONS = (
    "Information and support for patients and carers",
    "Staffing",
    "Support services",
    "Facilities and equipment",
    "Guidelines and protocols",
    "Service organisation and liaison",
    "Governance",
    "Network",
    "Commissioning",
)


def synthetic_standards(count: int, components: list[str], seed: int = 7) -> StandardsSet:
    """``count`` plausible-looking standards spread over the usual sections."""
    rng = random.Random(seed)
    per_section = max(1, -(-count // len(SECTIONS)))
    items = []
    for i in range(count):
        section_no = min(i // per_section, len(SECTIONS) - 1)
        ref = f"SY-{section_no + 1}{i % per_section + 1:03d}"
        parts = tuple(
            Part(label=chr(ord("a") + p), text=f"documented arrangement {p + 1} for item {i + 1}")
            for p in range(rng.randint(0, 4))
        )
        items.append(
            Standard(
                ref=ref,
                section=SECTIONS[section_no],
                title=f"Synthetic standard {i + 1}",
                requirement=(
                    f"The service should have arrangements for synthetic requirement {i + 1}, "
                    "agreed with the network and reviewed at least every three years."
                ),
                parts=parts,
                evidence_expected="Written arrangements; minutes of the last review.",
                key=rng.random() < 0.2,
                applies_to=tuple(c for c in components if rng.random() < 0.8) or (components[0],),
                order=i,
            )
        )
    info = StandardsSetInfo(id="synthetic", title="Synthetic standards", version="1")
    return StandardsSet(info=info, sections=SECTIONS, standards=tuple(items))


def _synthetic_evidence(
    folder: Path, files: int, megabytes: float, standards: tuple[Standard, ...]
) -> list[tuple[EvidenceDoc, Path]]:
    if files <= 0:
        return []
    size = int(megabytes * 1024 * 1024 / files)
    out = []
    for i in range(files):
        path = folder / f"evidence-{i + 1:04d}.pdf"
        with open(path, "wb") as fh:
            fh.write(b"%PDF-1.4\n% synthetic evidence\n")
            fh.write(os.urandom(max(0, size - 32)))
        links = tuple(s.ref for s in standards[i :: max(1, files)][:3])
        doc = EvidenceDoc(
            id=f"E{i + 1:04d}", title=f"Evidence document {i + 1}", file=path.name, standards=links
        )
        out.append((doc, path))
    return out


def prepare_demo(paths: AppPaths) -> str:
    """Make sure the demo visit has a workspace here; return its visit id (slow the first time).

    The demo opens as the team's lead, so every part of the app can be tried.
    """
    visit = demo_visit()
    if workspace_path(paths, visit.visit_id).exists():
        return visit.visit_id
    lead = visit.lead
    assert lead is not None, "the demo visit has a lead"
    paths.cache.mkdir(parents=True, exist_ok=True)
    kit = paths.cache / "demo.rvkit"
    build_demo_kit(kit)
    return open_kit(kit, lead.member_id, paths=paths, demo=True).visit_id
