"""The contents of a visit kit as plain data.

These classes are the contract between the kit builder, the kit reader, the standards importers
and the workspace. Each has ``to_dict()`` (what goes into the JSON files of a kit) and
``from_dict()`` (which validates and raises :class:`KitDataError` naming the path of the bad
value, so a refusal message can say exactly what is wrong). Both follow the fields' types (see
:class:`_Record`); a class spells out only what its types cannot say.

A standard's ``id`` is its ref: refs are unique within a set and survive a re-issued kit, so a
reviewer's work stays attached to the same standard. Refs are free text; nothing parses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any, ClassVar, Self, TypeVar, get_args, get_origin, get_type_hints

KIT_FORMAT_NAME = "reviewer-app.visit-kit"
KIT_FORMAT_VERSION = 1

CLAIMS = ("met", "not_met", "not_applicable")

# Organisation roles the report words; others are kept as written.
PROVIDER = "provider"
COMMISSIONER = "commissioner"

# Field metadata: text that may be missing or blank although the field has no default.
_OPTIONAL: Mapping[str, Any] = {"optional": True}


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


def _int(d: Mapping[str, Any], key: str, where: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise KitDataError(f"{where}.{key}", "expected a whole number")
    return value


def _int_or_str(d: Mapping[str, Any], key: str, where: str, default: Any) -> int | str:
    """A whole number or a text ("about 250 adults"); ``default`` when absent."""
    value = d.get(key)
    if value is None:
        value = "" if default is MISSING else default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise KitDataError(f"{where}.{key}", "expected a whole number or a text")
    return value


def _unique(values: Sequence[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise KitDataError(where, f"{what} {v!r} appears twice")
        seen.add(v)


# -- records: to_dict / from_dict by the fields' types -----------------------------------------


class _Record:
    """The base of the kit's dataclasses: reads and writes every field by its type.

    ``str`` is required (present and not blank) unless the field has a default (what it reads
    as when absent or blank) or ``_OPTIONAL`` metadata; ``bool`` is false and ``int`` its default
    when absent; ``int | str`` (a count or a short text) is either, its default when absent;
    ``tuple[str, ...]`` and
    ``tuple[<record>, ...]`` are JSON lists (empty when absent); a record is a JSON object.
    ``metadata={"key": ...}`` names a field's JSON key when it is not the field's name. Keys are
    written in field order. A subclass overrides a method only for what its types cannot say.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        return {f.metadata.get("key", f.name): _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Self:
        return _read(cls, d, where)


R = TypeVar("R", bound=_Record)


def _plain(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


Reader = Callable[[Mapping[str, Any], str], Any]
_PLANS: dict[type[_Record], dict[str, Reader]] = {}


def _plan(cls: type[_Record]) -> dict[str, Reader]:
    """A reader for each field of ``cls``, in field order, worked out once per class from the
    field's type (the class's annotations are text): reading a 2,000-standard kit calls them
    tens of thousands of times."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = get_type_hints(cls)
        plan = _PLANS[cls] = {f.name: _reader(f, hints[f.name]) for f in fields(cls)}
    return plan


def _reader(f: Field[Any], tp: Any) -> Reader:
    key = f.metadata.get("key", f.name)
    if tp is str:
        return _str_reader(f, key)
    if tp is bool:

        def read_bool(d: Mapping[str, Any], where: str) -> bool:
            if not isinstance(value := d.get(key, False), bool):
                raise KitDataError(f"{where}.{key}", "expected true or false")
            return value

        return read_bool
    if tp is int:
        default = f.default
        return lambda d, where: (
            default if key not in d and default is not MISSING else _int(d, key, where)
        )
    if tp == int | str:
        return lambda d, where: _int_or_str(d, key, where, f.default)
    if get_origin(tp) is tuple:
        item = get_args(tp)[0]
        return lambda d, where: _items(item, d.get(key, []), f"{where}.{key}")
    return lambda d, where: _one(tp, d.get(key), f"{where}.{key}")


def _str_reader(f: Field[Any], key: str) -> Reader:
    if isinstance(f.default, str) and f.default:
        fallback = f.default  # an older kit without the field reads as it always meant
        return lambda d, where: _str(d, key, where, required=False).strip() or fallback
    required = f.default is MISSING and "optional" not in f.metadata
    return lambda d, where: _str(d, key, where, required=required)


def _read(cls: type[R], d: Any, where: str, **known: Any) -> R:
    """``cls`` from the object ``d``: each field in order, unless ``known`` already has it."""
    d = _obj(d, where)
    plan = _plan(cls)
    if not known:
        return cls(**{name: read(d, where) for name, read in plan.items()})
    return cls(
        **{name: known[name] if name in known else read(d, where) for name, read in plan.items()}
    )


def _field(cls: type[_Record], name: str, d: Mapping[str, Any], where: str) -> Any:
    """The field ``name`` of ``cls``, read from the object ``d`` by its type."""
    return _plan(cls)[name](d, where)


def _items(tp: Any, value: Any, where: str) -> tuple[Any, ...]:
    items = _list(value, where)
    if tp is str and all(type(item) is str for item in items):
        return tuple(items)  # the common case, without a path string per item
    return tuple(_one(tp, item, f"{where}[{i}]") for i, item in enumerate(items))


def _one(tp: Any, value: Any, where: str) -> Any:
    if tp is str:
        if not isinstance(value, str):
            raise KitDataError(where, "expected text")
        return value
    if isinstance(tp, type) and issubclass(tp, _Record):
        return tp.from_dict(value, where)
    raise TypeError(f"{where}: no reader for {tp!r}")  # a field that its class must read itself


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
        return {**_Record.to_dict(self), "notes": [_Note(*n).to_dict() for n in self.notes]}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Self:
        notes = _items(_Note, _obj(d, where).get("notes", []), f"{where}.notes")
        standard = _read(cls, d, where, notes=tuple((n.name, n.value) for n in notes))
        if not standard.requirement.strip() and not standard.parts:
            raise KitDataError(f"{where}.requirement", "is empty")
        return standard


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
    def from_dict(cls, d: Any, where: str) -> Self:
        claim = _str(_obj(d, where), "claim", where)
        if claim not in CLAIMS:
            raise KitDataError(f"{where}.claim", f"{claim!r} is not one of {', '.join(CLAIMS)}")
        return _read(cls, d, where, claim=claim)


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
