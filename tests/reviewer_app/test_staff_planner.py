"""Visit plans: which standards apply where, the team, clashes, the provider's template."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reviewer_app.app.paths import DEMO_DIR
from reviewer_app.demo.kits import demo_visit
from reviewer_app.staff import library, provider
from reviewer_app.staff.clashes import find_clashes, time_problem
from reviewer_app.staff.planner import VisitPlan, load_plan, save_plan
from storage.staff_store import StaffStore
from sync.kit_inputs import KitInputError
from sync.kit_model import Member, Session, StandardsSet
from tests.keys import TEST_KEY


@pytest.fixture(scope="module")
def standards() -> StandardsSet:
    result = library.preview(DEMO_DIR / "standards.csv")
    assert result.standards is not None
    return result.standards


@pytest.fixture
def plan() -> VisitPlan:
    return VisitPlan.from_visit(demo_visit())


# -- clashes -------------------------------------------------------------------------------------

TEAM = (
    Member("a", "Ann", "Nurse", subteam="A"),
    Member("b", "Bo", "Doctor", subteam="A"),
    Member("c", "Cy", "Manager", subteam="B"),
)


def session(sid: str, start: str, end: str, room: str = "", **kw: object) -> Session:
    return Session(sid, kw.pop("date", "2026-12-03"), start, end, f"Session {sid}", room, **kw)  # type: ignore[arg-type]


def test_no_clash_when_sessions_only_touch_or_differ() -> None:
    sessions = [
        session("1", "09:00", "10:00", "Room 1", attendees=("a",)),
        session("2", "10:00", "11:00", "Room 1", attendees=("a",)),
        session("3", "09:30", "10:30", "Room 2", subteam="B"),
        session("4", "09:30", "10:30", "Room 1", attendees=("a",), date="2026-12-04"),
    ]
    assert find_clashes(sessions, TEAM) == []


def test_room_clash_ignores_case_and_spacing() -> None:
    sessions = [
        session("1", "09:00", "10:00", "Seminar  Room 2", attendees=("a",)),
        session("2", "09:45", "10:30", "seminar room 2", attendees=("c",)),
    ]
    (clash,) = find_clashes(sessions, TEAM)
    assert (clash.kind, clash.first, clash.second) == ("room", "1", "2")
    assert "both in Seminar  Room 2 at 2026-12-03 09:45" in clash.message


def test_person_clash_through_subteams_and_the_whole_team() -> None:
    sessions = [
        session("1", "13:00", "14:00", "Ward", subteam="A"),
        session("2", "13:30", "14:30", "Clinic", attendees=("b", "c")),
        session("3", "13:50", "14:10", "Boardroom"),  # nobody named: the whole team
    ]
    clashes = find_clashes(sessions, TEAM)
    assert [(c.first, c.second, c.what) for c in clashes] == [
        ("1", "2", "Bo"),
        ("1", "3", "Ann, Bo"),
        ("2", "3", "Bo, Cy"),
    ]


def test_demo_timetable_has_no_clash_and_bad_times_are_named() -> None:
    visit = demo_visit()
    assert find_clashes(visit.timetable, visit.team) == []
    assert "ends (09:00) before it starts" in time_problem(session("x", "10:00", "09:00"))
    assert "like 09:30" in time_problem(session("x", "9h", "10:00"))


# -- which standards apply ------------------------------------------------------------------------


def test_applicability_rules_section_then_exception(
    plan: VisitPlan, standards: StandardsSet
) -> None:
    hn101 = next(s for s in standards.standards if s.ref == "HN-101")
    # From the spreadsheet's "Applies to" (component names) before any rule.
    assert plan.applies_to(hn101) == ("shc", "lht")
    section = hn101.section
    assert plan.section_state(standards, section, "comm") is False
    plan.set_section_rule(standards, section, "comm", True)
    assert plan.section_state(standards, section, "comm") is True
    assert plan.applies_to(hn101) == ("shc", "lht", "comm")
    plan.set_exception("HN-101", [])
    assert plan.applies_to(hn101) == ()
    assert plan.section_state(standards, section, "comm") is None  # mixed now
    kit = plan.kit_standards(standards)
    assert "HN-101" not in {s.ref for s in kit.standards}
    assert [s.ref for s in plan.unassigned(standards)] == ["HN-101"]
    plan.set_exception("HN-101", None)
    assert plan.applies_to(hn101) == ("shc", "lht", "comm")


def test_team_has_exactly_one_lead_and_removal_clears_sessions(plan: VisitPlan) -> None:
    plan.set_lead("m-cns")
    assert [m.member_id for m in plan.team if m.lead] == ["m-cns"]
    new = plan.add_member("r-9", "Dr Ann Lee", "Consultant", "North")
    assert new.member_id == "m-dr-ann-lee" and not new.lead
    assert plan.add_member("r-9", "Dr Ann Lee") is new
    plan.remove_member("m-paed")
    assert all("m-paed" not in s.attendees for s in plan.timetable)


def test_plan_round_trips_through_the_store(
    tmp_path: Path, plan: VisitPlan, standards: StandardsSet
) -> None:
    plan.set_section_rule(standards, "Network", "lht", True)
    plan.set_exception("HN-102", ["comm"])
    provider.add_evidence_folder(plan, DEMO_DIR / "evidence")
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as store:
        save_plan(store, plan)
        again = load_plan(store, plan.plan_id)
    assert again == plan
    assert again.visit_details() == plan.visit_details()


# -- the provider's self-assessment ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_self_assessment_template_round_trip(
    tmp_path: Path, plan: VisitPlan, standards: StandardsSet, suffix: str
) -> None:
    template = tmp_path / f"template{suffix}"
    rows = provider.write_template(template, plan, standards)
    kit = plan.kit_standards(standards)
    assert rows == sum(len(s.applies_to) for s in kit.standards)
    # A blank template reads back as no claims at all.
    assert provider.read_filled_template(template, plan, standards) == ()
    # The provider fills in two rows (as Excel would keep them) and sends it back.
    filled = tmp_path / f"filled{suffix}"
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(template)
        sheet = book.active
        assert [c.value for c in sheet[1]] == list(provider.TEMPLATE_HEADERS)
        assert sheet["A2"].value == "HN-101"
        sheet["D2"], sheet["E2"], sheet["F2"] = "Met", "Leaflet given", "E001"
        sheet["D3"], sheet["E3"] = "Not met", "No leaflet at the local team"
        book.save(filled)
    else:
        lines = template.read_text(encoding="utf-8-sig").splitlines()
        lines[1] = lines[1].rstrip(",") + ",Met,Leaflet given,E001"
        lines[2] = lines[2].rstrip(",") + ",Not met,No leaflet at the local team,"
        filled.write_text("\n".join(lines), encoding="utf-8-sig")
    entries = provider.read_filled_template(filled, plan, standards)
    assert [(e.ref, e.component, e.claim, e.comment, e.evidence) for e in entries] == [
        ("HN-101", "shc", "met", "Leaflet given", ("E001",)),
        ("HN-101", "lht", "not_met", "No leaflet at the local team", ()),
    ]
    plan.self_assessment = list(entries)
    # Exporting again carries what is already known.
    again = provider.template_rows(plan, standards)
    assert again[0][3:] == ["Met", "Leaflet given", "E001"]


def test_self_assessment_template_bad_claim_is_a_row_problem(
    tmp_path: Path, plan: VisitPlan, standards: StandardsSet
) -> None:
    template = tmp_path / "t.csv"
    provider.write_template(template, plan, standards)
    lines = template.read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].rstrip(",") + ",Partly,,"
    template.write_text("\n".join(lines), encoding="utf-8-sig")
    with pytest.raises(KitInputError) as caught:
        provider.read_filled_template(template, plan, standards)
    assert str(caught.value) == (
        't.csv, row 4, column "Claim": claim "Partly" is not Met, Not met, N/A or Not applicable'
    )


def test_evidence_files_and_folders(tmp_path: Path, plan: VisitPlan) -> None:
    added = provider.add_evidence_folder(plan, DEMO_DIR / "evidence")
    assert [e.id for e in added] == ["E001", "E002", "E003", "E004", "E005", "E006"]
    assert "HN-101" in added[0].standards
    extra = tmp_path / "Annual_report-2025.pdf"
    extra.write_bytes(b"%PDF-1.4 report")
    (more,) = provider.add_evidence_files(plan, [extra, extra])
    assert (more.id, more.title) == ("E007", "Annual report 2025")
    assert provider.add_evidence_folder(plan, DEMO_DIR / "evidence") == []  # already there
    extra.unlink()
    assert provider.missing_evidence(plan) == [more]
    assert replace(more, standards=["HN-101"]).standards == ["HN-101"]
