"""The read model of an open visit: everything the window shows, in memory.

Read once from the workspace on the storage worker (``read_visit_data``), then kept up to date
change by change (``VisitData.apply``), so moving between standards or filtering never waits on
the disk.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewer_app.visit.model import (
    ACCURACY_ANSWER,
    CATEGORIES,
    EVIDENCE_SEEN,
    FINDING,
    JUDGEMENT,
    NOT_ASSESSED,
    NOTE,
    OBSERVATION,
    PHOTO,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    AccuracyAnswer,
    EvidenceSeen,
    Finding,
    Judgement,
    Note,
    Observation,
    Photo,
    TeamJudgement,
    team_judgement_id,
)
from reviewer_app.visit.standards_search import StandardsIndex
from storage import Workspace
from sync.kit_model import SelfAssessmentEntry, Standard, StandardsSetInfo, VisitDetails


@dataclass(frozen=True, slots=True)
class KitDocument:
    """One of the kit's evidence documents, stored in the workspace's blob store."""

    id: str
    title: str
    file: str
    sha256: str
    size: int
    standards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filters:
    not_assessed: bool = False
    not_met: bool = False
    with_notes: bool = False
    key_only: bool = False
    needs_agreement: bool = False  # reviewers differ and no team judgement yet

    @property
    def any(self) -> bool:
        return (
            self.not_assessed
            or self.not_met
            or self.with_notes
            or self.key_only
            or self.needs_agreement
        )


@dataclass(slots=True)
class VisitData:
    visit: VisitDetails
    sections: list[str]
    standards: list[Standard]
    self_assessment: dict[tuple[str, str], SelfAssessmentEntry]
    documents: list[KitDocument]
    member_id: str
    demo: bool
    position: tuple[str, str] | None = None
    # The Quality Standards set the kit carries (title, version, date): the report names it.
    standards_set: StandardsSetInfo | None = None
    judgements: dict[str, Judgement] = field(default_factory=dict)
    evidence_seen: dict[str, EvidenceSeen] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    photos: dict[str, Photo] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)
    # The team's records (set by the lead): keyed by entity id like the rest.
    team_judgements: dict[str, TeamJudgement] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    report_texts: dict[str, str] = field(default_factory=dict)
    # The lead's answers to the provider's factual accuracy comments, by comment id.
    accuracy_answers: dict[str, AccuracyAnswer] = field(default_factory=dict)
    by_ref: dict[str, Standard] = field(default_factory=dict)
    # The judgements again, keyed by (ref, component, member): reading one needs no entity id.
    _judged: dict[tuple[str, str, str], Judgement] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # The standards' words, indexed on the first search (see standards_search.py).
    _search_index: StandardsIndex | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.by_ref = {s.ref: s for s in self.standards}
        self._judged = {(j.ref, j.component, j.member_id): j for j in self.judgements.values()}

    # -- keeping up to date -------------------------------------------------------------------

    def apply(self, entity: str, entity_id: str, fields: Mapping[str, Any] | None) -> None:
        """Take one entity's new fields (None: deleted) into the model."""
        table, make = _TABLES.get(entity, (None, None))
        if table is None or make is None:
            return
        records: dict[str, Any] = getattr(self, table)
        old = records.pop(entity_id, None) if fields is None else None
        if fields is not None:
            records[entity_id] = make(entity_id, fields)
        if entity == JUDGEMENT:
            if fields is not None:
                new: Judgement = records[entity_id]
                self._judged[(new.ref, new.component, new.member_id)] = new
            elif isinstance(old, Judgement):
                self._judged.pop((old.ref, old.component, old.member_id), None)

    def take(self, other: VisitData) -> None:
        """Become ``other`` (a fresh read after an import), in place: every screen holding this
        object sees the new records without being given a new one."""
        for name in (f.name for f in dataclasses.fields(self)):
            setattr(self, name, getattr(other, name))

    # -- questions the window asks ------------------------------------------------------------

    def judgement(self, ref: str, component: str, member_id: str | None = None) -> Judgement:
        member = member_id or self.member_id
        found = self._judged.get((ref, component, member))
        return found or Judgement(ref, component, member)

    def judgement_value(self, ref: str, component: str) -> str:
        """My judgement's value (``judgement(...).value``, without making one for each
        standard not judged yet: the navigator asks for 2,000 at once)."""
        found = self._judged.get((ref, component, self.member_id))
        return found.value if found is not None else NOT_ASSESSED

    def team_judgement(self, ref: str, component: str) -> TeamJudgement:
        """The team's judgement (Not yet assessed when the lead has recorded none)."""
        found = self.team_judgements.get(team_judgement_id(ref, component))
        return found or TeamJudgement(ref, component)

    def findings_for(self, component: str | None = None) -> list[Finding]:
        """Findings (of one component, or all), by category order then their own order."""
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        found = [f for f in self.findings.values() if component is None or f.component == component]
        return sorted(found, key=lambda f: (rank.get(f.category, 99), f.order, f.created_at, f.id))

    def applies(self, ref: str, component: str) -> bool:
        return component in self.by_ref[ref].applies_to

    def standards_for(self, component: str) -> list[Standard]:
        return [s for s in self.standards if component in s.applies_to]

    def progress(self, component: str) -> tuple[int, int]:
        """(assessed by me, applicable) for a component."""
        applicable = self.standards_for(component)
        done = sum(1 for s in applicable if self.judgement(s.ref, component).assessed)
        return done, len(applicable)

    def notes_for(self, ref: str) -> list[Note]:
        return [n for n in self.notes.values() if n.ref == ref]

    def evidence_for(self, ref: str, component: str | None = None) -> list[EvidenceSeen]:
        return [
            e
            for e in self.evidence_seen.values()
            if e.ref == ref and (component is None or e.component in ("", component))
        ]

    def photos_for(self, ref: str) -> list[Photo]:
        return [p for p in self.photos.values() if p.ref == ref]

    def observations_for(self, ref: str) -> list[Observation]:
        return [o for o in self.observations.values() if ref in o.refs]

    def documents_for(self, ref: str) -> list[KitDocument]:
        return [d for d in self.documents if ref in d.standards]

    def document(self, doc_id: str) -> KitDocument | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    def search(self, query: str) -> list[str]:
        """Refs of the standards with a word starting with each word of ``query``, in kit
        order (their texts only: ``matching`` adds my notes). Fast enough for every keystroke."""
        return self.prepare_search().search(query)

    def prepare_search(self) -> StandardsIndex:
        """The standards' search index, built now if not yet (75 ms for 2,000 standards): the
        navigator has it built on a thread of its own before the reviewer first types."""
        index = self._search_index
        if index is None or index.source is not self.standards:  # (re-read by ``take``)
            index = self._search_index = StandardsIndex(self.standards)
        return index

    def refs_with_my_notes(self) -> set[str]:
        return {n.ref for n in self.notes.values() if n.author == self.member_id}

    def matching(
        self,
        component: str,
        filters: Filters,
        search_hits: Iterable[str] | None = None,
        query: str = "",
    ) -> list[str]:
        """Refs to show for a component, in kit order.

        ``search_hits`` are the refs the full-text index found (None: no search); a note of mine
        containing the query matches too. (The navigator filters with the same tags.)
        """
        from reviewer_app.visit import filter_tags  # noqa: PLC0415 (cycle)

        passes = filter_tags.compiled(filters).match
        tags = filter_tags.row_tags(self, component, filters, search_hits, query)
        return [ref for ref, tag in tags.items() if passes(tag)]


