"""One visit, one set of figures: every output's compliance figures are the same (issue 12).

The feedback sheet once counted reviewers' agreed judgements while the report counted the team's
only, so one visit's Commissioning showed "applicable 1" on the sheet and "2" in the report.
Hypothesis draws random visits (components, standards applying to some of them, N/A for one
component only, team judgements missing or "not yet assessed", reviewers' own judgements that
must not count) and reads the figures off each output as its reader would see them: the lead's
compliance window, ``findings.json``, the central service's overview recomputation, the report
model, and (for fewer visits, since they are real documents) the feedback sheet's and the
report's PDF text and the report's DOCX tables.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from reviewer_app.lead.compliance import compliance
from reviewer_app.lead.findings_document import findings_document
from reviewer_app.report import build_report_model, render_docx, render_pdf
from reviewer_app.report.feedback import feedback_sheet
from reviewer_app.visit.model import (
    JUDGEMENT,
    JUDGEMENTS,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData
from sync.kit_model import Standard, VisitDetails
from sync.server.overview import visit_figures

Figures = list[tuple[str, int, int, str]]  # (component name, applicable, met, % met)

COMPONENT_NAMES = (
    "Specialist Haemoglobinopathy Team",
    "Local Haemoglobinopathy Team",
    "Haemoglobinopathy Network",
    "Commissioning",
)
MEMBERS = ("m-lead", "m-cns", "m-paed")
MAYBE = st.sampled_from((*JUDGEMENTS, None))  # None: nothing recorded


@st.composite
def visits(draw: Any) -> VisitData:
    n_components = draw(st.integers(1, len(COMPONENT_NAMES)))
    components = [(f"c{i}", COMPONENT_NAMES[i]) for i in range(n_components)]
    ids = [cid for cid, _ in components]
    n_standards = draw(st.integers(0, 12))
    standards = [
        Standard(
            ref=f"HN-{101 + i}",
            section="Staffing",
            title=f"Standard {i}",
            requirement="The service should have enough staff.",
            applies_to=tuple(draw(st.sets(st.sampled_from(ids), min_size=1))),
            order=i + 1,
        )
        for i in range(n_standards)
    ]
    visit = VisitDetails.from_dict(
        {
            "visit_id": "a1b2c3d4-0000-4000-8000-000000000012",
            "programme": "Haemoglobin Disorders Peer Review Programme",
            "title": "Review of haemoglobin disorders services",
            "organisations": [{"id": "o1", "name": "Riverside University Hospitals NHS Trust"}],
            "sites": [],
            "components": [{"id": cid, "name": name} for cid, name in components],
            "start_date": "2026-12-03",
            "timetable": [],
            "team": [
                {"member_id": m, "name": m, "role": "Nurse", "lead": m == "m-lead"} for m in MEMBERS
            ],
        }
    )
    data = VisitData(
        visit=visit,
        sections=["Staffing"],
        standards=standards,
        self_assessment={},
        documents=[],
        member_id="m-lead",
        demo=False,
    )
    for s in standards:
        for cid in s.applies_to:
            team = draw(MAYBE)
            if team is not None:
                fields = {"value": team, "rationale": "Seen at the visit."}
                data.apply(TEAM_JUDGEMENT, team_judgement_id(s.ref, cid), fields)
            for member in MEMBERS[1:]:  # reviewers' own judgements never count
                mine = draw(MAYBE)
                if mine is not None:
                    data.apply(JUDGEMENT, judgement_id(s.ref, cid, member), {"value": mine})
    return data


def expected(data: VisitData) -> Figures:
    """The figures worked out by hand from the drawn visit, independently of the code."""
    out = []
    for comp in data.visit.components:
        values = [
            data.team_judgement(s.ref, comp.id).value
            for s in data.standards
            if comp.id in s.applies_to
        ]
        applicable = sum(v != "not_applicable" for v in values)
        met = values.count("met")
        percent = "-" if applicable == 0 else f"{int(100 * met / applicable + 0.5)}%"
        out.append((comp.name, applicable, met, percent))
    return out


def as_figures(rows: Any) -> Figures:
    return [(c.name, c.applicable, c.met, c.percent_text) for c in rows]


def window_figures(data: VisitData, qapp: Any) -> Figures:
    from ui.lead.compliance import ComplianceModel  # noqa: PLC0415 - needs the QApplication

    model = ComplianceModel()
    model.set_rows(compliance(data))
    cell = model.index
    return [
        (
            str(model.data(cell(r, 0))),
            int(model.data(cell(r, 1))),
            int(model.data(cell(r, 2))),
            str(model.data(cell(r, 5))),
        )
        for r in range(model.rowCount())
    ]


def findings_json(data: VisitData) -> dict[str, Any]:
    return findings_document(data, kit_id="kit", blob_size=lambda _sha: 0, holidays=frozenset())


def findings_figures(doc: dict[str, Any]) -> Figures:
    names = {c["id"]: c["name"] for c in doc["visit"]["components"]}
    rows = []
    for row in doc["compliance"]:
        applicable, met = row["applicable"], row["met"]
        percent = "-" if applicable == 0 else f"{int(100 * met / applicable + 0.5)}%"
        rows.append((names[row["component"]], applicable, met, percent))
    return rows


def no_blob(sha: str) -> BinaryIO:
    raise AssertionError(f"no photo in these visits ({sha})")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=visits())
def test_every_output_gives_the_same_figures(data: VisitData, qapp: Any) -> None:
    want = expected(data)
    assert as_figures(compliance(data)) == want
    assert window_figures(data, qapp) == want
    doc = findings_json(data)
    assert findings_figures(doc) == want
    assert as_figures(visit_figures(doc)) == want  # the central service's recomputation
    model = build_report_model(data, open_blob=no_blob, report_date=date(2026, 12, 4))
    assert as_figures(model.summary) == want


def pdf_text(path: Path) -> str:
    return " ".join((p.extract_text() or "") for p in PdfReader(path).pages)


def compact(text: str) -> str:
    return " ".join(text.split())


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=visits())
def test_the_printed_documents_give_the_same_figures(data: VisitData) -> None:
    want = expected(data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sheet = compact(pdf_text(feedback_sheet(data, folder / "sheet.pdf", open_blob=no_blob)))
        model = build_report_model(data, open_blob=no_blob, report_date=date(2026, 12, 4))
        report = compact(pdf_text(render_pdf(model, folder / "report.pdf")))
        word = docx.Document(str(render_docx(model, folder / "report.docx")))
    summary = report[report.rfind("Summary of compliance") :]
    for (name, applicable, met, percent), c in zip(want, compliance(data), strict=True):
        # The sheet: component, applicable, met, not met, not yet assessed, % met.
        assert f"{name} {applicable} {met} {c.not_met} {c.not_assessed} {percent}" in sheet
        assert f"{name} {applicable} {met} {percent}" in summary
    docx_rows = [
        tuple(cell.text for cell in row.cells)
        for table in word.tables
        for row in table.rows
        if len(row.cells) == 4
    ]
    for name, applicable, met, percent in want:
        assert (name, str(applicable), str(met), percent) in docx_rows
