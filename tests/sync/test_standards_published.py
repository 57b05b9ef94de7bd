"""A standards set laid out as published, in each shape Excel saves it (tests/sync/
standards_fixtures.py): the same standards from every file, against a visit of two teams."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sync.kit_model import VisitDetails
from sync.standards_import import (
    NotReviewed,
    import_standards,
    read_standards,
    resolve_standard_components,
)
from tests.sync import standards_fixtures as fx

WRITERS: dict[str, Callable[[Path], Path]] = {
    "hn.csv": fx.write_cp1252_csv,
    "hn-utf8.csv": fx.write_utf8_bom_csv,
    "hn.xlsx": fx.write_xlsx,
}
VISIT = VisitDetails.from_dict(fx.VISIT)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("published")
    return {name: write(folder / name) for name, write in WRITERS.items()}


def test_every_shape_excel_saves_reads_the_same(files: dict[str, Path]) -> None:
    cp1252, utf8, xlsx = (read_standards(p, set_info=fx.INFO) for p in files.values())

    assert cp1252 == utf8 == xlsx
    assert [s.ref for s in cp1252.standards] == [row[0] for row in fx.ROWS]
    assert cp1252.sections == (
        "Information and support for patients and carers",
        "Staffing",
        "Guidelines",
        "Network",
        "Commissioning",
        "Support services",
    )


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_published_columns_arrive_where_they_belong(files: dict[str, Path], name: str) -> None:
    s = {x.ref: x for x in read_standards(files[name], set_info=fx.INFO).standards}

    assert s["HN-101"].evidence_expected == "Written information for patients and carers"
    assert s["HN-101"].notes == (
        ("Notes", "Information should be available in other languages – see HN-102."),
        ("Reference documents", "NICE NG1"),
    )
    assert s["HN-102"].section == "Information and support for patients and carers"
    assert [(p.label, p.text) for p in s["HN-102"].parts] == [
        ("a", "the condition, including:"),
        ("a.i", "how it is inherited"),
        ("a.ii", "the ‘usual’ course"),
        ("b", "treatment"),
        ("c", "sources of support"),
    ]
    assert (s["HN-103"].requirement, [p.text for p in s["HN-103"].parts]) == (
        "The service should include:",
        ["a named lead clinician", "a deputy", "cover for absences."],
    )
    assert (s["HN-104"].requirement, s["HN-104"].parts) == (fx.TABLE, ())
    assert [p.label for p in s["HN-106"].parts] == ["a", "a.i", "a.ii", "b", "c"]
    assert s["HN-107"].requirement == fx.CHARACTERS
    assert s["HN-107"].evidence_expected == "Named lead – “in post”"
    assert s["HN-107"].notes == (("Notes", "Café meetings are fine."),)


def test_against_the_visit_levels_it_does_not_review_are_left_out(files: dict[str, Path]) -> None:
    result = import_standards(files["hn.csv"], set_info=fx.INFO, visit=VISIT)
    s = {x.ref: x for x in result.standards.standards}

    assert tuple(s) == fx.KEPT
    assert [x.order for x in result.standards.standards] == list(range(1, len(fx.KEPT) + 1))
    assert "Network" not in result.standards.sections
    assert s["HN-101"].applies_to == ("SHT", "LHT")
    assert s["HN-102"].applies_to == ("SHT",)  # the published name, commas and all
    assert s["HN-104"].applies_to == ("SHT", "LHT")  # one name a line
    assert s["HN-105"].applies_to == ()  # blank: every component
    assert s["HN-302"].applies_to == ("LHT",)
    assert result.left_out == fx.LEFT_OUT
    assert result.not_reviewed[-1] == NotReviewed("HN-302", ("Commissioning",), left_out=False)
    assert result.warnings == (
        "3 standards are left out of the kit, as Applies to names only what this visit does not "
        'review: HN-201 ("Haemoglobinopathy Coordinating Centre, Network"), HN-202 ("Network"), '
        'HN-301 ("Commissioning"); add the component to the visit if it should be reviewed.',
        "1 standard is kept for this visit's components only, without the rest of what Applies "
        'to names: HN-302 ("Commissioning"); add the component to the visit if it should be '
        "reviewed.",
    )


def test_the_same_rule_maps_a_set_read_without_the_visit(files: dict[str, Path]) -> None:
    library = read_standards(files["hn.xlsx"], set_info=fx.INFO)  # as the staff library keeps it
    later = resolve_standard_components(library, VISIT)

    assert later == import_standards(files["hn.csv"], set_info=fx.INFO, visit=VISIT)
