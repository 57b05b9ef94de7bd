"""The layout of a visit kit (``.rvkit``) and the limits a reader holds it to.

Shared by :mod:`sync.kit_builder` and :mod:`sync.kit_reader` so that the builder never writes a
kit the reader would refuse. What the files *contain* is :mod:`sync.kit_model`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync.kit_model import EvidenceDoc, SelfAssessmentEntry, StandardsSet, VisitDetails

KIT_SUFFIX = ".rvkit"

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
STANDARDS_NAME = "standards.json"
SELF_ASSESSMENT_NAME = "self_assessment.json"
EVIDENCE_DIR = "evidence/"
EVIDENCE_INDEX_NAME = "evidence/index.json"

#: The JSON files a reader parses (the manifest is parsed separately, after its signature).
CONTENT_JSON_NAMES = (STANDARDS_NAME, SELF_ASSESSMENT_NAME, EVIDENCE_INDEX_NAME)

SIGNATURE_SIZE = 64  # a raw Ed25519 signature

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class KitLimits:
    """What a reader accepts before it reads any content. The defaults fit any real visit.

    - ``max_entries``: entries in the zip directory (files and folders).
    - ``max_total_size``: the sum of the declared uncompressed sizes.
    - ``max_ratio`` / ``ratio_threshold``: an entry that declares more than ``ratio_threshold``
      bytes uncompressed may not be more than ``max_ratio`` times its compressed size (zip bombs).
    - ``max_manifest_size``: ``manifest.json``, read whole before its signature is checked.
    - ``max_json_size``: each of ``standards.json``, ``self_assessment.json`` and
      ``evidence/index.json``, which are parsed in memory.
    """

    max_entries: int = 20_000
    max_total_size: int = 4 * GIB
    max_ratio: int = 100
    ratio_threshold: int = 1 * MIB
    max_manifest_size: int = 8 * MIB
    max_json_size: int = 64 * MIB

    def inflates_too_far(self, size: int, compressed: int) -> bool:
        """Whether an entry of ``size`` bytes, ``compressed`` in the zip, is past the ratio limit.

        The reader refuses such an entry as a zip bomb, so the builder stores it uncompressed.
        """
        return size > self.ratio_threshold and size > self.max_ratio * max(compressed, 1)


DEFAULT_LIMITS = KitLimits()


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: sorted keys, UTF-8, no spaces, no NaN or infinities.

    The manifest is signed as these exact bytes, so the same manifest always gives the same bytes.
    """
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def consistency_problems(
    visit: VisitDetails,
    standards: StandardsSet,
    self_assessment: Sequence[SelfAssessmentEntry] = (),
    evidence: Sequence[EvidenceDoc] = (),
) -> list[str]:
    """Everything that does not fit together between the parts of a kit, one sentence each.

    The checks that cross files, which ``from_dict`` cannot make: a lead in the team; every
    standard's ``applies_to`` names components of the visit (empty means all of them); every
    self-assessment entry names a known standard, a component the standard applies to, and known
    evidence ids, at most once per standard and component; evidence documents support known
    standards. An empty list means the kit is consistent.
    """
    problems: list[str] = []
    leads = [m for m in visit.team if m.lead]
    if not leads:
        problems.append("the team has no lead (mark one member as lead)")
    elif len(leads) > 1:
        names = ", ".join(m.member_id for m in leads)
        problems.append(f"the team has more than one lead ({names})")

    components = [c.id for c in visit.components]
    known_components = set(components)
    applies: dict[str, set[str]] = {}
    for s in standards.standards:
        unknown = [c for c in s.applies_to if c not in known_components]
        if unknown:
            problems.append(
                f"standard {s.ref!r} applies to {_names(unknown)}, which "
                f"{'is not a component' if len(unknown) == 1 else 'are not components'} "
                f"of the visit (components: {_names(components)})"
            )
        applies[s.ref] = set(s.applies_to or components)

    evidence_ids = {d.id for d in evidence}
    seen: set[tuple[str, str]] = set()
    for i, e in enumerate(self_assessment):
        where = f"self-assessment entry {i + 1} ({e.ref!r}, {e.component!r})"
        if e.ref not in applies:
            problems.append(f"{where} names a standard that is not in the standards set")
        elif e.component not in known_components:
            problems.append(f"{where} names a component that is not part of the visit")
        elif e.component not in applies[e.ref]:
            problems.append(f"{where}: the standard does not apply to that component")
        if (e.ref, e.component) in seen:
            problems.append(f"{where} appears more than once")
        seen.add((e.ref, e.component))
        missing = [x for x in e.evidence if x not in evidence_ids]
        if missing:
            problems.append(f"{where} cites evidence {_names(missing)} that the kit does not have")

    for d in evidence:
        unknown = [r for r in d.standards if r not in applies]
        if unknown:
            problems.append(
                f"evidence {d.id!r} supports {_names(unknown)}, not in the standards set"
            )
    return problems


def _names(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)
