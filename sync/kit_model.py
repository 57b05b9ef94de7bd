"""The contents of a visit kit as plain data.

These classes are the contract between the kit builder, the kit reader, the standards importers
and the workspace. Each has ``to_dict()`` (what goes into the JSON files of a kit) and
``from_dict()`` (which validates and raises :class:`KitDataError` naming the path of the bad
value, so a refusal message can say exactly what is wrong). Both follow the fields' types (see
:mod:`storage.records`); a class spells out only what its types cannot say.

A standard's ``id`` is its ref: refs are unique within a set and survive a re-issued kit, so a
reviewer's work stays attached to the same standard. Refs are free text; nothing parses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self, TypeVar

from storage import records
from storage.records import OPTIONAL, ErrorType, Record, RecordError, read, read_field

KIT_FORMAT_NAME = "reviewer-app.visit-kit"
KIT_FORMAT_VERSION = 1

CLAIMS = ("met", "not_met", "not_applicable")

# Organisation roles the report words; others are kept as written.
PROVIDER = "provider"
COMMISSIONER = "commissioner"

# Field metadata: text that may be missing or blank although the field has no default.
_OPTIONAL = OPTIONAL


class KitDataError(RecordError):
    """A value in a kit (or a kit's inputs) is missing or of the wrong kind."""


# -- small validating readers, raising KitDataError --------------------------------------------


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    return records.as_object(value, where, KitDataError)


def _str(d: Mapping[str, Any], key: str, where: str) -> str:
    return records.text(d, key, where, error=KitDataError)


def _int(d: Mapping[str, Any], key: str, where: str) -> int:
    return records.whole(d, key, where, KitDataError)


def _items(tp: Any, value: Any, where: str) -> tuple[Any, ...]:
    return records.read_items(tp, value, where, KitDataError)


def _unique(values: Sequence[str], where: str, what: str) -> None:
    records.unique(values, where, what, KitDataError)


# -- records: to_dict / from_dict by the fields' types -----------------------------------------


class _Record(Record):
    """The base of the kit's dataclasses: a :class:`storage.records.Record` raising
    :class:`KitDataError`. A subclass overrides a method only for what its types cannot say."""

    __slots__ = ()
    record_error: ClassVar[ErrorType] = KitDataError


_read = read
_field = read_field


# -- visit details ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organisation(_Record):
    """An organisation of the visit. ``role`` says what it is to the services reviewed:
    ``"provider"`` (the default, and what a kit without roles meant) or ``"commissioner"``;
    the report names each by its role. Other roles are kept and shown as written."""

    id: str
    name: str
    role: str = PROVIDER


@dataclass(frozen=True, slots=True)
class Site(_Record):
    id: str
    name: str
    organisation: str = ""
    reviewed_as: str = ""


@dataclass(frozen=True, slots=True)
class Component(_Record):
    """A service, team, level or commissioning body that standards are judged against."""

    id: str
    name: str
    site: str = ""
    # How many patients the service cares for, as visit.json gives it: a whole number or a
    # short text ("about 250 adults"); "" when not given (the report then shows no column).
    patients: int | str = ""


@dataclass(frozen=True, slots=True)
class Member(_Record):
    member_id: str
    name: str
    role: str
    organisation: str = ""
    lead: bool = False
    subteam: str = ""


@dataclass(frozen=True, slots=True)
class Session(_Record):
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


@dataclass(frozen=True, slots=True)
class StandardsSetInfo(_Record):
    id: str
    title: str
    version: str
    date: str = ""


@dataclass(frozen=True, slots=True)
class VisitDetails(_Record):
    """What a visit is: the ``visit.json`` input of ``kit build``, and the manifest's ``visit``."""

    visit_id: str
    programme: str
    title: str
    network: str = field(metadata=_OPTIONAL)
    organisations: tuple[Organisation, ...]
    sites: tuple[Site, ...]
    components: tuple[Component, ...]
    start_date: str
    end_date: str = field(metadata=_OPTIONAL)  # read as start_date when missing or empty
    venue: str = field(metadata=_OPTIONAL)
    timetable: tuple[Session, ...]
    team: tuple[Member, ...]

    @property
    def lead(self) -> Member | None:
        return next((m for m in self.team if m.lead), None)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.team if m.member_id == member_id), None)

    @classmethod
    def from_dict(cls, d: Any, where: str = "visit") -> Self:
        d = _obj(d, where)
        components: tuple[Component, ...] = _field(cls, "components", d, where)
        if not components:
            raise KitDataError(f"{where}.components", "a visit reviews at least one component")
        team: tuple[Member, ...] = _field(cls, "team", d, where)
        _unique([c.id for c in components], f"{where}.components", "component id")
        _unique([m.member_id for m in team], f"{where}.team", "member_id")
        visit = _read(cls, d, where, components=components, team=team)
        return visit if visit.end_date else replace(visit, end_date=visit.start_date)


