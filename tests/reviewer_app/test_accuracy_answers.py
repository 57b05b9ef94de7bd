"""The lead answers the provider's factual accuracy comments (issue 18): accepting changes the
finding's text or the team judgement's rationale through the normal operations (and undoes),
declining needs a reason, answers are kept in the workspace, and finalisation can ask what is
unanswered and what to put in ``findings.json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from lead_tools import do

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import accuracy
from reviewer_app.lead.findings import LeadOnly
from reviewer_app.team.bundles import team_rules
from reviewer_app.visit.model import ACCURACY_ANSWER, MET, AccuracyAnswer
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session, open_workspace, workspace_path
from storage import Op

CONTRACT_KEYS = {
    "comment_id",
    "item_kind",
    "item_id",
    "item_label",
    "comment_type",
    "comment",
    "proposed",
    "decision",
    "reason",
    "before",
    "after",
    "answered_by",
    "answered_at",
}
FACTUAL = "factual"
YEARLY = "Care plans are reviewed every year."
DATED = "Policy seen, dated 2022."


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> VisitSession:
    return open_demo_session("m-lead")


def payload(session: VisitSession) -> dict[str, Any]:
    """The service's answer for two comments on a finding and one on a standard."""
    f1 = do(
        session, session.add_finding("shc", "concern", "Care plans are reviewed every 2 years.")
    )
    f2 = do(session, session.add_finding("lht", "good_practice", "A weekly MDT meets."))
    ref = session.data.standards_for("shc")[0].ref
    do(session, session.set_team_judgement(ref, "shc", MET, "Policy seen, dated 2021."))

    def comment(n: int, kind: str, item: str, words: tuple[str, str, str]) -> dict:
        ctype, text, proposed = words
        return {
            "comment_id": f"c-{n}",
            "item_kind": kind,
            "item_id": item,
            "item_label": f"item {n}",
            "comment_type": ctype,
            "comment": text,
            "proposed": proposed,
            "form_row": 4 + n,
            "imported_at": "2027-01-10T09:00:00+00:00",
        }

    return {
        "snapshot_id": "snap-v1",
        "version": 1,
        "comments": [
            comment(1, "finding", f1.entity_id, (FACTUAL, "It is yearly.", YEARLY)),
            comment(2, "finding", f2.entity_id, ("omitted", "It meets fortnightly.", "")),
            comment(3, "standard", f"shc:{ref}", ("typographical", "2022, not 2021.", DATED)),
        ],
    }


def stored(session: VisitSession, paths: AppPaths) -> accuracy.ProviderComments:
    accuracy.store_comments(paths, session.data.visit.visit_id, payload(session))
    return accuracy.load_comments(paths, session.data.visit.visit_id)


def test_comments_are_stored_and_read_back_and_a_bad_file_is_none(lead: VisitSession) -> None:
    paths = AppPaths.from_environment()
    visit_id = lead.data.visit.visit_id
    assert accuracy.load_comments(paths, visit_id).comments == ()  # no file yet
    comments = stored(lead, paths)
    assert accuracy.accuracy_file(paths, visit_id) == paths.data / "accuracy" / f"{visit_id}.json"
    assert (comments.snapshot_id, comments.version, len(comments)) == ("snap-v1", 1, 3)
    first = comments.comments[0]
    assert (first.comment, first.proposed, first.form_row) == (
        "It is yearly.",
        "Care plans are reviewed every year.",
        5,
    )
    assert comments.comments[2].type_label == "Typographical or numerical"
    accuracy.accuracy_file(paths, visit_id).write_bytes(b'{"comments": [{"comment_id": ')
    assert accuracy.load_comments(paths, visit_id).comments == ()
    accuracy.store_comments(paths, visit_id, {})
    assert accuracy.load_comments(paths, visit_id).comments == ()


