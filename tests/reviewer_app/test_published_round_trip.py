"""A published-shape standards set, all the way out: Excel's file -> `kit build` -> `visit open`
-> the lead's team judgements -> `report` (PDF and DOCX) and `feedback`, as real commands.

Issue 12: what staff put in must come out intact, and every document of one visit must show the
same figures. The inputs are the haemoglobin disorders shapes of ``tests/sync/standards_fixtures``
(Windows-1252 CSV and XLSX, Notes before Demonstration of Compliance, a component named with
commas, network and commissioning rows the visit does not review), with a commissioner among
the organisations and patient numbers for the services, as published reports show them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.compliance import compliance
from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_MET
from reviewer_app.visit.workspaces import open_session
from tests.reviewer_app.test_cli import run
from tests.sync import standards_fixtures as fx

ICB = "NHS Riverside and Wealdshire Integrated Care Board"
REASON = "The café’s “named” lead – on call 9–5 – costs £40 a week…"
VISIT = {
    **fx.VISIT,
    "organisations": [
        *fx.VISIT["organisations"],  # type: ignore[list-item]
        {"id": "org-icb", "name": ICB, "role": "commissioner"},
    ],
    "components": [
        {"id": "SHT", "name": fx.SHT_NAME, "patients": "about 250 adults and 120 children"},
        {"id": "LHT", "name": fx.LHT_NAME, "patients": 85},
    ],
}
JUDGED = {  # (ref, component) -> team judgement; HN-103 x LHT and the rest stay unjudged
    ("HN-101", "SHT"): MET,
    ("HN-101", "LHT"): MET,
    ("HN-102", "SHT"): NOT_MET,
    ("HN-104", "SHT"): NOT_APPLICABLE,
    ("HN-105", "SHT"): MET,
}


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdf_text(path: Path) -> str:
    return flat(" ".join(page.extract_text() or "" for page in PdfReader(path).pages))


@pytest.mark.parametrize("writer", [fx.write_cp1252_csv, fx.write_xlsx], ids=["csv", "xlsx"])
def test_a_published_set_arrives_intact_and_every_document_agrees(
    app_home: Path, tmp_path: Path, writer: Callable[[Path], Path]
) -> None:
    key = tmp_path / "staff.key"
    run("keys", "generate", "--out", str(key), home=app_home)
    run("keys", "trust", f"{key}.pub", home=app_home)
    standards = writer(tmp_path / ("hn.csv" if writer is fx.write_cp1252_csv else "hn.xlsx"))
    visit_json = tmp_path / "visit.json"
    visit_json.write_text(json.dumps(VISIT, ensure_ascii=False), encoding="utf-8")
    kit = tmp_path / "hn.rvkit"
    named = ["--standards-title", fx.TITLE, "--standards-version", "V4"]
    named += ["--standards-date", "October 2018"]
    run("kit", "build", "--standards", str(standards), "--visit", str(visit_json), *named,
        "--key", str(key), "-o", str(kit), home=app_home)  # fmt: skip
    visit_id = str(VISIT["visit_id"])
    run("visit", "open", str(kit), "--as", "m-lead", home=app_home)

    paths = AppPaths.from_environment()
    session = open_session(paths, visit_id).result(timeout=60)
    try:
        for (ref, comp), value in JUDGED.items():
            session.set_team_judgement(ref, comp, value, REASON).result(timeout=30)
    finally:
        session.close()
    session = open_session(paths, visit_id).result(timeout=60)  # as the report reads it
    try:
        figures = compliance(session.data)
        kit_refs = {s.ref for s in session.data.standards}
    finally:
        session.close()
    assert kit_refs == set(fx.KEPT)  # the network and commissioning rows were left out

    report = tmp_path / "report.pdf"
    run("report", "--visit", visit_id, "-o", str(report), home=app_home)
    word = tmp_path / "report.docx"
    run("report", "--visit", visit_id, "--format", "docx", "-o", str(word), home=app_home)
    sheet = tmp_path / "sheet.pdf"
    run("feedback", "--visit", visit_id, "-o", str(sheet), home=app_home)

    text = pdf_text(report)
    # The set is named, with its version and date, on the cover and in the introduction.
    assert text.count(f"{fx.TITLE}") >= 2 and "V4, October 2018" in text
    # The component named with commas arrives whole; the commissioner is named as such.
    assert fx.SHT_NAME in text
    assert ICB in text and re.search(r"commission\w* by " + re.escape(ICB), text)
    assert "about 250 adults and 120 children" in text  # patient numbers in the services table
    assert REASON in text  # Windows-1252's curly quotes, dashes, £ and … survive to the print
    for ref in fx.LEFT_OUT:
        assert ref not in text
    # One set of figures: the report's summary, the sheet and the Word file.
    summary = text[text.rfind("Summary of compliance") :]
    sheet_text = pdf_text(sheet)
    word_rows = {
        tuple(c.text for c in row.cells)
        for table in docx.Document(str(word)).tables
        for row in table.rows
    }
    for c in figures:
        name = flat(c.name)
        assert f"{name} {c.applicable} {c.met} {c.percent_text}" in summary
        assert f"{name} {c.applicable} {c.met} {c.not_met} {c.not_assessed} {c.percent_text}" in (
            sheet_text
        )
        assert (c.name, str(c.applicable), str(c.met), c.percent_text) in word_rows
    sht = next(c for c in figures if c.component == "SHT")
    assert (sht.met, sht.not_met) == (2, 1)