# -- standards -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part(_Record):
    """A lettered part of a requirement ("a", "b", ...)."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class _Note(_Record):
    """One of a standard's notes as a kit stores it; :class:`Standard` keeps ``(name, value)``."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Standard(_Record):
    """A standard; ``requirement`` is its stem, which may be empty when it has parts (a
    requirement that is only a list "a. ... b. ...")."""

    ref: str
    section: str
    title: str
    requirement: str = field(metadata=_OPTIONAL)
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
        # Spelt out (what Record.to_dict gives, tested): a kit holds thousands of standards.
        return {
            "ref": self.ref,
            "section": self.section,
            "title": self.title,
            "requirement": self.requirement,
            "parts": [{"label": p.label, "text": p.text} for p in self.parts],
            "evidence_expected": self.evidence_expected,
            "key": self.key,
            "applies_to": list(self.applies_to),
            "order": self.order,
            "notes": [{"name": name, "value": value} for name, value in self.notes],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "standard") -> Self:
        return _plain_standard(cls, d) or cls._read(d, where)

    @classmethod
    def _read(cls, d: Any, where: str) -> Self:
        """The standard read field by field by their types, refusing with the path of a bad
        value."""
        notes = _items(_Note, _obj(d, where).get("notes", []), f"{where}.notes")
        standard = _read(cls, d, where, notes=tuple((n.name, n.value) for n in notes))
        if not standard.requirement.strip() and not standard.parts:
            raise KitDataError(f"{where}.requirement", "is empty")
        return standard


def _plain_standard(cls: type[_S], d: Any) -> _S | None:
    """A standard whose every value is of the plain kind :meth:`Standard._read` takes
    without a question (a kit of 2,000 standards is read several times faster so), or
    ``None``: the field-by-field reading then says what is wrong, or reads what is odd but
    right. Gives exactly what ``_read`` gives (tested)."""
    if type(d) is not dict:
        return None
    ref, section, title = d.get("ref"), d.get("section"), d.get("title")
    requirement = d.get("requirement", "")
    evidence = d.get("evidence_expected", "")
    key, order = d.get("key", False), d.get("order", 0)
    parts, applies_to, notes = d.get("parts", []), d.get("applies_to", []), d.get("notes", [])
    if not (
        type(ref) is str
        and type(section) is str
        and type(title) is str
        and type(requirement) is str
        and type(evidence) is str
        and type(key) is bool
        and type(order) is int
        and type(parts) is list
        and type(applies_to) is list
        and type(notes) is list
        and ref.strip()
        and section.strip()
        and title.strip()
        and (parts or requirement.strip())
        and all(type(a) is str for a in applies_to)
    ):
        return None
    plain_parts = _plain_pairs(parts, "label", "text")
    plain_notes = _plain_pairs(notes, "name", "value")
    if plain_parts is None or plain_notes is None:
        return None
    return cls(
        ref=ref,
        section=section,
        title=title,
        requirement=requirement,
        parts=tuple(Part(label, text) for label, text in plain_parts),
        evidence_expected=evidence,
        key=key,
        applies_to=tuple(applies_to),
        order=order,
        notes=tuple(plain_notes),
    )


def _plain_pairs(items: list[Any], first: str, second: str) -> list[tuple[str, str]] | None:
    """``(item[first], item[second])`` of each object of ``items`` when both are text that is
    not blank; else ``None``."""
    pairs = []
    for item in items:
        if type(item) is not dict:
            return None
        a, b = item.get(first), item.get(second)
        if not (type(a) is str and type(b) is str and a.strip() and b.strip()):
            return None
        pairs.append((a, b))
    return pairs


