"""The factual accuracy round against the real service (docs/after-the-visit.md): the pack staff
send the provider, the response form a provider fills in (with openpyxl, as Excel would keep
it, or as a CSV Excel saved) and its import, all or nothing, refusing each bad form by its row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.client import CentralClient, CentralRefused
from sync.server.accuracy import COLUMNS, check_of, comment_id
from tests.server.central_helpers import DEMO_VISIT_ID, Central
from tests.server.kit_envelopes import kit_envelope, with_judgements

FORMULA = '=HYPERLINK("http://example.invalid","click")'


def send_version(
    c: Central,
    version: int = 1,
    supersedes: str | None = None,
    *,
    docx: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """The lead sends a version of the demo visit's findings, with its report as a blob (and
    the DOCX when ``docx``): two findings (the second starting like a formula) and the team's
    judgements of the centre's standards, the first with a rationale."""
    lead = c.client("lead")
    pdf = b"%PDF-1.4\n% the draft report, version " + str(version).encode() + b"\n" * 500
    lead.push_blob(pdf, hashlib.sha256(pdf).hexdigest())
    envelope = kit_envelope(
        [{"component": "shc", "applicable": 3, "met": 2}],
        version=version,
        supersedes=supersedes,
        report=(hashlib.sha256(pdf).hexdigest(), len(pdf)),
    )
    envelope["findings"]["findings"] = [
        {
            "id": str(uuid.uuid4()),
            "component": "shc",
            "category": category,
            "number": i + 1,
            "text": text,
            "refs": ["HN-101"],
            "photos": [],
        }
        for i, (category, text) in enumerate(
            [("concern", "Clinic letters take six weeks."), ("good_practice", FORMULA)]
        )
    ]
    envelope["findings"]["team_judgements"][0]["rationale"] = "No transition policy was seen."
    envelope = with_judgements(envelope, envelope["findings"]["team_judgements"])
    if docx:
        data = b"PK docx of version " + str(version).encode() * 100
        lead.push_blob(data, hashlib.sha256(data).hexdigest())
        envelope["report_docx"] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "format": "docx",
        }
    envelope.update(fields)
    lead.submit(envelope)
    return envelope


def pack(staff: CentralClient, tmp_path: Path) -> zipfile.ZipFile:
    path = staff.accuracy_pack(DEMO_VISIT_ID, tmp_path / f"pack-{uuid.uuid4().hex}.zip")
    return zipfile.ZipFile(path)


