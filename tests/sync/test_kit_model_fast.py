"""A standard read from a kit the quick way (every value plain) is exactly what reading it field
by field gives, and a standard written out is what the generic writer gives: for any JSON a
kit could hold, right or wrong."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.records import Record
from sync.kit_model import KitDataError, Part, SelfAssessmentEntry, Standard

WORDS = st.sampled_from(["a", "HN-101", "Safe staffing", " x ", "é"])
BLANK = st.sampled_from(["", " ", "\t"])
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False), BLANK,
    st.text(max_size=3), st.lists(WORDS, max_size=1), st.just({}),
)  # fmt: skip
GOOD = {
    "ref": WORDS,
    "section": WORDS,
    "title": WORDS,
    "requirement": st.one_of(WORDS, BLANK),
    "parts": st.lists(st.fixed_dictionaries({"label": WORDS, "text": WORDS}), max_size=3),
    "evidence_expected": st.one_of(WORDS, BLANK),
    "key": st.booleans(),
    "applies_to": st.lists(WORDS, max_size=3),
    "order": st.integers(-5, 5),
    "notes": st.lists(st.fixed_dictionaries({"name": WORDS, "value": WORDS}), max_size=2),
}
REQUIRED = ("ref", "section", "title")
PAIRS = ("parts", "notes")


@st.composite
def standards(draw: st.DrawFn) -> Any:
    """A standard as a kit holds it, right, or wrong in one to three places (a value of
    another kind, a key left out, an odd part or note), or not an object at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(ODD)
    d: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {k: GOOD[k] for k in REQUIRED},
            optional={k: v for k, v in GOOD.items() if k not in REQUIRED},
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*GOOD, "extra"]))
        how = draw(st.sampled_from(["value", "drop", "inner"]))
        if how == "drop":
            d.pop(key, None)
        elif how == "inner" and key in PAIRS and isinstance(d.get(key), list) and d[key]:
            items = list(d[key])
            i = draw(st.integers(0, len(items) - 1))
            if draw(st.booleans()) or not isinstance(items[i], dict):
                items[i] = draw(ODD)
            else:
                items[i] = {**items[i], draw(st.sampled_from(list(items[i]))): draw(ODD)}
            d[key] = items
        elif how == "inner" and key == "applies_to" and isinstance(d.get(key), list) and d[key]:
            d[key] = [*d[key][:-1], draw(ODD)]
        else:
            d[key] = draw(ODD)
    return d


STANDARDS = standards()


def read_both(d: Any) -> tuple[Any, Any]:
    """(the quick reading, the field-by-field one): a standard or the error's text each."""
    results: list[Any] = []
    for read in (Standard.from_dict, Standard._read):
        try:
            results.append(read(d, "s"))
        except KitDataError as exc:
            results.append(str(exc))
    return results[0], results[1]


@settings(max_examples=600, deadline=None)
@given(STANDARDS)
def test_a_standard_reads_the_same_quick_or_field_by_field(d: Any) -> None:
    quick, careful = read_both(d)
    assert quick == careful


@settings(max_examples=300, deadline=None)
@given(STANDARDS)
def test_a_standard_writes_as_the_generic_writer_would(d: Any) -> None:
    try:
        standard = Standard.from_dict(d)
    except KitDataError:
        return
    generic = {
        **Record.to_dict(standard),
        "notes": [{"name": n, "value": v} for n, v in standard.notes],
    }
    assert standard.to_dict() == generic
    assert list(standard.to_dict()) == list(generic)
    assert Standard.from_dict(standard.to_dict()) == standard


def test_a_plain_standard_is_read_in_full() -> None:
    d = {
        "ref": "HN-101", "section": "Information", "title": "Leaflet", "requirement": "",
        "parts": [{"label": "a", "text": "what it is"}], "evidence_expected": "The leaflet",
        "key": True, "applies_to": ["SC"], "order": 3,
        "notes": [{"name": "Guidance", "value": "See NICE"}],
    }  # fmt: skip
    assert Standard.from_dict(d) == Standard(
        "HN-101", "Information", "Leaflet", "", (Part("a", "what it is"),), "The leaflet",
        key=True, applies_to=("SC",), order=3, notes=(("Guidance", "See NICE"),),
    )  # fmt: skip


ENTRY = {
    "ref": WORDS,
    "component": WORDS,
    "claim": st.sampled_from(["met", "not_met", "not_applicable", "Met", "maybe"]),
    "comment": st.one_of(WORDS, BLANK),
    "evidence": st.lists(WORDS, max_size=3),
}


@st.composite
def entries(draw: st.DrawFn) -> Any:
    """A self-assessment entry as a kit holds it, right, or wrong in up to three places."""
    if draw(st.integers(0, 19)) == 0:
        return draw(ODD)
    d: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {k: ENTRY[k] for k in ("ref", "component", "claim")},
            optional={k: ENTRY[k] for k in ("comment", "evidence")},
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*ENTRY, "extra"]))
        how = draw(st.sampled_from(["value", "drop", "inner"]))
        if how == "drop":
            d.pop(key, None)
        elif how == "inner" and key == "evidence" and isinstance(d.get(key), list) and d[key]:
            d[key] = [*d[key][:-1], draw(ODD)]
        else:
            d[key] = draw(ODD)
    return d


@settings(max_examples=600, deadline=None)
@given(entries())
def test_a_self_assessment_entry_reads_the_same_quick_or_field_by_field(d: Any) -> None:
    results: list[Any] = []
    for read in (SelfAssessmentEntry.from_dict, SelfAssessmentEntry._read):
        try:
            results.append(read(d, "e"))
        except KitDataError as exc:
            results.append(str(exc))
    assert results[0] == results[1]
    if not isinstance(results[0], str):
        assert type(results[0]) is SelfAssessmentEntry


def test_a_plain_self_assessment_entry_is_read_in_full() -> None:
    d = {"ref": "HN-101", "component": "SC", "claim": "met", "comment": "", "evidence": ["E1"]}
    assert SelfAssessmentEntry.from_dict(d) == SelfAssessmentEntry(
        "HN-101", "SC", "met", "", ("E1",)
    )