_S = TypeVar("_S", bound=Standard)


@dataclass(frozen=True, slots=True)
class StandardsSet(_Record):
    """A set of standards: the kit's ``standards.json``.

    ``sections`` keeps the order of the patient pathway; each standard's ``section`` is one of them.
    """

    info: StandardsSetInfo = field(metadata={"key": "set"})
    sections: tuple[str, ...]
    standards: tuple[Standard, ...]

    @classmethod
    def from_dict(cls, d: Any, where: str = "standards") -> Self:
        d = _obj(d, where)
        info = _field(cls, "info", d, where)
        standards: tuple[Standard, ...] = _field(cls, "standards", d, where)
        _unique([s.ref for s in standards], f"{where}.standards", "ref")
        sections = _field(cls, "sections", d, where) or tuple(
            dict.fromkeys(s.section for s in standards)
        )
        known = set(sections)
        for i, s in enumerate(standards):
            if s.section not in known:
                raise KitDataError(
                    f"{where}.standards[{i}].section", f"{s.section!r} is not one of the sections"
                )
        return cls(info=info, sections=sections, standards=standards)


# -- self-assessment and evidence ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelfAssessmentEntry(_Record):
    """The provider's own claim for one standard and component."""

    ref: str
    component: str
    claim: str  # one of CLAIMS
    comment: str = ""
    evidence: tuple[str, ...] = ()  # evidence document ids

    @classmethod
    def from_dict(cls, d: Any, where: str = "self_assessment") -> Self:
        return _plain_entry(cls, d) or cls._read(d, where)

    @classmethod
    def _read(cls, d: Any, where: str) -> Self:
        """The entry read field by field, refusing with the path of a bad value."""
        claim = _str(_obj(d, where), "claim", where)
        if claim not in CLAIMS:
            raise KitDataError(f"{where}.claim", f"{claim!r} is not one of {', '.join(CLAIMS)}")
        return _read(cls, d, where, claim=claim)


_E = TypeVar("_E", bound=SelfAssessmentEntry)


def _plain_entry(cls: type[_E], d: Any) -> _E | None:
    """An entry whose every value is of the plain kind :meth:`SelfAssessmentEntry._read`
    takes without a question (a kit has one for each standard and component), or ``None``
    (the field-by-field reading then says what is wrong). Gives exactly what ``_read``
    gives (tested)."""
    if type(d) is not dict:
        return None
    ref, component, claim = d.get("ref"), d.get("component"), d.get("claim")
    comment, evidence = d.get("comment", ""), d.get("evidence", [])
    if not (
        type(ref) is str
        and type(component) is str
        and type(claim) is str
        and type(comment) is str
        and type(evidence) is list
        and claim in CLAIMS
        and ref.strip()
        and component.strip()
        and all(type(e) is str for e in evidence)
    ):
        return None
    return cls(ref=ref, component=component, claim=claim, comment=comment, evidence=tuple(evidence))


@dataclass(frozen=True, slots=True)
class EvidenceDoc(_Record):
    """One of the provider's evidence documents; ``file`` is its path inside the kit."""

    id: str
    title: str
    file: str
    standards: tuple[str, ...] = ()  # refs it supports


def self_assessment_from_list(
    items: Any, where: str = "self_assessment"
) -> tuple[SelfAssessmentEntry, ...]:
    return _items(SelfAssessmentEntry, items, where)


def evidence_from_list(items: Any, where: str = "evidence") -> tuple[EvidenceDoc, ...]:
    docs: tuple[EvidenceDoc, ...] = _items(EvidenceDoc, items, where)
    _unique([d.id for d in docs], where, "evidence id")
    return docs


# -- the manifest ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileEntry(_Record):
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class KitManifest(_Record):
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
            "files": {name: f.to_dict() for name, f in sorted(self.files.items())},
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "manifest") -> Self:
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
        visit: VisitDetails = _field(cls, "visit", d, where)
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
        return _read(
            cls, d, where, format_version=version, visit=visit, team_key=team_key, files=files
        )