def test_accepting_changes_the_finding_through_the_op_path_and_undoes(lead: VisitSession) -> None:
    paths = AppPaths.from_environment()
    comments = stored(lead, paths)
    c1 = comments.comments[0]
    answer = accuracy.accepting(lead.data, lead.member_id, c1, comments=comments)
    do(lead, accuracy.change_text(lead, answer))
    do(lead, accuracy.record(lead, answer))
    assert lead.data.findings[c1.item_id].text == "Care plans are reviewed every year."
    kept = lead.data.accuracy_answers["c-1"]
    assert (kept.decision, kept.before, kept.after, kept.answered_by) == (
        "accepted",
        "Care plans are reviewed every 2 years.",
        "Care plans are reviewed every year.",
        "m-lead",
    )
    assert lead.undo_description() == "edit an accuracy answer"
    do(lead, lead.undo())  # the answer: the comment is unanswered again
    assert "c-1" not in lead.data.accuracy_answers
    assert [c.comment_id for c in accuracy.unanswered(lead.data, paths)] == ["c-1", "c-2", "c-3"]
    do(lead, lead.undo())  # the wording
    assert lead.data.findings[c1.item_id].text == "Care plans are reviewed every 2 years."


def test_accepting_with_own_words_changes_the_team_judgements_rationale(
    lead: VisitSession,
) -> None:
    paths = AppPaths.from_environment()
    comments = stored(lead, paths)
    c3 = comments.comments[2]
    ref = c3.item_id.split(":", 1)[1]
    answer = accuracy.accepting(lead.data, lead.member_id, c3, "Policy seen, dated March 2022.")
    do(lead, accuracy.change_text(lead, answer))
    do(lead, accuracy.record(lead, answer))
    team = lead.data.team_judgement(ref, "shc")
    assert (team.value, team.rationale) == (MET, "Policy seen, dated March 2022.")
    with pytest.raises(accuracy.AnswerError, match="own words"):
        accuracy.accepting(lead.data, lead.member_id, comments.comments[1])  # none proposed


def test_declining_needs_a_reason_and_leaves_the_text(lead: VisitSession) -> None:
    paths = AppPaths.from_environment()
    comments = stored(lead, paths)
    c2 = comments.comments[1]
    with pytest.raises(accuracy.AnswerError, match="say why"):
        accuracy.declining(lead.data, lead.member_id, c2, "   ")
    blank = AccuracyAnswer("c-2", "declined")
    with pytest.raises(accuracy.AnswerError, match="say why"):
        accuracy.record(lead, blank)
    answer = accuracy.declining(lead.data, lead.member_id, c2, "The team saw the weekly minutes.")
    assert accuracy.change_text(lead, answer) is None
    do(lead, accuracy.record(lead, answer))
    assert lead.data.findings[c2.item_id].text == "A weekly MDT meets."
    assert lead.data.accuracy_answers["c-2"].reason == "The team saw the weekly minutes."


def test_only_the_lead_answers(open_demo_session: Callable[..., VisitSession]) -> None:
    lead = open_demo_session("m-lead")
    comments = stored(lead, AppPaths.from_environment())
    reviewer = open_demo_session("m-cns")
    with pytest.raises(LeadOnly):
        accuracy.declining(reviewer.data, reviewer.member_id, comments.comments[0], "no")
    with pytest.raises(LeadOnly):
        accuracy.record(reviewer, AccuracyAnswer("c-1", "declined", reason="no"))


def test_answers_survive_reopening_and_unanswered_lists_the_rest(
    open_demo_session: Callable[..., VisitSession],
) -> None:
    paths = AppPaths.from_environment()
    lead = open_demo_session("m-lead")
    comments = stored(lead, paths)
    c1, c2, _c3 = comments.comments
    do(lead, accuracy.record(lead, accuracy.accepting(lead.data, lead.member_id, c1)))
    do(lead, accuracy.record(lead, accuracy.declining(lead.data, lead.member_id, c2, "Seen.")))
    visit_id = lead.data.visit.visit_id
    lead.close()
    again = open_session(paths, visit_id).result(timeout=30)
    try:
        assert set(again.data.accuracy_answers) == {"c-1", "c-2"}
        assert [c.comment_id for c in accuracy.unanswered(again.data, paths)] == ["c-3"]
        assert accuracy.counts(again.data, comments) == (2, 3)
    finally:
        again.close()
    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        assert [c.comment_id for c in accuracy.unanswered(ws, paths)] == ["c-3"]
        assert ws.entity(ACCURACY_ANSWER, "c-2")["decision"] == "declined"


