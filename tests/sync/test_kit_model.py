"""The kit's records: ``to_dict``/``from_dict`` by the fields' types, and each class's own rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from sync.kit_model import (
    Component,
    EvidenceDoc,
    FileEntry,
    KitDataError,
    KitManifest,
    Member,
    Organisation,
    Part,
    SelfAssessmentEntry,
    Session,
    Site,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
    _Record,
    evidence_from_list,
    self_assessment_from_list,
)

INFO = StandardsSetInfo("hn", "Haemoglobin disorders", "4", "2024-01-01")
STANDARD = Standard(
    "HN-101",
    "Information",
    "Leaflet",
    "Patients get a leaflet.",
    (Part("a", "what it is"), Part("b", "who to call")),
    "The leaflet",
    key=True,
    applies_to=("SC", "LT"),
    order=3,
    notes=(("Guidance", "See NICE"), ("Source", "QS 1")),
)
VISIT = VisitDetails(
    visit_id="v1",
    programme="Haemoglobin disorders",
    title="Example Trust",
    network="North",
    organisations=(Organisation("o1", "Example Trust"),),
    sites=(Site("s1", "General", "o1", "SC"),),
    components=(Component("SC", "Specialist centre", "s1"), Component("LT", "Local team")),
    start_date="2025-03-04",
    end_date="2025-03-05",
    venue="Room 1",
    timetable=(
        Session(
            "t1", "2025-03-04", "09:00", "10:00", "Welcome", "Room 1", "A", ("m1",), ("HN-101",)
        ),
    ),
    team=(
        Member("m1", "Dr A", "Consultant", "Trust", lead=True, subteam="A"),
        Member("m2", "B", "Nurse"),
    ),
)
MANIFEST = KitManifest(
    kit_id="k1",
    visit=VISIT,
    standards_set=INFO,
    created_at="2025-02-01T10:00:00Z",
    created_by="Admin",
    signing_key_id="key1",
    team_key=bytes(range(32)),
    files={"visit.json": FileEntry("ab" * 32, 10), "a.pdf": FileEntry("0" * 64, 0)},
)

RECORDS: list[tuple[type[_Record], Any]] = [
    (Organisation, VISIT.organisations[0]),
    (Site, VISIT.sites[0]),
    (Site, Site("s2", "Other")),
    (Component, VISIT.components[0]),
    (Member, VISIT.team[0]),
    (Member, VISIT.team[1]),
    (Session, VISIT.timetable[0]),
    (StandardsSetInfo, INFO),
    (VisitDetails, VISIT),
    (Part, STANDARD.parts[0]),
    (Standard, STANDARD),
    (Standard, Standard("HN-102", "Information", "Title", "Requirement")),
    (StandardsSet, StandardsSet(INFO, ("Information", "Staffing"), (STANDARD,))),
    (SelfAssessmentEntry, SelfAssessmentEntry("HN-101", "SC", "met", "Yes", ("E1", "E2"))),
    (EvidenceDoc, EvidenceDoc("E1", "Leaflet", "evidence/E1.pdf", ("HN-101",))),
    (FileEntry, FileEntry("ab" * 32, 10)),
    (KitManifest, MANIFEST),
]


def _json(value: Any) -> str:
    """The text a kit would hold (key order kept)."""
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(("cls", "record"), RECORDS, ids=lambda v: getattr(v, "__name__", ""))
def test_round_trip(cls: type[_Record], record: Any) -> None:
    d = record.to_dict()
    assert d == json.loads(_json(d))  # plain JSON values only: lists, never tuples
    assert cls.from_dict(json.loads(_json(d)), "x") == record
    assert _json(cls.from_dict(d, "x").to_dict()) == _json(d)


def test_to_dict_keys_order_and_lists() -> None:
    assert _json(STANDARD.to_dict()) == _json(
        {
            "ref": "HN-101",
            "section": "Information",
            "title": "Leaflet",
            "requirement": "Patients get a leaflet.",
            "parts": [{"label": "a", "text": "what it is"}, {"label": "b", "text": "who to call"}],
            "evidence_expected": "The leaflet",
            "key": True,
            "applies_to": ["SC", "LT"],
            "order": 3,
            "notes": [
                {"name": "Guidance", "value": "See NICE"},
                {"name": "Source", "value": "QS 1"},
            ],
        }
    )
    assert _json(VISIT.team[1].to_dict()) == _json(
        {
            "member_id": "m2",
            "name": "B",
            "role": "Nurse",
            "organisation": "",
            "lead": False,
            "subteam": "",
        }
    )
    standards = StandardsSet(INFO, ("Information",), (STANDARD,)).to_dict()
    assert list(standards) == ["set", "sections", "standards"]
    assert standards["set"] == {
        "id": "hn",
        "title": "Haemoglobin disorders",
        "version": "4",
        "date": "2024-01-01",
    }
    assert list(VISIT.to_dict()) == [
        "visit_id", "programme", "title", "network", "organisations", "sites", "components",
        "start_date", "end_date", "venue", "timetable", "team",
    ]  # fmt: skip
    assert isinstance(VISIT.to_dict()["timetable"][0]["attendees"], list)


def test_manifest_to_dict() -> None:
    d = MANIFEST.to_dict()
    assert list(d) == [
        "format", "format_version", "kit_id", "visit_id", "created_at", "created_by",
        "signing_key_id", "visit", "standards_set", "team_key", "files",
    ]  # fmt: skip
    assert d["visit_id"] == "v1"
    assert d["team_key"] == bytes(range(32)).hex()
    assert d["files"] == {
        "a.pdf": {"sha256": "0" * 64, "size": 0},
        "visit.json": {"sha256": "ab" * 32, "size": 10},
    }
    assert list(d["files"]) == ["a.pdf", "visit.json"]


def test_defaults_when_absent() -> None:
    visit = VisitDetails.from_dict(
        {
            "visit_id": "v1",
            "programme": "P",
            "title": "T",
            "start_date": "2025-03-04",
            "components": [{"id": "SC", "name": "Centre"}],
        }
    )
    assert (visit.network, visit.venue, visit.end_date) == ("", "", "2025-03-04")
    assert visit.organisations == visit.sites == visit.timetable == visit.team == ()
    blank_end = VisitDetails.from_dict({**visit.to_dict(), "end_date": ""})
    assert blank_end.end_date == "2025-03-04"
    standard = Standard.from_dict(
        {"ref": "R", "section": "S", "title": "T", "requirement": "Q"}, "s"
    )
    assert standard == Standard("R", "S", "T", "Q")
    member = Member.from_dict(
        {"member_id": "m", "name": "N", "role": "R", "organisation": None}, "m"
    )
    assert (member.organisation, member.lead) == ("", False)


def test_sections_default_to_order_of_first_appearance() -> None:
    def standard(ref: str, section: str) -> dict[str, Any]:
        return Standard(ref, section, "T", "Q").to_dict()

    d = {
        "set": INFO.to_dict(),
        "standards": [standard("1", "B"), standard("2", "A"), standard("3", "B")],
    }
    assert StandardsSet.from_dict(d).sections == ("B", "A")


def _standards() -> dict[str, Any]:
    return StandardsSet(INFO, ("Information",), (STANDARD,)).to_dict()


def _set(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``d`` with the value at ``path`` ("team.1.name") replaced; ``...`` deletes it."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = d
    for p in parents:
        node = node[p]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return d


SAMPLES = {"visit": VISIT.to_dict, "standards": _standards, "manifest": MANIFEST.to_dict}
READERS: dict[str, Any] = {
    "visit": VisitDetails.from_dict,
    "standards": StandardsSet.from_dict,
    "manifest": KitManifest.from_dict,
    "self_assessment": self_assessment_from_list,
    "evidence": evidence_from_list,
}
SHA = "ab" * 32
# (what is read, the path changed in a good sample or a whole input, its new value, the message)
ERRORS: list[tuple[str, str, Any, str]] = [
    # the readers of each type
    ("visit", "", [], "visit: expected an object"),
    ("visit", "visit_id", ..., "visit.visit_id: is missing"),
    ("visit", "title", " ", "visit.title: is empty"),
    ("visit", "venue", 3, "visit.venue: expected text"),
    ("visit", "sites", {}, "visit.sites: expected a list"),
    ("visit", "sites", None, "visit.sites: expected a list"),
    ("visit", "sites.0", "s1", "visit.sites[0]: expected an object"),
    ("visit", "team.1.name", ..., "visit.team[1].name: is missing"),
    ("visit", "team.0.lead", "yes", "visit.team[0].lead: expected true or false"),
    ("visit", "team.0.lead", None, "visit.team[0].lead: expected true or false"),
    ("visit", "timetable.0.attendees.0", 1, "visit.timetable[0].attendees[0]: expected text"),
    (
        "standards",
        "standards.0.order",
        "1",
        "standards.standards[0].order: expected a whole number",
    ),
    (
        "standards",
        "standards.0.order",
        True,
        "standards.standards[0].order: expected a whole number",
    ),
    ("standards", "set", ..., "standards.set: expected an object"),
    ("standards", "set.version", "", "standards.set.version: is empty"),
    ("standards", "sections", "A", "standards.sections: expected a list"),
    # each class's own rules
    ("visit", "components", [], "visit.components: a visit reviews at least one component"),
    ("visit", "components.1.id", "SC", "visit.components: component id 'SC' appears twice"),
    ("visit", "team.1.member_id", "m1", "visit.team: member_id 'm1' appears twice"),
    ("visit", "start_date", ..., "visit.start_date: is missing"),
    (
        "standards",
        "standards.0.notes.1.value",
        ...,
        "standards.standards[0].notes[1].value: is missing",
    ),
    (
        "standards",
        "standards.0.notes.0",
        ["a"],
        "standards.standards[0].notes[0]: expected an object",
    ),
    ("standards", "standards.0.notes", {}, "standards.standards[0].notes: expected a list"),
    (
        "standards",
        "standards",
        [STANDARD.to_dict()] * 2,
        "standards.standards: ref 'HN-101' appears twice",
    ),
    (
        "standards",
        "sections",
        ["Other"],
        "standards.standards[0].section: 'Information' is not one of the sections",
    ),
    (
        "self_assessment",
        "",
        [{"ref": "R", "component": "SC", "claim": "yes"}],
        "self_assessment[0].claim: 'yes' is not one of met, not_met, not_applicable",
    ),
    ("self_assessment", "", {}, "self_assessment: expected a list"),
    (
        "evidence",
        "",
        [{"id": "E1", "title": "T", "file": "f"}] * 2,
        "evidence: evidence id 'E1' appears twice",
    ),
    ("manifest", "format", "zip", "manifest.format: this is not a visit kit manifest"),
    (
        "manifest",
        "format_version",
        2,
        "manifest.format_version: kit format version 2 is not supported by this app"
        " (it reads version 1); update the app",
    ),
    ("manifest", "visit_id", "v2", "manifest.visit_id: differs from visit.visit_id"),
    ("manifest", "visit.team.1.name", ..., "manifest.visit.team[1].name: is missing"),
    ("manifest", "team_key", "zz", "manifest.team_key: is not hexadecimal"),
    ("manifest", "team_key", "ab" * 16, "manifest.team_key: must be 32 bytes"),
    ("manifest", "files", [], "manifest.files: expected an object"),
    (
        "manifest",
        "files",
        {"a": {"sha256": SHA.upper(), "size": 1}},
        "manifest.files['a'].sha256: is not a SHA-256 in lower-case hex",
    ),
    (
        "manifest",
        "files",
        {"a": {"sha256": SHA, "size": -1}},
        "manifest.files['a'].size: is negative",
    ),
    (
        "manifest",
        "files",
        {"a": {"sha256": SHA, "size": "1"}},
        "manifest.files['a'].size: expected a whole number",
    ),
    ("manifest", "created_by", ..., "manifest.created_by: is missing"),
    ("manifest", "standards_set.id", 7, "manifest.standards_set.id: expected text"),
]


@pytest.mark.parametrize(("what", "path", "value", "message"), ERRORS, ids=[e[3] for e in ERRORS])
def test_errors_name_the_path(what: str, path: str, value: Any, message: str) -> None:
    data = _set(SAMPLES[what](), path, value) if path else value
    with pytest.raises(KitDataError) as caught:
        READERS[what](data)
    assert str(caught.value) == message
    assert f"{caught.value.where}: {caught.value.message}" == message


def test_first_error_is_the_first_read() -> None:
    """Each class checks in the same order as ever: a kit's refusal names the same problem."""
    visit = _set(_set(VISIT.to_dict(), "visit_id", ...), "components", [])
    with pytest.raises(KitDataError, match=r"^visit\.components: a visit reviews"):
        VisitDetails.from_dict(visit)
    entry = {"component": "SC", "claim": "maybe"}
    with pytest.raises(KitDataError, match=r"^x\.claim: 'maybe'"):
        SelfAssessmentEntry.from_dict(entry, "x")
    standard = {"notes": [{}], "section": "S", "title": "T", "requirement": "Q"}
    with pytest.raises(KitDataError, match=r"^x\.notes\[0\]\.name: is missing"):
        Standard.from_dict(standard, "x")


def test_a_type_without_a_reader_is_a_programming_error() -> None:
    @dataclass(frozen=True, slots=True)
    class Odd(_Record):
        ratio: float

    with pytest.raises(TypeError, match="no reader"):
        Odd.from_dict({"ratio": 1.5}, "odd")
