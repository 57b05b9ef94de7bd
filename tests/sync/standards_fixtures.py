"""A standards set shaped like the published haemoglobin disorders standards, in every shape
staff hand it over: Excel's "CSV (Comma delimited)" (Windows-1252, CRLF, quoted multi-line
cells, empty trailing rows and columns), "CSV UTF-8" (with a byte-order mark) and an XLSX
workbook whose "Standards" sheet is not the first.

The columns are in the published order, Notes before Demonstration of Compliance. The rows hold
what real sets hold: component names with commas, network and commissioning standards (levels a
visit of one trust does not review), a standard naming one level of each, a.i sub-parts, inline
parts, a part list with no stem, a table pasted from Excel (tab-separated rows), "see HN-102"
cross-references, a merged (blank) section cell, and the characters £ é – — … ‘ ’ “ ”.

``VISIT`` is a visit of a specialist team and a local team: ``SHT`` and ``LHT``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl

from sync.kit_model import StandardsSetInfo

SHT_NAME = "Specialist Haemoglobinopathy Team: Services for Adults, Children and Young People"
LHT_NAME = "Local Haemoglobinopathy Team"

TITLE = "Quality Standards for Health Services Caring for People with Haemoglobin Disorders"
INFO = StandardsSetInfo(id="hn-v4", title=TITLE, version="V4", date="October 2018")

HEADERS = [
    "Ref",
    "Section",
    "Title",
    "Requirement",
    "Notes",
    "Demonstration of Compliance",
    "Key standard",
    "Applies to",
    "Reference documents",
]

TABLE = (
    "The service should have at least the staff below (whole-time equivalents):\n"
    "Role\tAdults\tChildren\n"
    "Consultant haematologist\t1.0\t0.5\n"
    "Specialist nurse\t2.0\t\n"
    "Training is described in HN-102."
)

CHARACTERS = "The service’s “named” lead – 9–5 — on call… costs in £ for the café"

ROWS: list[list[str]] = [
    [
        "HN-101",
        "Information and support for patients and carers",
        "Service information",
        "Written information should be offered to patients and their carers, covering:\n"
        "a. the service, including clinic times\n"
        "b. how to contact the service for help and advice\n"
        "c. how to make a complaint",
        "Information should be available in other languages – see HN-102.",
        "Written information for patients and carers",
        "Y",
        f"{SHT_NAME}; {LHT_NAME}",
        "NICE NG1",
    ],
    [
        "HN-102",
        "",  # a merged section cell: the section above
        "Information about the condition",
        "Information about their condition should be offered, covering:\n"
        "a. the condition, including:\n"
        "a.i how it is inherited\n"
        "a.ii the ‘usual’ course\n"
        "b. treatment\n"
        "c. sources of support",
        "",
        "Leaflets; website",
        "N",
        SHT_NAME,
        "",
    ],
    [
        "HN-103",
        "Staffing",
        "Lead clinician",
        "The service should include: a) a named lead clinician; b) a deputy; and c) cover for "
        "absences.",
        "The lead should have time for the role in their job plan.",
        "Job plan",
        "Y",
        LHT_NAME,
        "",
    ],
    [
        "HN-104",
        "Staffing",
        "Staffing levels",
        TABLE,
        "",
        "Rota; job plans",
        "N",
        f"{SHT_NAME}\n{LHT_NAME}",
        "",
    ],
    [
        "HN-105",
        "Guidelines",
        "Clinical guidelines",
        "a. transfusion\nb. iron chelation\nc. pain management",
        "See HN-102 for the information given to patients.",
        "Guidelines",
        "Y",
        "",
        "",
    ],
    [
        "HN-106",
        "Guidelines",
        "Transfusion",
        "Guidelines on transfusion should cover:\n"
        "(a) indications, including:\n"
        "(i) acute\n"
        "(ii) long-term\n"
        "(b) monitoring\n"
        "(c) consent",
        "",
        "Guidelines",
        "N",
        SHT_NAME,
        "",
    ],
    [
        "HN-107",
        "Guidelines",
        "Named lead",
        CHARACTERS,
        "Café meetings are fine.",
        "Named lead – “in post”",
        "N",
        "",
        "",
    ],
    [
        "HN-201",
        "Network",
        "Network group",
        "The network should have a group meeting at least twice a year.",
        "",
        "Terms of reference",
        "Y",
        "Haemoglobinopathy Coordinating Centre, Network",
        "",
    ],
    [
        "HN-202",
        "Network",
        "Network audit",
        "The network should audit its guidelines every year.",
        "",
        "Audit",
        "N",
        "Network",
        "",
    ],
    [
        "HN-301",
        "Commissioning",
        "Commissioning",
        "Commissioners should review the service every year.",
        "",
        "Minutes",
        "N",
        "Commissioning",
        "",
    ],
    [
        "HN-302",
        "Commissioning",
        "Joint review",
        "Commissioners and the local team should meet every year.",
        "",
        "Minutes",
        "N",
        f"{LHT_NAME}; Commissioning",
        "",
    ],
    [
        "HN-401",
        "Support services",
        "Laboratory",
        "The service should have access to a laboratory with CPA or UKAS accreditation.",
        "",
        "Accreditation certificate",
        "N",
        f"{SHT_NAME}; {LHT_NAME}",
        "",
    ],
]

LEFT_OUT = ("HN-201", "HN-202", "HN-301")
"""Standards for levels ``VISIT`` does not review: network and commissioning."""

KEPT = tuple(row[0] for row in ROWS if row[0] not in LEFT_OUT)

VISIT = {
    "visit_id": "0b5c8a0e-9d2f-4c5e-9a33-2f7d1c6e4b10",
    "programme": "Haemoglobin disorders",
    "title": "Riverside Hospitals NHS Trust",
    "start_date": "2026-11-03",
    "organisations": [{"id": "org-rh", "name": "Riverside Hospitals NHS Trust"}],
    "components": [
        {"id": "SHT", "name": SHT_NAME},
        {"id": "LHT", "name": "Local haemoglobinopathy  team"},  # any case and spacing
    ],
    "team": [
        {"member_id": "m-lead", "name": "Dr Zoë Hartley", "role": "Consultant", "lead": True},
        {"member_id": "m-cns", "name": "Siobhán O'Brien", "role": "Nurse"},
    ],
}


def _csv_text() -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*HEADERS, "", ""])  # Excel keeps columns that once held something
    for row in ROWS:
        writer.writerow([*row, "", ""])
    writer.writerows([[""] * (len(HEADERS) + 2)] * 2)  # and rows
    return out.getvalue()


def write_cp1252_csv(path: Path) -> Path:
    """As Excel's "CSV (Comma delimited)" saves it: Windows-1252, CRLF rows, LF in cells."""
    data = _csv_text().encode("cp1252")
    assert b"\x93" in data and b"\x96" in data and b"\x85" in data  # the 0x80-0x9F bytes
    path.write_bytes(data)
    return path


def write_utf8_bom_csv(path: Path) -> Path:
    """As Excel's "CSV UTF-8" saves it: a byte-order mark, then UTF-8."""
    path.write_bytes(b"\xef\xbb\xbf" + _csv_text().encode("utf-8"))
    return path


def write_xlsx(path: Path) -> Path:
    """A workbook with a cover sheet first and the standards on the sheet named "Standards"."""
    book = openpyxl.Workbook()
    cover = book.worksheets[0]
    cover.title = "Cover"
    cover.append([TITLE])
    cover.append(["Version 4, October 2018"])
    sheet = book.create_sheet("Standards")
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append([cell or None for cell in row])
    book.save(path)
    return path


def write_visit(path: Path) -> Path:
    path.write_text(json.dumps(VISIT, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
