"""The read model's judgement index: kept by ``apply`` (set, replace, delete), read by tuple."""

from __future__ import annotations

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.model import JUDGEMENT, MET, NOT_ASSESSED, NOT_MET, judgement_id
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session


def test_apply_keeps_the_judgement_index(session: VisitSession) -> None:
    data = session.data
    done, total = data.progress("shc")
    mine = judgement_id("HN-101", "shc", data.member_id)
    theirs = judgement_id("HN-101", "shc", "m-lead")

    data.apply(JUDGEMENT, mine, {"value": MET})
    data.apply(JUDGEMENT, theirs, {"value": NOT_MET, "reason": "No leaflet"})
    assert data.judgement("HN-101", "shc").value == MET
    assert data.judgement("HN-101", "shc", "m-lead").reason == "No leaflet"
    assert data.judgements[mine] is data.judgement("HN-101", "shc")  # the log's ids stay
    assert data.progress("shc") == (done + 1, total)

    data.apply(JUDGEMENT, mine, {"value": NOT_MET, "reason": "Changed my mind"})
    assert data.judgement("HN-101", "shc").reason == "Changed my mind"

    data.apply(JUDGEMENT, mine, None)
    assert data.judgement("HN-101", "shc").value == NOT_ASSESSED
    assert mine not in data.judgements
    assert data.judgement("HN-101", "shc", "m-lead").value == NOT_MET
    assert data.progress("shc") == (done, total)
    data.apply(JUDGEMENT, mine, None)  # deleting what is not there changes nothing
    assert data.judgement("HN-101", "lht").value == NOT_ASSESSED


def test_the_index_is_read_back_from_the_workspace(session: VisitSession) -> None:
    change = session.set_judgement("HN-102", "shc", MET).result(timeout=30)
    session.absorb(change)
    paths = AppPaths.from_environment()
    visit_id = session.data.visit.visit_id
    session.close()
    again = open_session(paths, visit_id).result(timeout=30)
    try:
        assert again.data.judgement("HN-102", "shc").value == MET
    finally:
        again.close()
