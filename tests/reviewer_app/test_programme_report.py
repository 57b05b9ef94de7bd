"""The programme overview report and the QSG summary (issue 18), read back as a reader would:
the PDFs with pypdf, the DOCX with python-docx, the CSV as a spreadsheet would; and the privacy
check keeping patient-identifiable text out of what goes to the QSG."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from reviewer_app.report import (
    PrivacyRefused,
    build_programme_overview,
    build_qsg_summary,
    privacy_hits,
    render_programme_docx,
    render_programme_pdf,
    render_qsg_pdf,
    write_qsg_csv,
)
from reviewer_app.report.programme import PORTRAIT_COLUMNS
from sync.compliance import component_figures, percent_met
from tests.server import central_helpers
from tests.server.central_helpers import Central
from tests.server.kit_envelopes import kit_envelope, with_judgements

# The live service's fixtures (on SQLite here: tests/server runs them on PostgreSQL too).
central = central_helpers.central
demo_central = central_helpers.demo_central

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"
NAMES = {
    "shc": "Specialist Haemoglobinopathy Centre",
    "lht": "Local Haemoglobinopathy Team",
    "comm": "Commissioning",
}
TRUSTS = [
    "Northgate Hospitals NHS Trust",
    "Eastmoor NHS Foundation Trust",
    "Zoë Łukasz Nguyễn University Hospitals NHS Trust",
]
GOOD = "Psychology drop-in clinic co-designed with patients and carers."
RISK = "No paediatric consultant cover at night; children transferred without an escort."
CONCERN = "Transfusion records incomplete for a third of patients sampled."


def overview_data(visits: int = 3, standards: int = 12) -> dict[str, Any]:
    """An overview in the service's shape (sync/server/programme.py): every visit judges each
    standard of each component met, except standard i not met in visit v when i % (v + 2) == 0,
    and HN-105 not applicable everywhere."""
    sections = ["Staffing", "Governance"]
    refs = [
        (f"HN-{100 + i}", sections[i * 2 // standards], f"Standard {i}") for i in range(standards)
    ]
    visit_rows: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = []
    cells_by_column: list[list[str]] = []
    for v in range(visits):
        trust = TRUSTS[v % len(TRUSTS)] + ("" if v < len(TRUSTS) else f" {v}")
        visit_id = f"visit-{v}"
        visit_rows.append(
            {
                "visit_id": visit_id,
                "title": f"Review of {trust}",
                "organisations": [trust],
                "version": 1,
                "snapshot_id": str(uuid.uuid4()),
                "state": "approved",
                "start_date": f"2026-0{1 + v % 9}-10",
                "end_date": f"2026-0{1 + v % 9}-11",
                "approved_at": "2027-01-05",
                "published_at": None,
            }
        )
        for comp in ("shc", "lht", "comm"):
            cells = [
                "not_applicable" if ref == "HN-105" else "not_met" if i % (v + 2) == 0 else "met"
                for i, (ref, _s, _t) in enumerate(refs)
            ]
            f = component_figures(comp, NAMES[comp], cells)
            columns.append(
                {
                    "visit_id": visit_id,
                    "component": comp,
                    "component_name": NAMES[comp],
                    "organisation": trust,
                    "applicable": f.applicable,
                    "met": f.met,
                    "not_met": f.not_met,
                    "not_assessed": f.not_assessed,
                    "percent_met": f.percent,
                }
            )
            cells_by_column.append(cells)
    rows: list[dict[str, Any]] = []
    for i, (ref, section, title) in enumerate(refs):
        cells = [c[i] for c in cells_by_column]
        f = component_figures(ref, title, cells)
        rows.append(
            {
                "ref": ref,
                "section": section,
                "title": title,
                "cells": cells,
                "applicable": f.applicable,
                "met": f.met,
                "not_met": f.not_met,
                "not_assessed": f.not_assessed,
                "percent_met": f.percent,
            }
        )
    organisations: list[dict[str, Any]] = []
    for trust in dict.fromkeys(c["organisation"] for c in columns):
        mine = [c for c in columns if c["organisation"] == trust]
        applicable, met = sum(c["applicable"] for c in mine), sum(c["met"] for c in mine)
        organisations.append(
            {
                "organisation": trust,
                "visits": 1,
                "applicable": applicable,
                "met": met,
                "not_met": applicable - met,
                "not_assessed": 0,
                "percent_met": percent_met(met, applicable),
            }
        )
    worst = sorted((r for r in rows if r["not_met"]), key=lambda r: -r["not_met"])
    risk_base = {
        "visit_id": "visit-0",
        "visit_title": visit_rows[0]["title"],
        "visit_date": "2026-01-11",
        "version": 1,
        "state": "approved",
        "approved_at": "2027-01-05",
        "published_at": None,
        "organisation": TRUSTS[0],
        "refs": ["HN-101"],
    }
    return {
        "programme": PROGRAMME,
        "generated_at": "2027-02-01T09:00:00Z",
        "visits": visit_rows,
        "sections": sections,
        "columns": columns,
        "standards": rows,
        "organisations": organisations,
        "most_not_met": [
            {
                "ref": r["ref"],
                "section": r["section"],
                "title": r["title"],
                "not_met": r["not_met"],
                "applicable": r["applicable"],
                "organisations": sorted(
                    {columns[k]["organisation"] for k, c in enumerate(r["cells"]) if c == "not_met"}
                ),
            }
            for r in worst
        ],
        "good_practice": [
            {
                "visit_id": "visit-1",
                "visit_title": visit_rows[1 % visits]["title"],
                "organisation": TRUSTS[1 % visits],
                "component": "shc",
                "component_name": NAMES["shc"],
                "number": 1,
                "text": GOOD,
                "refs": ["HN-102"],
            }
        ],
        "risks": [
            {
                **risk_base,
                "component": "shc",
                "component_name": NAMES["shc"],
                "category": "immediate_risk",
                "number": 1,
                "text": RISK,
                "status": "confirmed",
                "escalated_to": "Chief Executive and ICB Chief Nurse",
                "escalated_at": "2026-01-11",
                "escalated_how": "phone",
                "confirmation_due": "2026-01-13",
                "confirmation_sent": "2026-01-12",
            },
            {
                **risk_base,
                "component": "lht",
                "component_name": NAMES["lht"],
                "category": "serious_concern",
                "number": 1,
                "text": CONCERN,
                "status": "",
                "escalated_to": "",
                "escalated_at": "",
                "escalated_how": "",
                "confirmation_due": "",
                "confirmation_sent": "",
            },
        ],
    }


def qsg_data(risks: list[dict[str, Any]]) -> dict[str, Any]:
    data = overview_data()
    providers = sorted({r["organisation"] for r in risks})
    return {
        "programme": PROGRAMME,
        "generated_at": "2027-02-01T09:00:00Z",
        "visits": data["visits"][:1],
        "providers": [
            {"organisation": p, "items": [r for r in risks if r["organisation"] == p]}
            for p in providers
        ],
    }


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_overview_pdf_reads_back(tmp_path: Path) -> None:
    data = overview_data()
    out = render_programme_pdf(build_programme_overview(data), tmp_path / "overview.pdf")
    reader = PdfReader(out)
    text = " ".join(pdf_text(out).split())
    assert reader.metadata is not None and "Programme overview" in str(reader.metadata.title)
    first = reader.pages[0].extract_text()
    assert "Programme overview" in first and PROGRAMME in first
    assert "Review of Northgate Hospitals NHS Trust" in first  # the visits included
    pages = len(reader.pages)
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()
    # % met per organisation: Northgate (visit 0) fails every second standard.
    northgate = next(o for o in data["organisations"] if o["organisation"] == TRUSTS[0])
    assert f"{northgate['percent_met']}%" in text
    assert northgate["percent_met"] == 45  # 6 not met of 11 applicable, three times
    # % met per standard: HN-100 is not met everywhere, HN-101 met everywhere.
    assert "HN-100" in text and "0%" in text and "100%" in text
    # A not-met standard heads the "most often not met" list, and the heat map shows ✗.
    # HN-100 is not met in all 9 columns, HN-106 in 6 (visits 0 and 1): most first.
    chapter = text[text.index("4. The standards most often not met") : text.index("5. Good")]
    assert chapter.index("HN-100") < chapter.index("HN-106")
    assert "✗" in text and "✓" in text
    # Every standard has its own row (HN-101 is met everywhere: only the heat map shows it).
    for i in range(12):
        assert f"HN-{100 + i} Standard {i} " in text
    assert "Zoë Łukasz Nguyễn" in text
    assert GOOD in text
    assert RISK.split(";", maxsplit=1)[0] in text
    assert "Confirmed in writing" in text


def test_the_overview_docx_reads_back(tmp_path: Path) -> None:
    data = overview_data()
    out = render_programme_docx(build_programme_overview(data), tmp_path / "overview.docx")
    doc = Document(str(out))
    headings = [
        p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert "3. Compliance with each standard" in headings
    assert "6. Immediate risks and serious concerns" in headings
    body = "\n".join(p.text for p in doc.paragraphs)
    assert PROGRAMME in body and "Programme overview" in body
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    northgate = next(o for o in data["organisations"] if o["organisation"] == TRUSTS[0])
    assert f"{northgate['percent_met']}%" in cells
    heat = next(t for t in doc.tables if any(c.text == "HN-100" for c in t.columns[0].cells))
    hn100 = next(r for r in heat.rows if r.cells[0].text == "HN-100")
    assert hn100.cells[2].text == "0%"  # the standard's % met, then a cell per column
    assert [c.text for c in hn100.cells[3:]] == ["✗"] * len(data["columns"])
    # The heat map's header rows repeat on every page; a not-met cell is shaded.
    header = heat.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    shading = hn100.cells[3]._tc.tcPr.find(qn("w:shd"))
    assert shading is not None and shading.get(qn("w:fill")) == "F9C78E"
    assert any(GOOD in c for c in body.split("\n"))
    assert any(RISK in c for c in cells)
    assert not doc.sections[0].orientation  # 9 columns: portrait


def test_many_organisations_go_landscape_in_column_groups(tmp_path: Path) -> None:
    data = overview_data(visits=12)
    model = build_programme_overview(data)
    assert len(model.columns) == 36 > PORTRAIT_COLUMNS and model.landscape
    pdf = render_programme_pdf(model, tmp_path / "wide.pdf")
    page = PdfReader(pdf).pages[2]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    text = pdf_text(pdf)
    assert "Columns A1 to" in text and "(2 of 2)" in text
    # Each visit's columns stay in one group, and every group fits the page.
    from reviewer_app.report.programme import heat_map_layout  # noqa: PLC0415

    _title, per_group = heat_map_layout(model.frame_cm, len(model.columns))
    groups = model.column_groups(per_group)
    assert len(groups) == 2 and all(len(g.indices) <= per_group for g in groups)
    for g in groups:
        visits = {model.columns[i].visit_id for i in g.indices}
        assert all(
            sum(c.visit_id == v for c in model.columns)
            == sum(model.columns[i].visit_id == v for i in g.indices)
            for v in visits
        )
    docx = render_programme_docx(model, tmp_path / "wide.docx")
    assert Document(str(docx)).sections[0].orientation == 1  # landscape


def risk(text: str, organisation: str = TRUSTS[0], **fields: Any) -> dict[str, Any]:
    base = next(r for r in overview_data()["risks"] if r["category"] == "immediate_risk")
    return {**base, "organisation": organisation, "text": text, **fields}


def test_the_qsg_pdf_and_csv(tmp_path: Path) -> None:
    risks = [
        risk(RISK),
        risk(CONCERN, category="serious_concern", status="", escalated_to=""),
        risk('=HYPERLINK("http://example.com","x") lift broken', organisation=TRUSTS[2]),
        risk("+1 bed closed", organisation=TRUSTS[1], escalated_how="-by phone"),
        risk("@SUM(A1) ward", organisation=TRUSTS[1], escalated_to="\tICB"),
    ]
    summary = build_qsg_summary(qsg_data(risks))
    pdf = render_qsg_pdf(summary, tmp_path / "qsg.pdf")
    text = " ".join(pdf_text(pdf).split())
    assert "Summary for the Quality Surveillance Group" in text
    assert RISK.split(";", maxsplit=1)[0] in text and CONCERN.split(" for", maxsplit=1)[0] in text
    assert "Chief Executive and ICB Chief Nurse, 11 January 2026, by phone" in text
    assert "due 13 January 2026; sent 12 January 2026" in text
    assert text.index(TRUSTS[1]) < text.index(TRUSTS[0], text.index("by provider"))

    out = write_qsg_csv(summary, tmp_path / "qsg.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    found = {r["What was found"] for r in rows}
    assert '\'=HYPERLINK("http://example.com","x") lift broken' in found
    assert "'+1 bed closed" in found and "'@SUM(A1) ward" in found
    assert {r["Told how"] for r in rows} >= {"'-by phone"}
    assert {r["Told to"] for r in rows} >= {"'\tICB"}
    assert all(not v.startswith(("=", "+", "-", "@", "\t")) for r in rows for v in r.values())
    northgate = [r for r in rows if r["Provider"] == TRUSTS[0]]
    assert [r["Category"] for r in northgate] == ["Immediate risk", "Serious concern"]
    assert northgate[0]["Written confirmation due"] == "2026-01-13"
    assert northgate[0]["Status"] == "Confirmed in writing"
    assert any(r["Provider"] == TRUSTS[2] for r in rows)  # non-Latin-1 names survive


def test_the_privacy_check_keeps_an_nhs_number_out(tmp_path: Path) -> None:
    summary = build_qsg_summary(
        qsg_data([risk("Patient 943 476 5919 waited 9 hours for a transfusion."), risk(RISK)])
    )
    hits = privacy_hits(summary)
    assert [(h.kind, h.match) for h in hits] == [("nhs_number", "943 476 5919")]
    assert TRUSTS[0] in hits[0].message() and "NHS number" in hits[0].message()
    with pytest.raises(PrivacyRefused) as refused:
        render_qsg_pdf(summary, tmp_path / "qsg.pdf")
    assert "943 476 5919" in str(refused.value)
    with pytest.raises(PrivacyRefused):
        write_qsg_csv(summary, tmp_path / "qsg.csv")
    assert not (tmp_path / "qsg.pdf").exists() and not (tmp_path / "qsg.csv").exists()
    # Staff who confirm the hit is meant (a made-up number in a training example) may go on.
    render_qsg_pdf(summary, tmp_path / "qsg.pdf", confirmed=[hits[0].key])
    assert "943 476 5919" in pdf_text(tmp_path / "qsg.pdf")
    # Clean text passes.
    assert privacy_hits(build_qsg_summary(qsg_data([risk(RISK)]))) == []


def test_the_services_overview_renders_with_its_figures(
    demo_central: Central, tmp_path: Path
) -> None:
    envelope = kit_envelope([{"component": "shc", "applicable": 10, "met": 7}])
    envelope = with_judgements(envelope, envelope["findings"]["team_judgements"])
    demo_central.client("lead").submit(envelope)
    staff = demo_central.client("staff")
    staff.set_state(envelope["snapshot_id"], "accepted")
    data = staff.programme_overview(PROGRAMME)
    shc = next(c for c in data["columns"] if c["component"] == "shc")
    assert (shc["applicable"], shc["met"], shc["percent_met"]) == (10, 7, 70)
    pdf = render_programme_pdf(build_programme_overview(data), tmp_path / "o.pdf")
    text = " ".join(pdf_text(pdf).split())
    assert (
        "A1 Riverside University Hospitals NHS Trust Specialist Haemoglobinopathy Centre 10 7 70%"
        in text
    )
    docx = render_programme_docx(build_programme_overview(data), tmp_path / "o.docx")
    cells = [c.text for t in Document(str(docx)).tables for r in t.rows for c in r.cells]
    assert "70%" in cells
