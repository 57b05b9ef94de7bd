"""Disagreements: where the reviewers who judged a standard for a component did not agree."""

from __future__ import annotations

from reviewer_app.lead.consensus import disagreements, find_disagreements
from reviewer_app.visit.model import (
    JUDGEMENT,
    MET,
    NOT_ASSESSED,
    NOT_MET,
    Judgement,
    TeamJudgement,
    judgement_id,
)
from reviewer_app.visit.read_model import read_visit_data
from reviewer_app.visit.session import VisitSession


def j(member: str, value: str, ref: str = "HN-101", component: str = "shc") -> Judgement:
    return Judgement(ref, component, member, value)


def test_met_against_not_met_is_one_disagreement() -> None:
    [d] = find_disagreements([j("m-cns", MET), j("m-paed", NOT_MET)])
    assert (d.ref, d.component) == ("HN-101", "shc")
    assert [x.member_id for x in d.judgements] == ["m-cns", "m-paed"]
    assert d.values == {MET, NOT_MET} and not d.settled


def test_the_same_value_is_no_disagreement() -> None:
    assert find_disagreements([j("m-cns", MET), j("m-paed", MET), j("m-lead", MET)]) == []


def test_not_assessed_is_ignored() -> None:
    assert find_disagreements([j("m-cns", MET), j("m-paed", NOT_ASSESSED)]) == []


def test_components_and_standards_are_judged_apart() -> None:
    found = find_disagreements(
        [
            j("m-cns", MET, component="shc"),
            j("m-paed", NOT_MET, component="lht"),
            j("m-cns", MET, ref="HN-102"),
            j("m-paed", NOT_MET, ref="HN-102"),
        ],
        order={"HN-101": 0, "HN-102": 1},
    )
    assert [(d.ref, d.component) for d in found] == [("HN-102", "shc")]


def test_a_team_judgement_settles_a_disagreement() -> None:
    [d] = find_disagreements(
        [j("m-cns", MET), j("m-paed", NOT_MET)],
        team_judgements=[TeamJudgement("HN-101", "shc", NOT_MET, "Agreed at the wash-up")],
    )
    assert d.settled and d.team is not None and d.team.rationale == "Agreed at the wash-up"


def test_disagreements_of_a_visit_read_from_its_workspace(
    session: VisitSession,
) -> None:
    def record(member: str, value: str) -> None:
        session.worker.submit(
            lambda ws: ws.record(
                member, JUDGEMENT, judgement_id("HN-101", "shc", member), {"value": value}
            )
        ).result(timeout=10)

    record("m-cns", MET)
    record("m-paed", NOT_MET)
    record("m-lead", NOT_ASSESSED)
    data = session.worker.submit(read_visit_data).result(timeout=10)
    [d] = disagreements(data)
    assert {x.member_id for x in d.judgements} == {"m-cns", "m-paed"}
