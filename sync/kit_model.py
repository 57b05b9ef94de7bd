"""The contents of a visit kit as plain data.

These classes are the contract between the kit builder, the kit reader, the standards importers
and the workspace. Each has ``to_dict()`` (what goes into the JSON files of a kit) and
``from_dict()`` (which validates and raises :class:`KitDataError` naming the path of the bad
value, so a refusal message can say exactly what is wrong).

A standard's ``id`` is its ref: refs are unique within a set and survive a re-issued kit, so a
reviewer's work stays attached to the same standard. Refs are free text; nothing parses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KIT_FORMAT_NAME = "reviewer-app.visit-kit"
KIT_FORMAT_VERSION = 1

CLAIMS = ("met", "not_met", "not_applicable")


class KitDataError(ValueError):
    """A value in a kit (or a kit's inputs) is missing or of the wrong kind."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


# -- small validating readers ------------------------------------------------------------------


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise KitDataError(where, "expected an object")
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise KitDataError(where, "expected a list")
    return value


def _str(d: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = d.get(key)
    if value is None:
        if required:
            raise KitDataError(f"{where}.{key}", "is missing")
        return ""
    if not isinstance(value, str):
        raise KitDataError(f"{where}.{key}", "expected text")
    if required and not value.strip():
        raise KitDataError(f"{where}.{key}", "is empty")
    return value


def _bool(d: Mapping[str, Any], key: str, where: str) -> bool:
    value = d.get(key, False)
    if not isinstance(value, bool):
        raise KitDataError(f"{where}.{key}", "expected true or false")
    return value


def _int(d: Mapping[str, Any], key: str, where: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise KitDataError(f"{where}.{key}", "expected a whole number")
    return value


def _strs(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _list(d.get(key, []), f"{where}.{key}")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise KitDataError(f"{where}.{key}[{i}]", "expected text")
    return tuple(items)


# -- visit details ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Organisation:
        d = _obj(d, where)
        return cls(id=_str(d, "id", where), name=_str(d, "name", where))


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    organisation: str = ""
    reviewed_as: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "reviewed_as": self.reviewed_as,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Site:
        d = _obj(d, where)
        return cls(
            id=_str(d, "id", where),
            name=_str(d, "name", where),
            organisation=_str(d, "organisation", where, required=False),
            reviewed_as=_str(d, "reviewed_as", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class Component:
    """A service, team, level or commissioning body that standards are judged against."""

    id: str
    name: str
    site: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "site": self.site}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Component:
        d = _obj(d, where)
        return cls(
            id=_str(d, "id", where),
            name=_str(d, "name", where),
            site=_str(d, "site", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    name: str
    role: str
    organisation: str = ""
    lead: bool = False
    subteam: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "name": self.name,
            "role": self.role,
            "organisation": self.organisation,
            "lead": self.lead,
            "subteam": self.subteam,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Member:
        d = _obj(d, where)
        return cls(
            member_id=_str(d, "member_id", where),
            name=_str(d, "name", where),
            role=_str(d, "role", where),
            organisation=_str(d, "organisation", where, required=False),
            lead=_bool(d, "lead", where),
            subteam=_str(d, "subteam", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class Session:
    """One timetabled meeting, tour or reading slot. Times are local ``HH:MM``; date ISO."""

    id: str
    date: str
    start: str
    end: str
    title: str
    location: str = ""
    subteam: str = ""
    attendees: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "location": self.location,
            "subteam": self.subteam,
            "attendees": list(self.attendees),
            "standards": list(self.standards),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Session:
        d = _obj(d, where)
        return cls(
            id=_str(d, "id", where),
            date=_str(d, "date", where),
            start=_str(d, "start", where),
            end=_str(d, "end", where),
            title=_str(d, "title", where),
            location=_str(d, "location", where, required=False),
            subteam=_str(d, "subteam", where, required=False),
            attendees=_strs(d, "attendees", where),
            standards=_strs(d, "standards", where),
        )


@dataclass(frozen=True, slots=True)
class StandardsSetInfo:
    id: str
    title: str
    version: str
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "version": self.version, "date": self.date}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> StandardsSetInfo:
        d = _obj(d, where)
        return cls(
            id=_str(d, "id", where),
            title=_str(d, "title", where),
            version=_str(d, "version", where),
            date=_str(d, "date", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class VisitDetails:
    """What a visit is: the ``visit.json`` input of ``kit build``, and the manifest's ``visit``."""

    visit_id: str
    programme: str
    title: str
    network: str
    organisations: tuple[Organisation, ...]
    sites: tuple[Site, ...]
    components: tuple[Component, ...]
    start_date: str
    end_date: str
    venue: str
    timetable: tuple[Session, ...]
    team: tuple[Member, ...]

    @property
    def lead(self) -> Member | None:
        return next((m for m in self.team if m.lead), None)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.team if m.member_id == member_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "programme": self.programme,
            "title": self.title,
            "network": self.network,
            "organisations": [o.to_dict() for o in self.organisations],
            "sites": [s.to_dict() for s in self.sites],
            "components": [c.to_dict() for c in self.components],
            "start_date": self.start_date,
            "end_date": self.end_date,
            "venue": self.venue,
            "timetable": [s.to_dict() for s in self.timetable],
            "team": [m.to_dict() for m in self.team],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "visit") -> VisitDetails:
        d = _obj(d, where)
        components = tuple(
            Component.from_dict(c, f"{where}.components[{i}]")
            for i, c in enumerate(_list(d.get("components", []), f"{where}.components"))
        )
        if not components:
            raise KitDataError(f"{where}.components", "a visit reviews at least one component")
        team = tuple(
            Member.from_dict(m, f"{where}.team[{i}]")
            for i, m in enumerate(_list(d.get("team", []), f"{where}.team"))
        )
        _unique([c.id for c in components], f"{where}.components", "component id")
        _unique([m.member_id for m in team], f"{where}.team", "member_id")
        return cls(
            visit_id=_str(d, "visit_id", where),
            programme=_str(d, "programme", where),
            title=_str(d, "title", where),
            network=_str(d, "network", where, required=False),
            organisations=tuple(
                Organisation.from_dict(o, f"{where}.organisations[{i}]")
                for i, o in enumerate(_list(d.get("organisations", []), f"{where}.organisations"))
            ),
            sites=tuple(
                Site.from_dict(s, f"{where}.sites[{i}]")
                for i, s in enumerate(_list(d.get("sites", []), f"{where}.sites"))
            ),
            components=components,
            start_date=_str(d, "start_date", where),
            end_date=_str(d, "end_date", where, required=False) or _str(d, "start_date", where),
            venue=_str(d, "venue", where, required=False),
            timetable=tuple(
                Session.from_dict(s, f"{where}.timetable[{i}]")
                for i, s in enumerate(_list(d.get("timetable", []), f"{where}.timetable"))
            ),
            team=team,
        )


def _unique(values: Sequence[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise KitDataError(where, f"{what} {v!r} appears twice")
        seen.add(v)


# -- standards -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """A lettered part of a requirement ("a", "b", ...)."""

    label: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Part:
        d = _obj(d, where)
        return cls(label=_str(d, "label", where), text=_str(d, "text", where))


@dataclass(frozen=True, slots=True)
class Standard:
    ref: str
    section: str
    title: str
    requirement: str
    parts: tuple[Part, ...] = ()
    evidence_expected: str = ""
    key: bool = False
    applies_to: tuple[str, ...] = ()
    order: int = 0
    notes: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return self.ref

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "section": self.section,
            "title": self.title,
            "requirement": self.requirement,
            "parts": [p.to_dict() for p in self.parts],
            "evidence_expected": self.evidence_expected,
            "key": self.key,
            "applies_to": list(self.applies_to),
            "order": self.order,
            "notes": [{"name": k, "value": v} for k, v in self.notes],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Standard:
        d = _obj(d, where)
        notes = []
        for i, item in enumerate(_list(d.get("notes", []), f"{where}.notes")):
            n = _obj(item, f"{where}.notes[{i}]")
            notes.append(
                (_str(n, "name", f"{where}.notes[{i}]"), _str(n, "value", f"{where}.notes[{i}]"))
            )
        return cls(
            ref=_str(d, "ref", where),
            section=_str(d, "section", where),
            title=_str(d, "title", where),
            requirement=_str(d, "requirement", where),
            parts=tuple(
                Part.from_dict(p, f"{where}.parts[{i}]")
                for i, p in enumerate(_list(d.get("parts", []), f"{where}.parts"))
            ),
            evidence_expected=_str(d, "evidence_expected", where, required=False),
            key=_bool(d, "key", where),
            applies_to=_strs(d, "applies_to", where),
            order=_int(d, "order", where) if "order" in d else 0,
            notes=tuple(notes),
        )


@dataclass(frozen=True, slots=True)
class StandardsSet:
    """A set of standards: the kit's ``standards.json``.

    ``sections`` keeps the order of the patient pathway; each standard's ``section`` is one of them.
    """

    info: StandardsSetInfo
    sections: tuple[str, ...]
    standards: tuple[Standard, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.info.to_dict(),
            "sections": list(self.sections),
            "standards": [s.to_dict() for s in self.standards],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "standards") -> StandardsSet:
        d = _obj(d, where)
        info = StandardsSetInfo.from_dict(d.get("set"), f"{where}.set")
        standards = tuple(
            Standard.from_dict(s, f"{where}.standards[{i}]")
            for i, s in enumerate(_list(d.get("standards", []), f"{where}.standards"))
        )
        _unique([s.ref for s in standards], f"{where}.standards", "ref")
        sections = _strs(d, "sections", where) or tuple(dict.fromkeys(s.section for s in standards))
        known = set(sections)
        for i, s in enumerate(standards):
            if s.section not in known:
                raise KitDataError(
                    f"{where}.standards[{i}].section", f"{s.section!r} is not one of the sections"
                )
        return cls(info=info, sections=sections, standards=standards)


# -- self-assessment and evidence ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelfAssessmentEntry:
    """The provider's own claim for one standard and component."""

    ref: str
    component: str
    claim: str  # one of CLAIMS
    comment: str = ""
    evidence: tuple[str, ...] = ()  # evidence document ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "component": self.component,
            "claim": self.claim,
            "comment": self.comment,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> SelfAssessmentEntry:
        d = _obj(d, where)
        claim = _str(d, "claim", where)
        if claim not in CLAIMS:
            raise KitDataError(f"{where}.claim", f"{claim!r} is not one of {', '.join(CLAIMS)}")
        return cls(
            ref=_str(d, "ref", where),
            component=_str(d, "component", where),
            claim=claim,
            comment=_str(d, "comment", where, required=False),
            evidence=_strs(d, "evidence", where),
        )


@dataclass(frozen=True, slots=True)
class EvidenceDoc:
    """One of the provider's evidence documents; ``file`` is its path inside the kit."""

    id: str
    title: str
    file: str
    standards: tuple[str, ...] = ()  # refs it supports

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "file": self.file,
            "standards": list(self.standards),
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> EvidenceDoc:
        d = _obj(d, where)
        return cls(
            id=_str(d, "id", where),
            title=_str(d, "title", where),
            file=_str(d, "file", where),
            standards=_strs(d, "standards", where),
        )


def self_assessment_from_list(items: Any, where: str = "self_assessment") -> tuple[
    SelfAssessmentEntry, ...
]:
    return tuple(
        SelfAssessmentEntry.from_dict(e, f"{where}[{i}]")
        for i, e in enumerate(_list(items, where))
    )


def evidence_from_list(items: Any, where: str = "evidence") -> tuple[EvidenceDoc, ...]:
    docs = tuple(
        EvidenceDoc.from_dict(e, f"{where}[{i}]") for i, e in enumerate(_list(items, where))
    )
    _unique([d.id for d in docs], where, "evidence id")
    return docs


# -- the manifest ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class KitManifest:
    kit_id: str
    visit: VisitDetails
    standards_set: StandardsSetInfo
    created_at: str
    created_by: str
    signing_key_id: str
    team_key: bytes
    files: Mapping[str, FileEntry] = field(default_factory=dict)
    format_version: int = KIT_FORMAT_VERSION

    @property
    def visit_id(self) -> str:
        return self.visit.visit_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": KIT_FORMAT_NAME,
            "format_version": self.format_version,
            "kit_id": self.kit_id,
            "visit_id": self.visit.visit_id,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "signing_key_id": self.signing_key_id,
            "visit": self.visit.to_dict(),
            "standards_set": self.standards_set.to_dict(),
            "team_key": self.team_key.hex(),
            "files": {
                name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(self.files.items())
            },
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "manifest") -> KitManifest:
        d = _obj(d, where)
        if d.get("format") != KIT_FORMAT_NAME:
            raise KitDataError(f"{where}.format", "this is not a visit kit manifest")
        version = _int(d, "format_version", where)
        if version != KIT_FORMAT_VERSION:
            raise KitDataError(
                f"{where}.format_version",
                f"kit format version {version} is not supported by this app "
                f"(it reads version {KIT_FORMAT_VERSION}); update the app",
            )
        visit = VisitDetails.from_dict(d.get("visit"), f"{where}.visit")
        if _str(d, "visit_id", where) != visit.visit_id:
            raise KitDataError(f"{where}.visit_id", "differs from visit.visit_id")
        try:
            team_key = bytes.fromhex(_str(d, "team_key", where))
        except ValueError as exc:
            raise KitDataError(f"{where}.team_key", "is not hexadecimal") from exc
        if len(team_key) != 32:
            raise KitDataError(f"{where}.team_key", "must be 32 bytes")
        files: dict[str, FileEntry] = {}
        for name, item in _obj(d.get("files", {}), f"{where}.files").items():
            w = f"{where}.files[{name!r}]"
            entry = _obj(item, w)
            sha = _str(entry, "sha256", w)
            if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                raise KitDataError(f"{w}.sha256", "is not a SHA-256 in lower-case hex")
            size = _int(entry, "size", w)
            if size < 0:
                raise KitDataError(f"{w}.size", "is negative")
            files[name] = FileEntry(sha256=sha, size=size)
        return cls(
            kit_id=_str(d, "kit_id", where),
            visit=visit,
            standards_set=StandardsSetInfo.from_dict(
                d.get("standards_set"), f"{where}.standards_set"
            ),
            created_at=_str(d, "created_at", where),
            created_by=_str(d, "created_by", where),
            signing_key_id=_str(d, "signing_key_id", where),
            team_key=team_key,
            files=files,
            format_version=version,
        )