def form_sheet(data: bytes) -> tuple[Any, Any, int]:
    """(workbook, its sheet, the header's row number)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Response form"]
    header = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "Id")
    return wb, ws, header


def csv_rows(zf: zipfile.ZipFile) -> list[list[str]]:
    raw = zf.read("response-form.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def item_row(rows: list[list[str]], item_id: str) -> list[str]:
    return next(r for r in rows if r and r[0] == item_id)


def test_the_pack_holds_the_report_the_form_and_what_to_do(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    staff = c.client("staff")
    v1 = send_version(c, docx=True)
    zf = pack(staff, tmp_path)
    assert sorted(zf.namelist()) == [
        "README.txt",
        "report-v1.docx",
        "report-v1.pdf",
        "response-form.csv",
        "response-form.xlsx",
    ]
    assert hashlib.sha256(zf.read("report-v1.pdf")).hexdigest() == v1["report"]["sha256"]
    assert hashlib.sha256(zf.read("report-v1.docx")).hexdigest() == v1["report_docx"]["sha256"]
    readme = zf.read("README.txt").decode()
    assert "10 working days" in readme and "Comment type" in readme

    # The XLSX: the visit, version and snapshot first, then one row per finding and judgement.
    _wb, ws, header = form_sheet(zf.read("response-form.xlsx"))
    firsts = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in (2, 3, 4)}
    assert firsts == {"Visit id": DEMO_VISIT_ID, "Version": 1, "Snapshot id": v1["snapshot_id"]}
    assert [ws.cell(row=header, column=i + 1).value for i in range(len(COLUMNS))] == list(COLUMNS)
    findings = v1["findings"]["findings"]
    judgements = v1["findings"]["team_judgements"]
    ids = [ws.cell(row=r, column=1).value for r in range(header + 1, ws.max_row + 1)]
    expected = [f["id"] for f in findings] + [f"shc:{tj['ref']}" for tj in judgements]
    assert ids == expected
    first = header + 1
    assert ws.cell(row=first, column=2).value == check_of(v1["snapshot_id"], findings[0]["id"])
    assert ws.cell(row=first, column=8).value == "Clinic letters take six weeks."
    # Text that looks like a formula stays text.
    formula_cell = ws.cell(row=first + 1, column=8)
    assert formula_cell.value == FORMULA and formula_cell.data_type == "s"
    standard = first + len(findings)
    assert ws.cell(row=standard, column=3).value == "standard"
    assert ws.cell(row=standard, column=7).value in ("Met", "Not met", "Not applicable")
    assert ws.cell(row=standard, column=8).value == "No transition policy was seen."

    # Locked but for the provider's three columns, which offer the types as a list.
    assert ws.protection.sheet is True
    assert ws.cell(row=first, column=1).protection.locked is True
    assert ws.cell(row=first, column=8).protection.locked is True
    assert all(ws.cell(row=first, column=col).protection.locked is False for col in (9, 10, 11))
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert "Factually inaccurate" in validation.formula1
    assert f"I{first}" in str(validation.sqref)

    # The CSV: the same rows, a formula-like cell escaped.
    rows = csv_rows(zf)
    assert rows[1] == ["Visit id", DEMO_VISIT_ID]
    assert item_row(rows, findings[1]["id"])[7] == "'" + FORMULA
    assert [r[0] for r in rows[rows.index(list(COLUMNS)) + 1 :]] == expected

    # Making a pack records nothing; saying it was sent does, once.
    line = staff.timeline(v1["findings"]["visit"]["programme"])["visits"][0]
    assert line["steps"]["pack_sent"]["at"] is None
    sent = staff.pack_sent(DEMO_VISIT_ID, v1["snapshot_id"], "2026-12-10")
    assert (sent["snapshot_id"], sent["sent_at"]) == (v1["snapshot_id"], "2026-12-10")
    assert staff.pack_sent(DEMO_VISIT_ID, v1["snapshot_id"], "2026-12-11")["sent_at"] == (
        "2026-12-10"
    )
    line = staff.timeline(v1["findings"]["visit"]["programme"])["visits"][0]
    assert line["steps"]["pack_sent"]["at"] == "2026-12-10"


def test_a_provider_fills_the_xlsx_and_the_lead_sees_the_comments(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    staff, lead = c.client("staff"), c.client("lead")
    v1 = send_version(c)
    wb, ws, header = form_sheet(pack(staff, tmp_path).read("response-form.xlsx"))
    finding_row, standard_row = header + 1, header + 3
    ws.cell(row=finding_row, column=9).value = "Factually inaccurate"
    ws.cell(row=finding_row, column=10).value = "Letters take four weeks since October."
    ws.cell(row=finding_row, column=11).value = "Clinic letters take four weeks."
    ws.cell(row=standard_row, column=9).value = "Omitted information"
    ws.cell(row=standard_row, column=10).value = "The policy is on the intranet (page 12)."
    buf = io.BytesIO()
    wb.save(buf)

    assert lead.accuracy_comments(DEMO_VISIT_ID) == {}
    result = staff.import_accuracy_form(DEMO_VISIT_ID, buf.getvalue())
    assert result == {
        "snapshot_id": v1["snapshot_id"],
        "version": 1,
        "comments": 2,
        "added": 2,
        "again": False,
    }

    seen = lead.accuracy_comments(DEMO_VISIT_ID)
    assert (seen["snapshot_id"], seen["version"]) == (v1["snapshot_id"], 1)
    finding = v1["findings"]["findings"][0]
    judged = v1["findings"]["team_judgements"][0]
    first, second = seen["comments"]
    assert first["comment_id"] == comment_id(v1["snapshot_id"], "finding", finding["id"])
    assert (first["item_kind"], first["item_id"]) == ("finding", finding["id"])
    assert first["item_label"] == "Finding 1 (Concern, Specialist Haemoglobinopathy Centre)"
    assert first["comment_type"] == "factual"
    assert first["comment"] == "Letters take four weeks since October."
    assert first["proposed"] == "Clinic letters take four weeks."
    assert first["form_row"] == finding_row
    assert (second["item_kind"], second["item_id"]) == ("standard", f"shc:{judged['ref']}")
    assert (second["comment_type"], second["proposed"]) == ("omitted", "")
    assert staff.accuracy_comments(DEMO_VISIT_ID) == seen

    # The same form again adds nothing (and says so with 200).
    again = staff._http.post(
        f"/v1/visits/{DEMO_VISIT_ID}/accuracy/form",
        content=buf.getvalue(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert again.status_code == 200
    assert (again.json()["comments"], again.json()["added"], again.json()["again"]) == (2, 0, True)
    assert lead.accuracy_comments(DEMO_VISIT_ID) == seen
    line = staff.timeline(v1["findings"]["visit"]["programme"])["visits"][0]
    assert line["steps"]["comments_returned"]["at"] is not None
    assert line["state"] == "comments_returned"


def test_a_csv_saved_by_excel_is_read_whatever_its_encoding(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    staff, lead = c.client("staff"), c.client("lead")
    v1 = send_version(c)
    rows = csv_rows(pack(staff, tmp_path))
    finding = v1["findings"]["findings"][0]
    row = item_row(rows, finding["id"])
    row[8:11] = ["typographical", "The clinic’s name is “Séamus Ward” – £5 a visit.", ""]
    # Excel on Windows, "CSV (comma delimited)": Windows-1252, no byte order mark; a European
    # locale's Excel separates with semicolons.
    data = csv_bytes(rows, "cp1252", ";")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert staff.import_accuracy_form(DEMO_VISIT_ID, data)["comments"] == 1
    (got,) = lead.accuracy_comments(DEMO_VISIT_ID)["comments"]
    assert got["comment"] == "The clinic’s name is “Séamus Ward” – £5 a visit."
    assert got["comment_type"] == "typographical"

    # "CSV UTF-8": a byte order mark; the same comment again and one more.
    other = item_row(rows, v1["findings"]["findings"][1]["id"])
    other[8:11] = ["Typographical or numerical", "Ward 7, not ward 9.", "Ward 7"]
    result = staff.import_accuracy_form(DEMO_VISIT_ID, csv_bytes(rows, "utf-8-sig"))
    assert result["comments"] == 2
    comments = lead.accuracy_comments(DEMO_VISIT_ID)["comments"]
    assert [x["comment"] for x in comments] == [
        "The clinic’s name is “Séamus Ward” – £5 a visit.",
        "Ward 7, not ward 9.",
    ]


def test_each_bad_form_is_refused_by_its_row_and_nothing_changes(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    staff, lead = c.client("staff"), c.client("lead")
    v1 = send_version(c)
    zf = pack(staff, tmp_path)
    rows = csv_rows(zf)
    header = rows.index(list(COLUMNS))
    finding_id = v1["findings"]["findings"][0]["id"]
    standard_id = "shc:" + v1["findings"]["team_judgements"][0]["ref"]
    line_of = {r[0]: i + 1 for i, r in enumerate(rows) if r}  # row numbers as Excel counts

    def form(change: dict[str, list[str]], meta: dict[str, str] | None = None) -> bytes:
        """The form with a good comment on the standard and ``change`` (id -> the provider's
        three cells, or a whole row under "row:<id>")."""
        out = [list(r) for r in rows]
        for r in out[header + 1 :]:
            if r[0] == standard_id:
                r[8:11] = ["factual", "A good comment.", ""]
            if r[0] in change:
                r[8:11] = change[r[0]]
            if f"row:{r[0]}" in change:
                r[:] = change[f"row:{r[0]}"]
        for r in out[:header]:
            if meta and r and r[0] in meta:
                r[1] = meta[r[0]]
        return csv_bytes(out)

    finding_line = list(item_row(rows, finding_id))
    unknown = [str(uuid.uuid4()), "zzzzzzzz", *finding_line[2:8], "factual", "Wrong.", ""]
    edited = [str(uuid.uuid4()), *finding_line[1:8], "factual", "Wrong.", ""]
    cases: list[tuple[str, bytes, int | None, str | None, str]] = [
        ("unknown id", form({f"row:{finding_id}": unknown}), line_of[finding_id], "Id", "No item"),
        ("edited id", form({f"row:{finding_id}": edited}), line_of[finding_id], "Id", "changed"),
        (
            "unknown type",
            form({finding_id: ["Spelling", "Wrong.", ""]}),
            line_of[finding_id],
            "Comment type",
            "is not a comment type",
        ),
        (
            "comment without type",
            form({finding_id: ["", "Wrong.", "Right."]}),
            line_of[finding_id],
            "Comment type",
            "no comment type",
        ),
        (
            "type without comment",
            form({finding_id: ["omitted", "", ""]}),
            line_of[finding_id],
            "Provider comment",
            "no comment",
        ),
        (
            "another visit",
            form({}, {"Visit id": str(uuid.uuid4())}),
            line_of["Visit id"],
            "Visit id",
            "another visit",
        ),
        ("not a form", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 a report, not a form\n", None, None, "not a"),
        ("a workbook of something else", _other_workbook(), None, None, "not a"),
    ]
    for name, data, row, column, words in cases:
        with pytest.raises(CentralRefused) as refused:
            staff.import_accuracy_form(DEMO_VISIT_ID, data)
        assert refused.value.status == 422, name
        assert "nothing was imported" in refused.value.message, name
        problems = refused.value.body["rows"]
        assert any(
            p["row"] == row and p["column"] == column and words in p["message"] for p in problems
        ), (name, problems)
        assert lead.accuracy_comments(DEMO_VISIT_ID) == {}, name

    # Every bad row is listed at once.
    both = form({finding_id: ["", "Wrong.", ""], f"row:{standard_id}": edited})
    with pytest.raises(CentralRefused) as refused:
        staff.import_accuracy_form(DEMO_VISIT_ID, both)
    assert sorted(p["row"] for p in refused.value.body["rows"]) == sorted(
        [line_of[finding_id], line_of[standard_id]]
    )

    # A form of version 1 once version 2 is the one being checked (no pack of 1 was sent).
    send_version(c, 2, v1["snapshot_id"])
    with pytest.raises(CentralRefused) as refused:
        staff.import_accuracy_form(DEMO_VISIT_ID, form({}))
    (problem,) = refused.value.body["rows"]
    assert (problem["row"], problem["column"]) == (line_of["Version"], "Version")
    assert "version 2 is the one being checked" in problem["message"]
    assert lead.accuracy_comments(DEMO_VISIT_ID) == {}
    line = staff.timeline(v1["findings"]["visit"]["programme"])["visits"][0]
    assert line["steps"]["comments_returned"]["at"] is None

    # Once staff say that pack went out, its form is taken.
    staff.pack_sent(DEMO_VISIT_ID, v1["snapshot_id"], "2026-12-10")
    assert staff.import_accuracy_form(DEMO_VISIT_ID, form({}))["comments"] == 1


def _other_workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Name", "Amount"])
    ws.append(["Gloves", 12])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_only_staff_run_the_round_and_only_the_lead_sees_the_comments(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    v1 = send_version(c)
    staff = c.client("staff")
    rows = csv_rows(pack(staff, tmp_path))
    item_row(rows, v1["findings"]["findings"][0]["id"])[8:10] = ["factual", "Wrong."]
    data = csv_bytes(rows)
    for name in ("lead", "cns", "outsider"):
        who = c.client(name)
        for attempt in (
            lambda w=who: w.accuracy_pack(DEMO_VISIT_ID, tmp_path / "no.zip"),
            lambda w=who: w.pack_sent(DEMO_VISIT_ID, v1["snapshot_id"]),
            lambda w=who: w.import_accuracy_form(DEMO_VISIT_ID, data),
            lambda w=who: w.timeline(v1["findings"]["visit"]["programme"]),
            lambda w=who: w.set_programme_settings("P", {"approved": 3}),
        ):
            with pytest.raises(CentralRefused) as refused:
                attempt()
            assert refused.value.status == 403, name
    assert not (tmp_path / "no.zip").exists()
    staff.import_accuracy_form(DEMO_VISIT_ID, data)
    assert len(c.client("lead").accuracy_comments(DEMO_VISIT_ID)["comments"]) == 1
    for name in ("cns", "outsider"):
        with pytest.raises(CentralRefused) as refused:
            c.client(name).accuracy_comments(DEMO_VISIT_ID)
        assert refused.value.status == 403, name
