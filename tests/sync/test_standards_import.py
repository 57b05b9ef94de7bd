"""Standards spreadsheets as staff save them: real files written into tmp_path, then imported."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from sync.kit_model import (
    KitDataError,
    Part,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.requirement_parts import split_parts
from sync.standards_import import (
    CrossReference,
    NotReviewed,
    StandardsImportError,
    import_standards,
    info_from_file_name,
    read_standards,
    set_info_with,
)

INFO = StandardsSetInfo(id="hn", title="Haemoglobin disorders", version="4", date="2018-10")
HEADER = "Ref,Section,Title,Requirement"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def problems_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(StandardsImportError) as caught:
        read_standards(path, **kwargs)  # type: ignore[arg-type]
    return str(caught.value).splitlines()


# -- encodings ---------------------------------------------------------------------------------


def test_csv_utf8_with_bom_reads_first_header_and_accents(tmp_path: Path) -> None:
    text = f"{HEADER}\r\nHN-101,Staffing,Lead clinician,A named lead (Chloé’s team)\r\n"
    path = write(tmp_path, "standards.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))

    s = read_standards(path, set_info=INFO)

    assert s.info == INFO
    assert [x.ref for x in s.standards] == ["HN-101"]
    assert s.standards[0].requirement == "A named lead (Chloé’s team)"


CURLY = "The “named” nurse’s ‘cover’ – days — nights"


def test_windows_1252_curly_quotes_and_dashes_come_back_exactly(tmp_path: Path) -> None:
    text = f'{HEADER}\r\nHN-102,Staffing,Cover,"{CURLY}"\r\n'
    data = text.encode("cp1252")
    assert b"\x93" in data and b"\x97" in data  # really the 0x80-0x9F bytes Excel writes
    path = write(tmp_path, "standards.csv", data)

    assert read_standards(path, set_info=INFO).standards[0].requirement == CURLY


def test_windows_1252_after_a_utf8_bom_is_read_not_refused(tmp_path: Path) -> None:
    text = f"{HEADER}\r\nHN-103,Staffing,Cover,{CURLY}\r\n"
    path = write(tmp_path, "standards.csv", b"\xef\xbb\xbf" + text.encode("cp1252"))

    s = read_standards(path, set_info=INFO)

    assert s.standards[0].ref == "HN-103"
    assert s.standards[0].requirement == CURLY


# -- layout ------------------------------------------------------------------------------------


def test_crlf_quoted_multiline_cells_split_into_lettered_parts(tmp_path: Path) -> None:
    requirement = (
        "The service should have guidelines on:\r\n"
        "a. transfusion\r\n"
        "B) iron chelation, covering\r\n"
        "   monitoring of iron overload\r\n"
        "  (c) pain management"
    )
    text = f'{HEADER}\r\nHN-201,Guidelines,Clinical guidelines,"{requirement}"\r\n'
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    std = read_standards(path, set_info=INFO).standards[0]

    assert std.requirement == "The service should have guidelines on:"
    assert [(p.label, p.text) for p in std.parts] == [
        ("a", "transfusion"),
        ("b", "iron chelation, covering\nmonitoring of iron overload"),
        ("c", "pain management"),
    ]


def test_parts_out_of_sequence_are_continuation_lines() -> None:
    stem, parts = split_parts("Policy on:\na) consent\nc) audit, as in part c\nb) review")

    assert stem == "Policy on:"
    assert [(p.label, p.text) for p in parts] == [
        ("a", "consent\nc) audit, as in part c"),
        ("b", "review"),
    ]


def test_requirement_without_parts_is_the_whole_cell() -> None:
    assert split_parts("A named lead.\nWith time in the job plan.") == (
        "A named lead.\nWith time in the job plan.",
        (),
    )
    assert split_parts("Only a. one part")[1] == ()
    assert split_parts("a. one\nc. three")[1] == ()  # no b: not a list of parts


def test_trailing_empty_rows_and_columns_are_ignored(tmp_path: Path) -> None:
    text = (
        "Ref,Section,Title,Requirement,,\r\n"
        "HN-101,Staffing,Lead,A named lead,,\r\n"
        ",,,,,\r\n"
        "HN-102,Staffing,Deputy,A deputy,, \r\n"
        ",,,,,\r\n"
        ",,,,,\r\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    s = read_standards(path, set_info=INFO)

    assert [(x.ref, x.notes, x.order) for x in s.standards] == [
        ("HN-101", (), 1),
        ("HN-102", (), 2),
    ]


def test_semicolon_delimiter_with_commas_in_the_text(tmp_path: Path) -> None:
    text = (
        "Ref;Section;Title;Requirement;Applies to\n"
        "HN-101;Staffing;Lead;A lead, a deputy, and cover;SC, LT\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    std = read_standards(path, set_info=INFO).standards[0]

    assert std.requirement == "A lead, a deputy, and cover"
    assert std.applies_to == ("SC, LT",)  # commas wait for the visit's names (see below)


def test_header_aliases_staff_use(tmp_path: Path) -> None:
    text = (
        "QS Ref,Topic,Short title,Quality Standard,"
        "Demonstration of Compliance,Key standard,Levels\n"
        "HN-101,Staffing,Lead,A named lead,Job plan,Y,Specialist centre; Local team\n"
        "HN-102,Staffing,Deputy,A deputy,,no,\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    first, second = read_standards(path, set_info=INFO).standards

    assert (first.ref, first.section, first.title, first.requirement) == (
        "HN-101",
        "Staffing",
        "Lead",
        "A named lead",
    )
    assert first.evidence_expected == "Job plan"
    assert first.key is True and second.key is False
    assert first.applies_to == ("Specialist centre", "Local team")


def test_headers_match_ignoring_case_spaces_and_punctuation(tmp_path: Path) -> None:
    text = "REF.,section:,TITLE,requirement,key-standard\nHN-101,Staffing,Lead,A lead,TRUE\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert read_standards(path, set_info=INFO).standards[0].key is True


def test_unknown_column_is_kept_as_a_note(tmp_path: Path) -> None:
    text = (
        f"{HEADER},Guidance ref\nHN-101,Staffing,Lead,A lead,NICE NG1\nHN-102,Staffing,Dep,A dep,\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    first, second = read_standards(path, set_info=INFO).standards

    assert first.notes == (("Guidance ref", "NICE NG1"),)
    assert second.notes == ()


def test_sections_keep_first_appearance_order_and_blank_section_means_the_one_above(
    tmp_path: Path,
) -> None:
    text = (
        f"{HEADER}\n"
        "HN-301,Support services,Lab,Lab access\n"
        "HN-101,Staffing,Lead,A lead\n"
        "HN-102,,Deputy,A deputy\n"
        "HN-302,Support services,Imaging,Imaging access\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    s = read_standards(path, set_info=INFO)

    assert s.sections == ("Support services", "Staffing")
    assert [(x.ref, x.section, x.order) for x in s.standards] == [
        ("HN-301", "Support services", 1),
        ("HN-101", "Staffing", 2),
        ("HN-102", "Staffing", 3),
        ("HN-302", "Support services", 4),
    ]


def test_without_set_info_the_set_is_named_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "HN_standards-v4.csv", f"{HEADER}\nA-1,S,T,R\n".encode())

    info = read_standards(path).info

    assert (info.id, info.title, info.version) == ("hn-standards-v4", "HN standards v4", "1")


# -- problems ----------------------------------------------------------------------------------


def test_missing_column_is_refused_naming_it_and_the_headers_found(tmp_path: Path) -> None:
    path = write(tmp_path, "standards.csv", b"QS Ref,Section,Requirement,Notes\nA-1,S,R,N\n")

    assert problems_of(path, set_info=INFO) == [
        "standards.csv, row 1: missing column: Title (or Short title). "
        'The headers found are: "QS Ref", "Section", "Requirement", "Notes"'
    ]


def test_duplicate_refs_are_reported_with_both_rows(tmp_path: Path) -> None:
    text = f"{HEADER}\nHN-100,S,T,R\nHN-101,S,T,R\nHN-102,S,T,R\nHN-101,S,T,R\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert problems_of(path, set_info=INFO) == [
        'standards.csv, row 5, column "Ref": ref HN-101 appears twice (first on row 3)'
    ]


def test_every_bad_row_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "Ref,Section,Title,Requirement,Key\n"
        "HN-101,Staffing,Lead,A lead,maybe\n"
        "HN-102,Staffing,,A deputy,\n"
        ",Staffing,Cover,,Y\n"
    )
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert problems_of(path, set_info=INFO) == [
        'standards.csv, row 2, column "Key": key standard "maybe" is not Y/N, yes/no, '
        "true/false or 1/0 (blank means no)",
        'standards.csv, row 3, column "Title": the title is empty',
        'standards.csv, row 4, column "Ref": the ref is empty',
        'standards.csv, row 4, column "Requirement": the requirement is empty',
    ]


def test_problem_list_is_capped(tmp_path: Path) -> None:
    rows = "".join(f"R-{i},S,,R\n" for i in range(60))
    path = write(tmp_path, "standards.csv", f"{HEADER}\n{rows}".encode())

    lines = problems_of(path, set_info=INFO)

    assert len(lines) == 51
    assert lines[0] == 'standards.csv, row 2, column "Title": the title is empty'
    assert lines[-1] == "... and 10 more problems"


def test_unsupported_file_type_says_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, "standards.xls", b"\xd0\xcf\x11\xe0")

    assert problems_of(path) == [
        "standards.xls: is not a .csv, .xlsx or .json file (save it from Excel as .xlsx or CSV)"
    ]


# -- XLSX --------------------------------------------------------------------------------------


def _workbook(path: Path, sheets: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


ROWS: list[list[object]] = [
    ["Ref", "Section", "Title", "Requirement", "Key", "Applies to"],
    ["HN-101", "Staffing", "Lead", "A lead:\na. named\nb. with time", 1, "SC"],
    ["HN-102", "Staffing", "Deputy", "A deputy", None, None],
]


def test_xlsx_first_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "standards.xlsx", [("Sheet1", ROWS), ("Other", [["x"]])])

    first, second = read_standards(path, set_info=INFO).standards

    assert (first.ref, first.requirement, first.key, first.applies_to) == (
        "HN-101",
        "A lead:",
        True,
        ("SC",),
    )
    assert [p.text for p in first.parts] == ["named", "with time"]
    assert (second.ref, second.key, second.applies_to) == ("HN-102", False, ())


def test_xlsx_sheet_named_standards_wins_over_the_first(tmp_path: Path) -> None:
    cover = [["Haemoglobin disorders standards, V4"], ["Issued October 2018"]]
    path = _workbook(tmp_path / "hn.xlsx", [("Cover", cover), ("STANDARDS", ROWS)])

    assert [s.ref for s in read_standards(path, set_info=INFO).standards] == ["HN-101", "HN-102"]


def test_xlsx_problems_give_header_and_column_letter(tmp_path: Path) -> None:
    rows: list[list[object]] = [*ROWS, ["HN-101", "Staffing", "Again", "Again", "perhaps", None]]
    path = _workbook(tmp_path / "standards.xlsx", [("Standards", rows)])

    assert problems_of(path, set_info=INFO) == [
        'standards.xlsx, row 4, column "Ref" (A): ref HN-101 appears twice (first on row 2)',
        'standards.xlsx, row 4, column "Key" (E): key standard "perhaps" is not Y/N, yes/no, '
        "true/false or 1/0 (blank means no)",
    ]


# -- JSON --------------------------------------------------------------------------------------


def _sample_set() -> StandardsSet:
    path = Path(__file__).parent / "data" / "standards_sample.csv"
    return read_standards(path, set_info=INFO)


def test_json_kit_shape_round_trips(tmp_path: Path) -> None:
    original = _sample_set()
    path = write(tmp_path, "standards.json", json.dumps(original.to_dict()).encode("utf-8"))

    assert read_standards(path) == original


def test_json_list_of_rows_uses_spreadsheet_headers(tmp_path: Path) -> None:
    rows = [
        {
            "QS Ref": "HN-101",
            "Section": "Staffing",
            "Title": "Lead",
            "Requirement": "A lead",
            "Key": True,
            "Applies to": ["SC", "LT"],
            "Owner": "Ann",
        },
        {"QS Ref": "HN-102", "Section": "Staffing", "Title": "Deputy", "Requirement": "A deputy"},
    ]
    path = write(tmp_path, "rows.json", json.dumps(rows).encode("utf-8"))

    first, second = read_standards(path, set_info=INFO).standards

    assert (first.key, first.applies_to, first.notes) == (True, ("SC", "LT"), (("Owner", "Ann"),))
    assert (second.ref, second.key) == ("HN-102", False)


def test_json_list_problems_name_the_item(tmp_path: Path) -> None:
    rows = [{"Ref": "A", "Section": "S", "Title": "T", "Requirement": ""}]
    path = write(tmp_path, "rows.json", json.dumps(rows).encode("utf-8"))

    assert problems_of(path, set_info=INFO) == [
        'rows.json, item 1, column "Requirement": the requirement is empty'
    ]


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "standards.json", b'{"set": {"id": "x",\n  "title" "y"}}')

    assert problems_of(path) == [
        "standards.json, line 2: is not valid JSON: Expecting ':' delimiter (column 11)"
    ]


def test_bad_kit_json_value_names_its_path(tmp_path: Path) -> None:
    data = _sample_set().to_dict()
    data["standards"][1]["title"] = ""
    path = write(tmp_path, "standards.json", json.dumps(data).encode("utf-8"))

    assert problems_of(path) == ["standards.json: standards.standards[1].title: is empty"]


# -- components --------------------------------------------------------------------------------

VISIT = VisitDetails.from_dict(
    {
        "visit_id": "6f1c1f1e-0000-4000-8000-000000000001",
        "programme": "Haemoglobin disorders",
        "title": "Example Trust",
        "start_date": "2025-03-04",
        "components": [
            {"id": "SC", "name": "Specialist centre"},
            {"id": "LT", "name": "Local team"},
        ],
    }
)


def test_applies_to_names_become_component_ids_with_a_visit(tmp_path: Path) -> None:
    text = f'{HEADER},Components\nA-1,S,T,R,"specialist CENTRE; lt"\n'
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert read_standards(path, set_info=INFO, visit=VISIT).standards[0].applies_to == (
        "SC",
        "LT",
    )


def test_a_level_the_visit_does_not_review_is_left_out_with_a_warning(tmp_path: Path) -> None:
    text = f"{HEADER},Levels\nA-1,S,T,R,SC\nA-2,S,T,R,Network\nA-3,T,T,R,Network; lt\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    result = import_standards(path, set_info=INFO, visit=VISIT)

    assert [(s.ref, s.applies_to, s.order) for s in result.standards.standards] == [
        ("A-1", ("SC",), 1),
        ("A-3", ("LT",), 2),
    ]
    assert result.left_out == ("A-2",)
    assert result.not_reviewed == (
        NotReviewed("A-2", ("Network",), left_out=True),
        NotReviewed("A-3", ("Network",), left_out=False),
    )
    assert result.warnings == (
        "1 standard is left out of the kit, as Applies to names only what this visit does not "
        'review: A-2 ("Network"); add the component to the visit if it should be reviewed.',
        "1 standard is kept for this visit's components only, without the rest of what Applies "
        'to names: A-3 ("Network"); add the component to the visit if it should be reviewed.',
    )
    assert read_standards(path, set_info=INFO, visit=VISIT) == result.standards


def test_a_set_for_none_of_the_visits_components_is_refused(tmp_path: Path) -> None:
    text = f"{HEADER},Levels\nA-1,S,T,R,Network\nA-2,S,T,R,Commissioning\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert problems_of(path, set_info=INFO, visit=VISIT) == [
        "standards.csv: no standard applies to this visit: Applies to names Commissioning, "
        "Network, and the visit's components are SC (Specialist centre), LT (Local team); "
        "make the names match"
    ]


def test_comma_lists_split_only_where_every_piece_is_a_component(tmp_path: Path) -> None:
    text = f'{HEADER},Applies to\nA-1,S,T,R,"SC, LT"\nA-2,S,T,R,"Local team, Network"\n'
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    result = import_standards(path, set_info=INFO, visit=VISIT)

    assert [(s.ref, s.applies_to) for s in result.standards.standards] == [("A-1", ("SC", "LT"))]
    assert result.not_reviewed == (NotReviewed("A-2", ("Local team, Network",), left_out=True),)


# -- Notes and Demonstration of Compliance -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        ("Notes", "Demonstration of Compliance"),  # as published
        ("Demonstration of Compliance", "Notes"),
        ("Guidance", "Evidence expected"),
        ("Evidence", "Guidance"),
    ],
)
def test_notes_and_evidence_expected_are_kept_apart_in_either_order(
    tmp_path: Path, headers: tuple[str, str]
) -> None:
    values = {"Notes": "Not for children", "Guidance": "Not for children"}
    row = [values.get(h, "Job plan") for h in headers]
    text = f"{HEADER},{','.join(headers)},Owner\nHN-101,Staffing,Lead,A lead,{','.join(row)},Ann\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    std = read_standards(path, set_info=INFO).standards[0]

    assert std.evidence_expected == "Job plan"
    assert std.notes == (("Notes", "Not for children"), ("Owner", "Ann"))


def test_two_columns_for_one_field_are_refused_naming_both(tmp_path: Path) -> None:
    text = f"{HEADER},Notes,Evidence,Demonstration of Compliance,Guidance\nA-1,S,T,R,n,e,d,g\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert problems_of(path, set_info=INFO) == [
        'standards.csv, row 1: columns "Evidence" (F) and "Demonstration of Compliance" (G) '
        "are both the evidence expected: rename or remove one",
        'standards.csv, row 1: columns "Notes" (E) and "Guidance" (H) are both the notes: '
        "rename or remove one",
    ]


def test_two_columns_for_one_field_in_a_workbook_or_json(tmp_path: Path) -> None:
    rows = [["QS Ref", "Ref", "Section", "Title", "Requirement"], ["A", "A", "S", "T", "R"]]
    book = _workbook(tmp_path / "s.xlsx", [("Standards", rows)])
    records = [dict(zip(HEADER.split(","), "ASTR", strict=True), Components="LT", Levels="SC")]
    data = write(tmp_path, "s.json", json.dumps(records).encode("utf-8"))

    assert problems_of(book, set_info=INFO) == [
        's.xlsx, row 1: columns "QS Ref" (A) and "Ref" (B) are both the ref: rename or remove one'
    ]
    assert problems_of(data, set_info=INFO) == [
        's.json: columns "Components" and "Levels" are both the components it applies to: '
        "rename or remove one"
    ]


# -- parts -------------------------------------------------------------------------------------


def labelled(cell: str) -> tuple[str, list[tuple[str, str]]]:
    stem, parts = split_parts(cell)
    return stem, [(p.label, p.text) for p in parts]


def test_roman_sub_items_nest_under_their_letter_and_later_letters_still_split() -> None:
    cells = [
        "Policy on:\na. consent, including:\na.i verbal\na.ii written\nb. audit\nc. review",
        "Policy on:\na) consent, including:\n   i) verbal\n   ii) written\nb) audit\nc) review",
        "Policy on:\n(a) consent, including:\n(i) verbal\n(ii) written\n(b) audit\n(c) review",
        "Policy on:\nA. consent, including:\nI. verbal\nII. written\nB. audit\nC. review",
    ]
    for cell in cells:
        assert labelled(cell) == (
            "Policy on:",
            [
                ("a", "consent, including:"),
                ("a.i", "verbal"),
                ("a.ii", "written"),
                ("b", "audit"),
                ("c", "review"),
            ],
        ), cell


def test_i_after_h_is_the_letter_and_inside_a_part_it_is_roman() -> None:
    letters = "\n".join(f"{c}. item {c}" for c in "abcdefghij")
    _stem, parts = labelled(f"Cover:\n{letters}")
    assert [label for label, _ in parts] == list("abcdefghij")

    _stem, parts = labelled("Cover:\na. x\nb. y, as:\n(i) one\n(ii) two\n(iii) three\nc. z")
    assert [label for label, _ in parts] == ["a", "b", "b.i", "b.ii", "b.iii", "c"]


def test_inline_parts_after_a_colon_or_semicolon() -> None:
    assert labelled(
        "The service should include: a) a lead; b) a deputy, with cover; and c) a rota."
    ) == (
        "The service should include:",
        [("a", "a lead"), ("b", "a deputy, with cover"), ("c", "a rota.")],
    )
    assert labelled("a) Guidelines on: (i) pain; (ii) fever; b) a review")[1] == [
        ("a", "Guidelines on:"),
        ("a.i", "pain"),
        ("a.ii", "fever"),
        ("b", "a review"),
    ]


def test_a_lone_label_in_the_text_is_not_a_part() -> None:
    cell = "Arrangements as in item a) of HN-101 (see HN-102)."
    assert split_parts(cell) == (cell, ())


def test_parts_without_a_stem_split_with_an_empty_stem() -> None:
    assert labelled("a. one\nb. two") == ("", [("a", "one"), ("b", "two")])


def test_a_part_list_without_a_stem_splits_into_its_parts(tmp_path: Path) -> None:
    text = f'{HEADER}\nA-1,S,T,"a. one\nb. two"\n'
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    std = read_standards(path, set_info=INFO).standards[0]

    assert (std.requirement, [(p.label, p.text) for p in std.parts]) == (
        "",
        [("a", "one"), ("b", "two")],
    )


def test_the_kit_takes_a_standard_whose_parts_have_no_stem() -> None:
    std = Standard("A-1", "S", "T", "", (Part("a", "one"), Part("b", "two")))

    assert Standard.from_dict(std.to_dict(), "standard") == std
    with pytest.raises(KitDataError, match="requirement: is empty"):
        Standard.from_dict(replace(std, parts=()).to_dict(), "standard")


TABLE = "Staff:\n\tAdults\tChildren\na)\t1.0\t0.5\nNurse\t2.0\t\nsee HN-102"


def test_a_pasted_table_stays_a_table_and_its_rows_are_never_parts() -> None:
    assert split_parts(TABLE) == (TABLE, ())
    cell = f"Cover:\na. x\nb. staff as below:\n{TABLE[7:]}"
    assert labelled(cell)[1] == [("a", "x"), ("b", f"staff as below:\n{TABLE[7:]}")]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_pasted_table_keeps_its_tabs_through_the_file(tmp_path: Path, suffix: str) -> None:
    cell = "\tAdults\tChildren\nNurse\t2.0\t"  # a blank first and last cell
    if suffix == ".csv":
        text = f'{HEADER}\r\nA-1,S,T,"{cell}"\r\n'
        path = write(tmp_path, "standards.csv", text.encode("utf-8"))
    else:
        path = _workbook(
            tmp_path / "s.xlsx", [("Standards", [HEADER.split(","), ["A-1", "S", "T", cell]])]
        )

    assert read_standards(path, set_info=INFO).standards[0].requirement == cell


# -- cross-references and the set's name ----------------------------------------------------------


def test_see_a_ref_stays_in_the_text_and_an_unknown_one_is_a_warning(tmp_path: Path) -> None:
    text = f"{HEADER},Notes\nHN-101,S,T,Cover: see HN-102.,\nHN-102,S,T,Rota,See also HN-199\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    result = import_standards(path, set_info=INFO)

    assert result.standards.standards[0].requirement == "Cover: see HN-102."
    assert result.cross_references == (CrossReference("HN-102", "HN-199"),)
    assert result.warnings == (
        'HN-102 says "see HN-199", but HN-199 is not one of these standards: check the reference.',
    )


def test_set_info_takes_the_name_version_and_date_staff_give() -> None:
    base = info_from_file_name(Path("HN_standards.csv"))
    title = "Quality Standards for Health Services Caring for People with Haemoglobin Disorders"

    named = set_info_with(base, title=title, version="V4", date="October 2018")

    assert named == StandardsSetInfo(
        id="quality-standards-for-health-services-caring-for-people-with-haemoglobin-disorders",
        title=title,
        version="V4",
        date="October 2018",
    )
    assert set_info_with(base, version=" V4 ") == replace(base, version="V4")
