"""The other inputs of ``kit build`` (visit, self-assessment, evidence folder) on real files."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import openpyxl
import pytest

from sync.kit_inputs import (
    KitInputError,
    read_evidence_folder,
    read_self_assessment,
    read_visit,
    resolve_components,
)
from sync.kit_model import (
    Part,
    SelfAssessmentEntry,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.standards_import import StandardsImportError
from sync.tables import InputFileError

VISIT_DICT = {
    "visit_id": "6f1c1f1e-0000-4000-8000-000000000001",
    "programme": "Haemoglobin disorders",
    "title": "Example Trust",
    "start_date": "2025-03-04",
    "components": [
        {"id": "SC", "name": "Specialist centre"},
        {"id": "LT", "name": "Local team"},
    ],
    "team": [{"member_id": "m1", "name": "Dr A Lead", "role": "Consultant", "lead": True}],
}
VISIT = VisitDetails.from_dict(VISIT_DICT)


def _standard(ref: str, applies_to: tuple[str, ...] = ()) -> Standard:
    return Standard(
        ref, "Staffing", f"Title {ref}", "Requirement", (Part("a", "x"),), applies_to=applies_to
    )


STANDARDS = StandardsSet(
    StandardsSetInfo("hn", "HN", "4"),
    ("Staffing",),
    (_standard("HN-101"), _standard("HN-102"), _standard("HN-103")),
)


def problems(error: InputFileError) -> list[str]:
    """What staff see: one line per problem."""
    return str(error).splitlines()


# -- visit -------------------------------------------------------------------------------------


def test_read_visit_keeps_its_visit_id(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(VISIT_DICT), encoding="utf-8")

    read = read_visit(path)

    assert read.visit == VISIT
    assert (read.visit_id_generated, read.warnings) == (False, ())


def test_visit_without_id_gets_a_fresh_one_and_staff_are_told_to_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps({**VISIT_DICT, "visit_id": ""}), encoding="utf-8")

    read = read_visit(path)

    new_id = read.visit.visit_id
    assert uuid.UUID(new_id).version == 4
    assert read.visit_id_generated
    assert read.warnings == (
        f'visit.json has no visit_id, so this visit is now "{new_id}". '
        f'Add "visit_id": "{new_id}" to visit.json: a re-issued kit must keep the same visit id, '
        "or reviewers' work will not carry over.",
    )
    assert json.loads(path.read_text(encoding="utf-8"))["visit_id"] == ""  # file untouched


def test_bad_visit_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text('{\n  "programme": "HN",\n  "title": "X",,\n}', encoding="utf-8")

    with pytest.raises(KitInputError) as caught:
        read_visit(path)

    assert problems(caught.value) == [
        "visit.json, line 3: is not valid JSON: Expecting property name enclosed in double "
        "quotes (column 16)"
    ]


def test_bad_visit_value_names_where(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps({**VISIT_DICT, "components": []}), encoding="utf-8")

    with pytest.raises(KitInputError) as caught:
        read_visit(path)

    assert problems(caught.value) == [
        "visit.json: visit.components: a visit reviews at least one component"
    ]


def test_missing_visit_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(KitInputError) as caught:
        read_visit(tmp_path / "visit.json")

    assert problems(caught.value) == ["visit.json: cannot be read: No such file or directory"]


# -- self-assessment ---------------------------------------------------------------------------

ENTRIES = (
    SelfAssessmentEntry("HN-101", "SC", "met", "Lead in post since 2020", ("E001", "E002")),
    SelfAssessmentEntry("HN-101", "LT", "not_met", "Vacant – recruiting “soon”", ()),
    SelfAssessmentEntry("HN-102", "SC", "not_applicable", "", ("E003",)),
)


def test_self_assessment_csv_round_trip_as_excel_saves_it(tmp_path: Path) -> None:
    path = tmp_path / "self_assessment.csv"
    words = {"met": "Met", "not_met": "not met", "not_applicable": "N/A"}
    names = {"SC": "specialist centre", "LT": "LT"}
    with open(path, "w", encoding="cp1252", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["QS Ref", "Component", "Claim", "Comment", "Evidence"])
        for e in ENTRIES:
            out.writerow(
                [e.ref, names[e.component], words[e.claim], e.comment, ", ".join(e.evidence)]
            )
        out.writerow(["HN-103", "SC", "", "", ""])  # a template row the provider left blank

    assert read_self_assessment(path, STANDARDS, VISIT) == ENTRIES


def test_self_assessment_json_list_in_the_kits_own_shape(tmp_path: Path) -> None:
    path = tmp_path / "self_assessment.json"
    path.write_text(json.dumps([e.to_dict() for e in ENTRIES]), encoding="utf-8")

    assert read_self_assessment(path, STANDARDS, VISIT) == ENTRIES


def test_self_assessment_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Ref", "Component", "Claim", "Comment", "Evidence"])
    sheet.append(["HN-102", "Local Team", "Not applicable", "Not a local service", "E009; E010"])
    path = tmp_path / "sa.xlsx"
    book.save(path)

    assert read_self_assessment(path, STANDARDS, VISIT) == (
        SelfAssessmentEntry(
            "HN-102", "LT", "not_applicable", "Not a local service", ("E009", "E010")
        ),
    )


def test_self_assessment_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "sa.csv"
    path.write_text(
        "Ref,Component,Claim\n"
        "HN-999,SC,Met\n"
        "HN-101,Network,Met\n"
        "HN-102,SC,Partly\n"
        "HN-101,SC,Met\n"
        "HN-101,sc,Not met\n",
        encoding="utf-8",
    )

    with pytest.raises(KitInputError) as caught:
        read_self_assessment(path, STANDARDS, VISIT)

    assert problems(caught.value) == [
        'sa.csv, row 2, column "Ref": ref HN-999 is not one of the standards',
        'sa.csv, row 3, column "Component": "Network" is not one of the visit\'s components: '
        "SC (Specialist centre), LT (Local team)",
        'sa.csv, row 4, column "Claim": claim "Partly" is not Met, Not met, N/A or Not applicable',
        'sa.csv, row 6, column "Ref": ref HN-101 for SC appears twice (first on row 5)',
    ]


def test_one_error_type_for_every_input_file(tmp_path: Path) -> None:
    assert issubclass(KitInputError, InputFileError)
    assert issubclass(StandardsImportError, InputFileError)


# -- evidence ----------------------------------------------------------------------------------


def _files(folder: Path, names: list[str]) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4\n")


def test_evidence_folder_without_index_lists_every_document(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    _files(
        folder,
        [
            "Operational_policy-2024.pdf",
            "minutes/Network-meeting_March.docx",
            "annual report.pdf",
            ".DS_Store",
            ".git/config",
            "~$Operational_policy.docx",
            "Thumbs.db",
        ],
    )

    found = read_evidence_folder(folder)

    assert [(d.id, d.title, d.file, d.standards) for d, _ in found] == [
        ("E001", "annual report", "annual report.pdf", ()),
        ("E002", "Network meeting March", "minutes/Network-meeting_March.docx", ()),
        ("E003", "Operational policy 2024", "Operational_policy-2024.pdf", ()),
    ]
    assert [p for _, p in found] == [
        folder / "annual report.pdf",
        folder / "minutes" / "Network-meeting_March.docx",
        folder / "Operational_policy-2024.pdf",
    ]


def test_evidence_index_json_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    _files(folder, ["policy.pdf", "rota.xlsx", "not listed.pdf"])
    index = [
        {
            "id": "D1",
            "title": "Operational policy",
            "file": "policy.pdf",
            "standards": ["HN-101", "HN-102"],
        },
        {"id": "D2", "title": "", "file": "rota.xlsx", "standards": []},
    ]
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")

    found = read_evidence_folder(folder)

    assert [(d.id, d.title, d.file, d.standards) for d, _ in found] == [
        ("D1", "Operational policy", "policy.pdf", ("HN-101", "HN-102")),
        ("D2", "rota", "rota.xlsx", ()),
    ]
    assert found[0][1] == folder / "policy.pdf"


def test_evidence_index_csv_problems(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    _files(folder, ["policy.pdf"])
    (tmp_path / "secret.txt").write_text("x")
    (folder / "index.csv").write_text(
        "id,title,file,standards\r\n"
        "D1,Policy,policy.pdf,HN-101; HN-102\r\n"
        "D2,Rota,rota.xlsx,\r\n"
        "D1,Again,policy.pdf,\r\n"
        "D3,Escape,../secret.txt,\r\n",
        encoding="utf-8",
    )

    with pytest.raises(KitInputError) as caught:
        read_evidence_folder(folder)

    assert problems(caught.value) == [
        'index.csv, row 3, column "file": "rota.xlsx" is not in evidence',
        'index.csv, row 4, column "id": evidence id D1 appears twice (first on row 2)',
        'index.csv, row 5, column "file": "../secret.txt" must be a path inside the evidence '
        'folder, like "policies/a.pdf"',
    ]


def test_evidence_index_csv_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    _files(folder, ["policies/policy.pdf"])
    (folder / "index.csv").write_text(
        'id,title,file,standards\nD1,Policy,policies\\policy.pdf,"HN-101, HN-102"\n',
        encoding="utf-8",
    )

    [(doc, path)] = read_evidence_folder(folder)

    assert (doc.id, doc.file, doc.standards) == ("D1", "policies/policy.pdf", ("HN-101", "HN-102"))
    assert path == folder / "policies" / "policy.pdf"


# -- components --------------------------------------------------------------------------------


def test_resolve_components_maps_names_to_ids_and_leaves_out_levels_not_reviewed() -> None:
    named = StandardsSet(
        STANDARDS.info,
        STANDARDS.sections,
        (
            _standard("HN-101", ("specialist centre", "LT")),
            _standard("HN-102", ("Local Team",)),
            _standard("HN-103", ("Network",)),
            _standard("HN-104", ("Specialist  Centre, local team",)),
            _standard("HN-105"),
        ),
    )

    resolved = resolve_components(named, VISIT)

    assert [(s.ref, s.applies_to, s.order) for s in resolved.standards.standards] == [
        ("HN-101", ("SC", "LT"), 1),
        ("HN-102", ("LT",), 2),
        ("HN-104", ("SC", "LT"), 3),
        ("HN-105", (), 4),  # every component: the kit builder says so
    ]
    assert resolved.left_out == ("HN-103",)
    assert resolved.warnings == (
        "1 standard is left out of the kit, as Applies to names only what this visit does not "
        'review: HN-103 ("Network"); add the component to the visit if it should be reviewed.',
    )


def test_resolve_components_refuses_a_set_for_none_of_the_components() -> None:
    bad = StandardsSet(STANDARDS.info, STANDARDS.sections, (_standard("HN-101", ("Network",)),))
    with pytest.raises(StandardsImportError) as caught:
        resolve_components(bad, VISIT, file="standards.json")
    assert str(caught.value) == (
        "standards.json: no standard applies to this visit: Applies to names Network, and the "
        "visit's components are SC (Specialist centre), LT (Local team); make the names match"
    )


def test_self_assessment_rows_for_standards_left_out_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "sa.csv"
    path.write_text("Ref,Component,Claim\nHN-101,SC,Met\nHN-201,Network,Met\n", encoding="utf-8")

    with pytest.raises(KitInputError):
        read_self_assessment(path, STANDARDS, VISIT)
    entries = read_self_assessment(path, STANDARDS, VISIT, left_out=("HN-201",))

    assert [(e.ref, e.component, e.claim) for e in entries] == [("HN-101", "SC", "met")]