def test_answers_for_findings_is_the_contracts_shape(lead: VisitSession) -> None:
    paths = AppPaths.from_environment()
    comments = stored(lead, paths)
    c1, c2, c3 = comments.comments
    for answer in (
        accuracy.accepting(lead.data, lead.member_id, c1, comments=comments),
        accuracy.declining(lead.data, lead.member_id, c2, "Minutes show weekly meetings."),
        accuracy.accepting(lead.data, lead.member_id, c3, comments=comments),
    ):
        change = accuracy.change_text(lead, answer)
        if change is not None:
            do(lead, change)
        do(lead, accuracy.record(lead, answer))
    out = accuracy.answers_for_findings(lead.data, paths)
    assert [a["comment_id"] for a in out] == ["c-1", "c-2", "c-3"]
    assert all(set(a) == CONTRACT_KEYS for a in out)
    assert out[0] | {"answered_at": ""} == {
        "comment_id": "c-1",
        "item_kind": "finding",
        "item_id": c1.item_id,
        "item_label": "item 1",
        "comment_type": "factual",
        "comment": "It is yearly.",
        "proposed": "Care plans are reviewed every year.",
        "decision": "accepted",
        "reason": "",
        "before": "Care plans are reviewed every 2 years.",
        "after": "Care plans are reviewed every year.",
        "answered_by": "m-lead",
        "answered_at": "",
    }
    assert out[0]["answered_at"].endswith("+00:00")
    assert (out[1]["decision"], out[1]["reason"], out[1]["before"], out[1]["after"]) == (
        "declined",
        "Minutes show weekly meetings.",
        "A weekly MDT meets.",
        "A weekly MDT meets.",
    )
    assert (out[2]["before"], out[2]["after"]) == (
        "Policy seen, dated 2021.",
        "Policy seen, dated 2022.",
    )
    json.dumps(out)  # goes into findings.json as it is
    assert accuracy.unanswered(lead.data, paths) == []


def test_only_the_leads_answers_come_in_with_a_bundle(lead: VisitSession) -> None:
    accept = team_rules(lead.data.visit)

    def op(member: str) -> Op:
        return Op(
            "o",
            "000000000000001.000000",
            "d",
            member,
            ACCURACY_ANSWER,
            "c-1",
            "decision",
            "declined",
            None,
        )

    assert accept(op("m-lead")) is None
    assert accept(op("m-cns")) == (
        "only the lead reviewer, Dr Zoë Hartley, writes the answers to the provider's comments"
    )


def test_a_comment_on_a_deleted_finding_is_declined_not_accepted(lead: VisitSession) -> None:
    paths = AppPaths.from_environment()
    comments = stored(lead, paths)
    c1 = comments.comments[0]
    do(lead, lead.delete_finding(c1.item_id))
    with pytest.raises(accuracy.AnswerError, match="no longer in this visit"):
        accuracy.accepting(lead.data, lead.member_id, c1)
    answer = accuracy.declining(lead.data, lead.member_id, c1, "The finding was withdrawn.")
    do(lead, accuracy.record(lead, answer))
    assert [c.comment_id for c in accuracy.unanswered(lead.data, paths)] == ["c-2", "c-3"]
    [out] = [a for a in accuracy.answers_for_findings(lead.data, paths) if a["comment_id"] == "c-1"]
    assert (out["decision"], out["reason"], out["after"]) == (
        "declined",
        "The finding was withdrawn.",
        "",
    )
