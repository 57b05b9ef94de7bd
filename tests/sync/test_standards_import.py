"""Standards spreadsheets as staff save them: real files written into tmp_path, then imported."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from sync.kit_model import StandardsSet, StandardsSetInfo, VisitDetails
from sync.standards_import import (
    StandardsImportError,
    read_standards,
    split_parts,
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
    stem, parts = split_parts(
        "Policy on:\na) consent, including:\ni) verbal\nii) written\nb) audit"
    )

    assert stem == "Policy on:"
    assert [(p.label, p.text) for p in parts] == [
        ("a", "consent, including:\ni) verbal\nii) written"),
        ("b", "audit"),
    ]


def test_requirement_without_parts_or_without_stem_is_the_whole_cell() -> None:
    assert split_parts("A named lead.\nWith time in the job plan.") == (
        "A named lead.\nWith time in the job plan.",
        (),
    )
    assert split_parts("a. one\nb. two") == ("a. one\nb. two", ())


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
    assert std.applies_to == ("SC", "LT")


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


def test_unknown_component_is_a_row_problem(tmp_path: Path) -> None:
    text = f"{HEADER},Levels\nA-1,S,T,R,SC\nA-2,S,T,R,Network\n"
    path = write(tmp_path, "standards.csv", text.encode("utf-8"))

    assert problems_of(path, set_info=INFO, visit=VISIT) == [
        'standards.csv, row 3, column "Levels": "Network" is not one of the visit\'s '
        "components: SC (Specialist centre), LT (Local team)"
    ]
