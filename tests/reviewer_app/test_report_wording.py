"""What the report says of the visit: the standards set, the services and who provides and
commissions them, patient numbers, footers that end on a whole word, findings kept whole.

Small visits made by hand (no workspace), so each case is quick; the documents are read back
with pypdf and python-docx as a reader would see them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from report_pictures import pdf_pictures

from reviewer_app.report import build_report_model, render_docx, render_pdf
from reviewer_app.report.images import no_blobs
from reviewer_app.report.model import ReportModel
from reviewer_app.report.texts import shorten, the_list, version_text
from reviewer_app.visit.model import Finding
from reviewer_app.visit.read_model import VisitData
from sync.kit_model import (
    COMMISSIONER,
    Component,
    Member,
    Organisation,
    Site,
    Standard,
    StandardsSetInfo,
    VisitDetails,
)

HN_SET = StandardsSetInfo(
    "hn-v4",
    "Quality Standards for Health Services Caring for People with Haemoglobin Disorders",
    "V4",
    "October 2018",
)
TRUST = Organisation("o-trust", "Example NHS Trust")
ICB = Organisation("o-icb", "NHS Example Integrated Care Board", COMMISSIONER)
SERVICES = [
    "Specialist Haemoglobinopathy Team",
    "Local Haemoglobinopathy Team",
    "Paediatric Haemoglobinopathy Service",
    "Emergency Department",
    "Haemoglobinopathy Network",
]
LONG_TITLE = (
    "Review of haemoglobin disorder services for adults and children, Riverside University "
    "Hospitals NHS Foundation Trust and Wealdshire Community Healthcare NHS Trust"
)


def visit_data(
    services: list[str],
    *,
    organisations: tuple[Organisation, ...] = (TRUST, ICB),
    standards_set: StandardsSetInfo | None = HN_SET,
    patients: dict[str, int | str] | None = None,
    title: str = "Review of Example NHS Trust",
    findings: dict[str, Finding] | None = None,
) -> VisitData:
    """A visit of ``services`` (ids c1, c2, ...), each at its own site of the trust."""
    patients = patients or {}
    components = tuple(
        Component(f"c{i}", name, f"s{i}", patients.get(f"c{i}", ""))
        for i, name in enumerate(services, 1)
    )
    sites = tuple(Site(f"s{i}", f"Site {i}", TRUST.id) for i in range(1, len(services) + 1))
    visit = VisitDetails(
        visit_id="v1",
        programme="Haemoglobin Disorders Peer Review Programme",
        title=title,
        network="Example Network",
        organisations=organisations,
        sites=sites,
        components=components,
        start_date="2026-12-03",
        end_date="2026-12-03",
        venue="",
        timetable=(),
        team=(Member("m-lead", "Dr Zoë Hartley", "Consultant", lead=True),),
    )
    refs = [f"HN-{900 + n}" for n in range(1, 61)]
    standards = [
        Standard(ref, "Staffing", f"Standard {ref}", "Requirement.", applies_to=("c1",))
        for ref in refs
    ]
    return VisitData(
        visit=visit,
        sections=["Staffing"],
        standards=standards,
        self_assessment={},
        documents=[],
        member_id="m-lead",
        demo=False,
        standards_set=standards_set,
        findings=findings or {},
    )


def model_of(data: VisitData) -> ReportModel:
    return build_report_model(data, open_blob=no_blobs)


def first_sentence(model: ReportModel) -> str:
    return model.introduction.paragraphs[0].split(". The review was carried out")[0] + "."


def pdf_pages(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(pdf).pages]


# -- 1. the standards set -------------------------------------------------------------------


def test_the_standards_set_is_named_on_the_cover_and_in_the_introduction(tmp_path: Path) -> None:
    model = model_of(visit_data(SERVICES[:1]))
    named = (
        "compliance with the ‘Quality Standards for Health Services Caring for People with "
        "Haemoglobin Disorders’, V4, October 2018"
    )
    assert named in model.introduction.paragraphs[1]
    assert model.cover.standards == (
        "Quality Standards for Health Services Caring for People with Haemoglobin Disorders, "
        "V4, October 2018"
    )
    pages = pdf_pages(render_pdf(model, tmp_path / "report.pdf"))
    assert "Quality Standards for Health Services Caring for People with Haemoglobin" in pages[0]
    assert "V4, October 2018" in pages[0]
    assert named in " ".join(pages[2:4])
    cover = [c.text for t in Document(str(render_docx(model, tmp_path / "r.docx"))).tables[:1]
             for row in t.rows for c in row.cells]  # fmt: skip
    assert "Quality Standards" in cover and model.cover.standards in cover


@pytest.mark.parametrize(
    ("version", "date", "said"),
    [
        ("V4", "October 2018", "’, V4, October 2018"),
        ("4", "October 2018", "’, version 4, October 2018"),
        ("4.1", "2024-01-15", "’, version 4.1, January 2024"),
        ("Version 2", "", "’, Version 2, and to help"),
    ],
)
def test_the_sets_version_as_given(version: str, date: str, said: str) -> None:
    info = replace(HN_SET, version=version, date=date)
    assert said in model_of(visit_data(SERVICES[:1], standards_set=info)).introduction.paragraphs[1]


def test_version_text() -> None:
    assert [version_text(v) for v in ("V4", "4", " 3 ", "v2")] == [
        "V4",
        "version 4",
        "version 3",
        "v2",
    ]


def test_without_a_set_the_introduction_says_the_quality_standards() -> None:
    model = model_of(visit_data(SERVICES[:1], standards_set=None))
    assert "compliance with the Quality Standards, and to help" in model.introduction.paragraphs[1]
    assert model.cover.standards == ""


# -- 2. the services, their providers and commissioners --------------------------------------

INTRODUCTIONS = {
    1: "This report presents the findings of the peer review of the Specialist "
    "Haemoglobinopathy Team provided by Example NHS Trust and commissioned by NHS Example "
    "Integrated Care Board, which took place on 3 December 2026.",
    2: "This report presents the findings of the peer review of the Specialist "
    "Haemoglobinopathy Team and the Local Haemoglobinopathy Team provided by Example NHS Trust "
    "and commissioned by NHS Example Integrated Care Board, which took place on 3 December 2026.",
    5: "This report presents the findings of the peer review of the Specialist "
    "Haemoglobinopathy Team, the Local Haemoglobinopathy Team, the Paediatric "
    "Haemoglobinopathy Service, the Emergency Department and the Haemoglobinopathy Network "
    "provided by Example NHS Trust and commissioned by NHS Example Integrated Care Board, which "
    "took place on 3 December 2026.",
}


@pytest.mark.parametrize("count", sorted(INTRODUCTIONS))
def test_the_introduction_names_each_service_and_who_provides_and_commissions_it(
    count: int,
) -> None:
    assert first_sentence(model_of(visit_data(SERVICES[:count]))) == INTRODUCTIONS[count]


def test_the_list_of_services() -> None:
    assert the_list(["A"]) == "the A"
    assert the_list(["A", "B"]) == "the A and the B"
    assert the_list(list("ABCDE")) == "the A, the B, the C, the D and the E"
    assert the_list(["The Centre", "B"]) == "The Centre and the B"


def test_providers_only_and_several_providers() -> None:
    other = Organisation("o2", "Other NHS Foundation Trust")
    alone = first_sentence(model_of(visit_data(SERVICES[:1], organisations=(TRUST,))))
    assert "Team provided by Example NHS Trust, which took place" in alone
    both = first_sentence(model_of(visit_data(SERVICES[:1], organisations=(TRUST, other, ICB))))
    assert (
        "provided by Example NHS Trust and Other NHS Foundation Trust, and commissioned by NHS "
        "Example Integrated Care Board, which" in both
    )
    none = first_sentence(model_of(visit_data(SERVICES[:1], organisations=())))
    assert "of the Specialist Haemoglobinopathy Team, which took place" in none


def test_the_cover_says_which_organisation_commissions() -> None:
    cover = model_of(visit_data(SERVICES[:1])).cover
    assert cover.organisations == (
        "Example NHS Trust",
        "NHS Example Integrated Care Board (commissioner)",
    )


# -- 3. patient numbers ----------------------------------------------------------------------


def test_patients_column_only_when_the_visit_gives_numbers(tmp_path: Path) -> None:
    given = model_of(visit_data(SERVICES[:3], patients={"c1": 1250, "c2": "about 250 adults"}))
    assert [r.patients for r in given.services] == ["1,250", "about 250 adults", ""]
    pages = pdf_pages(render_pdf(given, tmp_path / "given.pdf"))
    services = next(p for p in pages[2:] if "Reviewed as" in p)
    assert "Organisation Patients" in services
    assert "1,250" in services and "about 250 adults" in services
    table = Document(str(render_docx(given, tmp_path / "given.docx"))).tables[1]
    assert [c.text for c in table.rows[0].cells] == [
        "Reviewed as",
        "Site",
        "Organisation",
        "Patients",
    ]
    assert [r.cells[3].text for r in table.rows[1:]] == ["1,250", "about 250 adults", ""]

    plain = model_of(visit_data(SERVICES[:3]))
    assert not plain.patients_column
    pages = pdf_pages(render_pdf(plain, tmp_path / "plain.pdf"))
    assert "Patients" not in next(p for p in pages[2:] if "Reviewed as" in p)
    table = Document(str(render_docx(plain, tmp_path / "plain.docx"))).tables[1]
    assert [c.text for c in table.rows[0].cells] == ["Reviewed as", "Site", "Organisation"]


# -- 4. long titles end on a whole word -------------------------------------------------------


def test_shorten_cuts_at_a_word_boundary() -> None:
    title = "Review of haemoglobin disorder services, Riverside University Hospitals NHS Trust"
    assert shorten(title, 200) == title
    assert shorten(title, 80) == (
        "Review of haemoglobin disorder services, Riverside University Hospitals NHS…"
    )
    assert shorten(title, 42) == "Review of haemoglobin disorder services…"  # no dangling comma
    assert shorten(title, 80, ellipsis="").endswith("Hospitals NHS")
    assert shorten("Supercalifragilistic", 8) == "Superca…"  # one long word: cut where it must


def footer_of(page: str) -> str:
    """The footer's title on a page's text: what stands before " · V1 draft"."""
    found = re.search(r"(Review of .*?) · V1 draft", page)
    assert found, page[-300:]
    return found.group(1)


def test_a_long_title_in_the_footer_ends_on_a_whole_word(tmp_path: Path) -> None:
    model = model_of(visit_data(SERVICES[:1], title=LONG_TITLE))
    pages = pdf_pages(render_pdf(model, tmp_path / "long.pdf"))
    shown = footer_of(pages[2])
    assert shown.endswith("…") and len(shown) < len(LONG_TITLE)
    kept = shown.removesuffix("…")
    assert LONG_TITLE.startswith(kept) and LONG_TITLE[len(kept)] == " ", shown
    footer = Document(str(render_docx(model, tmp_path / "long.docx"))).sections[0].footer
    text = footer.paragraphs[0].text
    kept = text.split(" · ")[0].removesuffix("…")
    assert text.split(" · ")[0].endswith("…") and LONG_TITLE[len(kept)] == " ", text


# -- 5. a finding's lines stay together --------------------------------------------------------


def many_findings() -> dict[str, Finding]:
    """Forty concerns of varied length, each on one standard: some page must end mid-finding
    unless the finding is kept whole."""
    out = {}
    for n in range(1, 41):
        words = " ".join(["The evidence seen did not show this in practice."] * (1 + n * 7 % 9))
        out[f"f{n}"] = Finding(
            f"f{n}",
            f"Marker{n:02d}. {words}",
            category="concern",
            component="c1",
            order=float(n),
            refs=(f"HN-{900 + n}",),
        )
    return out


def many_findings_model() -> ReportModel:
    return model_of(visit_data(SERVICES[:1], findings=many_findings()))


def test_a_findings_standard_line_stays_on_its_page(tmp_path: Path) -> None:
    out = render_pdf(many_findings_model(), tmp_path / "findings.pdf")
    pages = pdf_pages(out)
    for n in range(1, 41):
        text_page = next(i for i, p in enumerate(pages) if f"Marker{n:02d}." in p)
        standard_page = next(i for i, p in enumerate(pages) if f"Standard: HN-{900 + n}" in p)
        assert text_page == standard_page, f"finding {n}: its standard line is on another page"


@pytest.mark.screenshots
def test_pictures_of_findings_kept_with_their_standard_lines(tmp_path: Path) -> None:
    out = render_pdf(many_findings_model(), tmp_path / "findings.pdf")
    pdf_pictures(out, "report_findings_kept", dpi=60, pages=(4, 5))


def test_docx_keeps_each_finding_with_its_standard_line(tmp_path: Path) -> None:
    model = model_of(visit_data(SERVICES[:1], findings=many_findings()))
    doc = Document(str(render_docx(model, tmp_path / "findings.docx")))
    paragraphs = doc.paragraphs
    checked = 0
    for i, p in enumerate(paragraphs):
        if p.text.split("\t")[-1].startswith("Marker"):
            assert p.paragraph_format.keep_with_next, p.text[:20]
            standard = paragraphs[i + 1]
            assert standard.text.startswith("Standard: HN-9")
            assert not standard.paragraph_format.keep_with_next  # the last line of its finding
            checked += 1
    assert checked == 40
