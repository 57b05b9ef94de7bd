"""The lead's findings on a real workspace: writing, numbering, moving, promoting, escalating,
undo, who may write them, and the import rule that refuses anyone else's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lead_tools import do, jpeg

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import findings
from reviewer_app.team.bundles import export_visit_bundle, import_visit_bundles, team_rules
from reviewer_app.visit.model import FINDING, REPORT_TEXT
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import Op

VISIT = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> VisitSession:
    return open_demo_session("m-lead")


def texts(session: VisitSession, component: str) -> list[tuple[int, str, str]]:
    return [(n, f.category, f.text) for n, f in findings.numbered(session.data, component)]


def test_findings_are_numbered_per_component_in_category_order(lead: VisitSession) -> None:
    do(lead, lead.add_finding("shc", "concern", "Care plans not reviewed yearly", refs=["HN-103"]))
    do(lead, lead.add_finding("shc", "good_practice", "Excellent transition clinic"))
    do(lead, lead.add_finding("shc", "concern", "No out-of-hours protocol in ED"))
    do(lead, lead.add_finding("shc", "immediate_risk", "Unsafe transfusion storage"))
    do(lead, lead.add_finding("lht", "concern", "No named nurse"))
    assert texts(lead, "shc") == [
        (1, "good_practice", "Excellent transition clinic"),
        (1, "immediate_risk", "Unsafe transfusion storage"),
        (1, "concern", "Care plans not reviewed yearly"),
        (2, "concern", "No out-of-hours protocol in ED"),
    ]
    assert texts(lead, "lht") == [(1, "concern", "No named nurse")]
    first = lead.data.findings_for("shc")[2]
    assert (first.refs, first.author) == (("HN-103",), "m-lead")
    assert first.created_at.endswith("+00:00")
    assert findings.finding_label(lead.data, first) == (
        "Finding 1 (Concern), Specialist Haemoglobinopathy Centre"
    )


def test_moving_a_finding_renumbers_it_and_undo_puts_it_back(lead: VisitSession) -> None:
    ids = [
        do(lead, lead.add_finding("shc", "concern", text)).entity_id
        for text in ("first", "second", "third")
    ]
    do(lead, lead.move_finding(ids[2], ids[0]))
    assert [t for _n, _c, t in texts(lead, "shc")] == ["third", "first", "second"]
    do(lead, lead.move_finding(ids[0], None))
    assert [t for _n, _c, t in texts(lead, "shc")] == ["third", "second", "first"]
    do(lead, lead.move_finding(ids[1], ids[0]))  # already just before it: stays
    assert [t for _n, _c, t in texts(lead, "shc")] == ["third", "second", "first"]
    do(lead, lead.undo())
    do(lead, lead.undo())
    assert [t for _n, _c, t in texts(lead, "shc")] == ["third", "first", "second"]
    do(lead, lead.undo())
    assert [t for _n, _c, t in texts(lead, "shc")] == ["first", "second", "third"]


def test_a_finding_moves_only_within_its_own_group(lead: VisitSession) -> None:
    a = do(lead, lead.add_finding("shc", "concern", "a")).entity_id
    b = do(lead, lead.add_finding("shc", "good_practice", "b")).entity_id
    with pytest.raises(findings.FindingError, match="its own component and category"):
        lead.move_finding(a, b).result(timeout=30)


def test_editing_the_category_moves_it_to_the_end_of_the_new_one(lead: VisitSession) -> None:
    do(lead, lead.add_finding("shc", "serious_concern", "one"))
    moved = do(lead, lead.add_finding("shc", "concern", "two")).entity_id
    do(lead, lead.edit_finding(moved, category="serious_concern", text="two, reworded"))
    assert texts(lead, "shc") == [
        (1, "serious_concern", "one"),
        (2, "serious_concern", "two, reworded"),
    ]
    do(lead, lead.undo())
    assert texts(lead, "shc") == [(1, "serious_concern", "one"), (1, "concern", "two")]


def test_bad_edits_are_refused_with_a_sentence(lead: VisitSession) -> None:
    fid = do(lead, lead.add_finding("shc", "concern", "x")).entity_id
    with pytest.raises(findings.FindingError, match="not a finding category"):
        lead.add_finding("shc", "worry", "y").result(timeout=30)
    with pytest.raises(findings.FindingError, match="not a component of this visit"):
        lead.add_finding("xyz", "concern", "y").result(timeout=30)
    with pytest.raises(findings.FindingError, match="needs some text"):
        lead.add_finding("shc", "concern", "  ").result(timeout=30)
    with pytest.raises(findings.FindingError, match="only an immediate risk is escalated"):
        lead.record_escalation(fid, "CEO", "2026-12-03T17:00", "in person").result(timeout=30)


def test_promoting_an_observation_copies_its_words_refs_and_photos(
    open_demo_session: Callable[..., VisitSession],
) -> None:
    cns = open_demo_session("m-cns")
    obs = do(cns, cns.add_observation("Leaflets only in English", "concern", ("HN-101",)))
    do(
        cns,
        cns.add_photo(jpeg(), ref="HN-101", caption="Leaflet rack", observation_id=obs.entity_id),
    )
    cns.close()
    lead = open_demo_session("m-lead")
    change = do(lead, lead.promote_observation(obs.entity_id, "lht"))
    f = lead.data.findings[change.entity_id]
    assert (f.text, f.category, f.component, f.refs) == (
        "Leaflets only in English",
        "concern",
        "lht",
        ("HN-101",),
    )
    assert f.observation_id == obs.entity_id and f.author == "m-lead"
    assert [lead.data.photos[p].caption for p in f.photos] == ["Leaflet rack"]
    do(lead, lead.edit_finding(f.id, text="Information for patients is only in English"))
    assert lead.data.findings[f.id].text == "Information for patients is only in English"


def test_an_escalation_is_recorded_and_marks_the_risk_escalated(lead: VisitSession) -> None:
    fid = do(lead, lead.add_finding("shc", "immediate_risk", "Blood fridge unlocked")).entity_id
    assert lead.data.findings[fid].risk_status == "open"
    do(lead, lead.record_escalation(fid, "Chief Executive", "2026-12-03T17:10", "verbally"))
    f = lead.data.findings[fid]
    assert (f.risk_status, f.escalated_to, f.escalated_at, f.escalated_how) == (
        "escalated",
        "Chief Executive",
        "2026-12-03T17:10",
        "verbally",
    )
    with pytest.raises(findings.FindingError, match="not a date and time"):
        lead.record_escalation(fid, "CEO", "tomorrow", "letter").result(timeout=30)
    do(lead, lead.set_risk_status(fid, "confirmed", "2026-12-04"))
    f = lead.data.findings[fid]
    assert (f.risk_status, f.confirmation_sent) == ("confirmed", "2026-12-04")


def test_report_texts_are_the_leads_and_undo(lead: VisitSession) -> None:
    do(lead, lead.set_report_text("acknowledgements", "Thank you to the team at Riverside."))
    assert lead.data.report_texts["acknowledgements"] == "Thank you to the team at Riverside."
    do(lead, lead.undo())
    assert "acknowledgements" not in lead.data.report_texts


def test_only_the_lead_writes_findings(session: VisitSession) -> None:
    with pytest.raises(findings.LeadOnly, match="Dr Zoë Hartley"):
        session.add_finding("shc", "concern", "x")
    with pytest.raises(findings.LeadOnly, match="Dr Zoë Hartley"):
        session.set_report_text("introduction", "x")
    with pytest.raises(findings.LeadOnly):
        session.promote_observation("any", "shc")
    assert session.data.findings == {}


def test_import_refuses_findings_and_report_texts_from_anyone_but_the_lead(
    tmp_path: Path, demo_kit_file: Path
) -> None:
    def laptop(name: str, member: str) -> AppPaths:
        home = tmp_path / name
        paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
        open_kit(demo_kit_file, member, paths=paths, demo=True)
        return paths

    lead, cns = laptop("lead", "m-lead"), laptop("cns", "m-cns")
    with open_workspace(cns, workspace_path(cns, VISIT)) as ws:
        ws.record("m-cns", FINDING, "f-1", {"text": "sneaked in", "category": "concern"})
        ws.record("m-cns", REPORT_TEXT, "introduction", {"text": "my own intro"})
        ws.record("m-cns", "note", "n-1", {"ref": "HN-101", "text": "fine"})
    bundle = export_visit_bundle(cns, VISIT, tmp_path)
    [receipt] = import_visit_bundles(lead, VISIT, [bundle])
    reasons = sorted(r["reason"] for r in receipt.refused)
    assert len(reasons) == 3  # text + category of the finding, text of the report passage
    assert "only the lead reviewer, Dr Zoë Hartley, writes the report's findings" in reasons
    assert "only the lead reviewer, Dr Zoë Hartley, writes the report's text" in reasons
    assert receipt.new >= 1  # the note came through
    with open_workspace(lead, workspace_path(lead, VISIT)) as ws:
        assert ws.entities(FINDING) == {} and ws.entities(REPORT_TEXT) == {}


def test_team_rules_take_the_leads_findings(lead: VisitSession) -> None:
    accept = team_rules(lead.data.visit)
    op = Op("o1", "000000000000001.000000", "d", "m-lead", FINDING, "f", "text", "ok", None)
    assert accept(op) is None