_TABLES: dict[str, tuple[str, Any]] = {
    JUDGEMENT: ("judgements", Judgement.from_fields),
    EVIDENCE_SEEN: ("evidence_seen", EvidenceSeen.from_fields),
    NOTE: ("notes", Note.from_fields),
    PHOTO: ("photos", Photo.from_fields),
    OBSERVATION: ("observations", Observation.from_fields),
    TEAM_JUDGEMENT: ("team_judgements", TeamJudgement.from_fields),
    FINDING: ("findings", Finding.from_fields),
    REPORT_TEXT: ("report_texts", lambda _id, f: str(f.get("text") or "")),
    ACCURACY_ANSWER: ("accuracy_answers", AccuracyAnswer.from_fields),
}


def _standards_set(manifest: Mapping[str, Any]) -> StandardsSetInfo | None:
    """The manifest's standards set, or None when it is missing or unreadable (the kit was
    checked when it was opened; a report without the set's name is better than no report)."""
    try:
        return StandardsSetInfo.from_dict(manifest.get("standards_set"), "standards_set")
    except ValueError:
        return None


def read_visit_data(ws: Workspace) -> VisitData:
    """Read the whole visit (runs on the storage worker)."""
    info = ws.kit_info()
    if info is None:
        raise ValueError("this workspace has no kit loaded; open the visit's kit again")
    manifest = json.loads(info["manifest_json"])
    position = ws.get_local("position")
    data = VisitData(
        visit=VisitDetails.from_dict(manifest["visit"]),
        sections=ws.sections(),
        standards=[Standard.from_dict(s, f"standard {s.get('ref')}") for s in ws.standards()],
        self_assessment={
            (e["ref"], e["component"]): SelfAssessmentEntry.from_dict(e, "self-assessment")
            for e in ws.self_assessment()
        },
        documents=[
            KitDocument(
                id=d["id"],
                title=d["title"],
                file=d["file"],
                sha256=d["sha256"],
                size=int(d["size"]),
                standards=tuple(d.get("standards", ())),
            )
            for d in ws.evidence_index()
        ],
        member_id=str(ws.get_local("member_id") or ""),
        demo=ws.get_local("demo") in ("1", 1, True),
        position=(
            (str(position["ref"]), str(position["component"]))
            if isinstance(position, dict)
            else None
        ),
        standards_set=_standards_set(manifest),
    )
    for entity in _TABLES:
        for entity_id, fields in ws.entities(entity).items():
            data.apply(entity, entity_id, fields)
    return data
