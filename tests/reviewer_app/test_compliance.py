"""Compliance figures against hand-worked examples (DOMAIN.md "Compliance summary")."""

from __future__ import annotations

from reviewer_app.lead.compliance import ComponentCompliance, compliance
from reviewer_app.visit.model import (
    JUDGEMENT,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData
from sync.kit_model import Standard, VisitDetails


def make_data(applies: dict[str, tuple[str, ...]], components: tuple[str, ...]) -> VisitData:
    visit = VisitDetails.from_dict(
        {
            "visit_id": "v1",
            "programme": "Programme",
            "title": "Visit",
            "organisations": [],
            "sites": [],
            "components": [{"id": c, "name": f"Component {c}"} for c in components],
            "start_date": "2026-12-03",
            "timetable": [],
            "team": [],
        }
    )
    standards = [
        Standard(ref=ref, section="S", title=ref, requirement="r", applies_to=comps, order=i)
        for i, (ref, comps) in enumerate(applies.items())
    ]
    return VisitData(
        visit=visit,
        sections=["S"],
        standards=standards,
        self_assessment={},
        documents=[],
        member_id="m-lead",
        demo=False,
    )


def team(data: VisitData, ref: str, comp: str, value: str) -> None:
    data.apply(TEAM_JUDGEMENT, team_judgement_id(ref, comp), {"value": value, "rationale": ""})


def reviewer(data: VisitData, ref: str, comp: str, member: str, value: str) -> None:
    data.apply(JUDGEMENT, judgement_id(ref, comp, member), {"value": value})


def worked_example() -> VisitData:
    """Component a: S1-S6; S4 is N/A for a only (it applies to b, where it is met).
    Component c: only S8, judged N/A."""
    data = make_data(
        {
            "S1": ("a",),
            "S2": ("a",),
            "S3": ("a",),
            "S4": ("a", "b"),
            "S5": ("a",),
            "S6": ("a",),
            "S7": ("b",),
            "S8": ("c",),
        },
        ("a", "b", "c"),
    )
    for ref, value in [("S1", MET), ("S2", MET), ("S3", NOT_MET), ("S4", NOT_APPLICABLE)]:
        team(data, ref, "a", value)
    team(data, "S6", "a", MET)  # S5: no team judgement yet
    team(data, "S4", "b", MET)
    team(data, "S7", "b", NOT_MET)
    team(data, "S8", "c", NOT_APPLICABLE)
    return data


def test_figures_per_component_from_team_judgements() -> None:
    figures = {c.component: c for c in compliance(worked_example())}
    # a: 6 apply, S4 N/A -> 5 applicable; met S1 S2 S6 = 3; not met S3; S5 not assessed.
    assert figures["a"] == ComponentCompliance("a", "Component a", 5, 3, 1, 1)
    assert figures["a"].percent_text == "60%"
    # b: S4 (N/A only for a) counts here: 2 applicable, 1 met.
    assert figures["b"] == ComponentCompliance("b", "Component b", 2, 1, 1, 0)
    assert figures["b"].percent_text == "50%"


def test_nothing_applicable_is_a_dash_not_zero() -> None:
    figures = {c.component: c for c in compliance(worked_example())}
    assert figures["c"].applicable == 0
    assert figures["c"].percent is None
    assert figures["c"].percent_text == "-"


def test_kit_order_and_names() -> None:
    assert [(c.component, c.name) for c in compliance(worked_example())] == [
        ("a", "Component a"),
        ("b", "Component b"),
        ("c", "Component c"),
    ]


def test_percent_rounds_half_up() -> None:
    assert ComponentCompliance("x", "X", 6, 5, 1, 0).percent_text == "83%"
    assert ComponentCompliance("x", "X", 8, 1, 7, 0).percent_text == "13%"  # 12.5
    assert ComponentCompliance("x", "X", 3, 2, 1, 0).percent_text == "67%"
    assert ComponentCompliance("x", "X", 4, 4, 0, 0).percent_text == "100%"
    assert ComponentCompliance("x", "X", 4, 0, 0, 4).percent_text == "0%"


def test_reviewers_judgements_do_not_count_in_the_report() -> None:
    data = worked_example()
    reviewer(data, "S5", "a", "m-cns", MET)
    reviewer(data, "S5", "a", "m-paed", MET)
    a = compliance(data)[0]
    assert (a.met, a.not_assessed) == (3, 1)


def test_reviewers_agreeing_is_not_a_team_judgement() -> None:
    """Figures never count a reviewer's judgement, even when all agree: the sheet and the
    report read the same team judgements (they disagreed when the sheet did)."""
    data = make_data({f"S{i}": ("a",) for i in range(1, 5)}, ("a",))
    team(data, "S1", "a", NOT_MET)
    reviewer(data, "S1", "a", "m-cns", MET)  # the team's judgement wins over a reviewer's
    reviewer(data, "S2", "a", "m-cns", NOT_APPLICABLE)  # agreed N/A by reviewers only
    reviewer(data, "S2", "a", "m-paed", NOT_APPLICABLE)
    (a,) = compliance(data)
    assert a == ComponentCompliance("a", "Component a", 4, 0, 1, 3)
    assert a.percent_text == "0%"
