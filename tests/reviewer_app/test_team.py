"""The team's work in an open visit: importing into the open session, the register, the team
judgement's rules, conflicts resolved through the session, and the overview's figures.

Two laptops are two AppPaths (so two device ids) with the demo visit opened from one kit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.consensus import needs_agreement, register
from reviewer_app.team.bundles import export_visit_bundle, import_visit_bundles
from reviewer_app.team.work import (
    conflicts_of,
    export_from_session,
    history_of,
    import_into_session,
    last_bundles,
    overview,
)
from reviewer_app.visit.conflicts import conflict_groups, describe, show_value
from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_MET, NOTE
from reviewer_app.visit.read_model import Filters
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session

T = 30


def laptop(home: Path, kit: Path, member_id: str) -> AppPaths:
    paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
    open_kit(kit, member_id, paths=paths, demo=True)
    return paths


@pytest.fixture
def two(tmp_path: Path, demo_kit_file: Path) -> Iterator[tuple[AppPaths, AppPaths, str]]:
    lead = laptop(tmp_path / "lead", demo_kit_file, "m-lead")
    cns = laptop(tmp_path / "cns", demo_kit_file, "m-cns")
    visit_id = next(p.name for p in lead.visits.iterdir())
    yield lead, cns, visit_id


def opened(paths: AppPaths, visit_id: str, sessions: list[VisitSession]) -> VisitSession:
    s = open_session(paths, visit_id).result(timeout=T)
    sessions.append(s)
    return s


@pytest.fixture
def sessions() -> Iterator[list[VisitSession]]:
    out: list[VisitSession] = []
    yield out
    for s in out:
        s.close()


def absorb(session: VisitSession, future: object) -> None:
    session.absorb(future.result(timeout=T))  # type: ignore[attr-defined]


def test_an_import_into_the_open_session_shows_the_other_reviewers_work(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession], tmp_path: Path
) -> None:
    lead_paths, cns_paths, visit_id = two
    cns = opened(cns_paths, visit_id, sessions)
    absorb(cns, cns.set_judgement("HN-101", "shc", NOT_MET, "No leaflet in Polish"))
    (tmp_path / "out").mkdir()
    bundle = export_from_session(cns, tmp_path / "out").result(timeout=T)
    assert bundle.parent == tmp_path / "out" and "-member-2-" in bundle.name
    lead = opened(lead_paths, visit_id, sessions)
    absorb(lead, lead.set_judgement("HN-101", "shc", MET))
    data_before = lead.data
    steps: list[tuple[int, int, str]] = []
    result = import_into_session(
        lead, [bundle], lead_paths.staging, lambda *a: steps.append(a)
    ).result(timeout=T)
    [receipt] = result.receipts
    assert receipt.ok and receipt.new > 0 and receipt.disagreements == 1
    assert steps == [(0, 1, bundle.name), (1, 1, "")]
    lead.reload(result.data)
    assert lead.data is data_before  # screens holding the model see the import
    assert lead.data.judgement("HN-101", "shc", "m-cns").value == NOT_MET
    assert lead.data.judgement("HN-101", "shc").value == MET  # my own is untouched
    assert [(d.ref, d.component) for d in register(lead.data)] == [("HN-101", "shc")]
    assert lead.data.matching("shc", Filters(needs_agreement=True)) == ["HN-101"]
    assert result.history[-1]["bundle_id"] == receipt.bundle_id
    assert history_of(lead).result(timeout=T)[-1]["member_id"] == "m-cns"


def test_only_the_lead_records_the_team_judgement_with_a_rationale_for_not_met(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession]
) -> None:
    lead_paths, cns_paths, visit_id = two
    cns = opened(cns_paths, visit_id, sessions)
    with pytest.raises(UserError, match="only the lead reviewer, Dr Zoë Hartley,"):
        cns.set_team_judgement("HN-101", "shc", MET)
    lead = opened(lead_paths, visit_id, sessions)
    with pytest.raises(UserError, match="Not met needs a rationale"):
        lead.set_team_judgement("HN-101", "shc", NOT_MET, "  ")
    with pytest.raises(UserError, match="Not applicable needs a rationale"):
        lead.set_team_judgement("HN-101", "shc", NOT_APPLICABLE)
    absorb(lead, lead.set_team_judgement("HN-101", "shc", NOT_MET, "Leaflet out of date"))
    team = lead.data.team_judgement("HN-101", "shc")
    assert (team.value, team.rationale) == (NOT_MET, "Leaflet out of date")


def test_the_register_lists_a_team_judgement_that_differs_from_the_providers_claim(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession]
) -> None:
    lead_paths, _cns, visit_id = two
    lead = opened(lead_paths, visit_id, sessions)
    assert lead.data.self_assessment[("HN-101", "shc")].claim == MET
    assert lead.data.self_assessment[("HN-102", "shc")].claim == MET
    absorb(lead, lead.set_team_judgement("HN-101", "shc", NOT_MET, "Leaflet out of date"))
    absorb(lead, lead.set_team_judgement("HN-102", "shc", MET))  # agrees with the claim
    [entry] = register(lead.data)
    assert (entry.ref, entry.component, entry.claim) == ("HN-101", "shc", MET)
    assert entry.differs_from_claim and not entry.reviewers_differ and entry.settled
    # Settled by the lead: nothing there needs agreement.
    assert needs_agreement(lead.data) == set()
    assert lead.data.matching("shc", Filters(needs_agreement=True)) == []


def test_a_settled_disagreement_leaves_the_needs_agreement_filter(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession]
) -> None:
    lead_paths, cns_paths, visit_id = two
    cns = opened(cns_paths, visit_id, sessions)
    absorb(cns, cns.set_judgement("HN-103", "lht", NOT_MET, "No"))
    cns.close()
    sessions.remove(cns)
    bundle = export_visit_bundle(cns_paths, visit_id, lead_paths.data)
    lead = opened(lead_paths, visit_id, sessions)
    absorb(lead, lead.set_judgement("HN-103", "lht", MET))
    lead.reload(import_into_session(lead, [bundle], lead_paths.staging).result(timeout=T).data)
    assert needs_agreement(lead.data) == {("HN-103", "lht")}
    assert lead.data.matching("shc", Filters(needs_agreement=True)) == []
    absorb(lead, lead.set_team_judgement("HN-103", "lht", MET, "Seen on the ward"))
    assert needs_agreement(lead.data) == set()
    [entry] = register(lead.data)
    assert entry.settled and entry.reviewers_differ
    assert [j.member_id for j in entry.judgements] == ["m-cns", "m-lead"]


def test_a_conflict_is_listed_with_every_value_and_resolved_with_a_losing_value(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession], tmp_path: Path
) -> None:
    lead_paths, cns_paths, visit_id = two
    cns = opened(cns_paths, visit_id, sessions)
    note = cns.add_note("HN-101", "Leaflet seen").result(timeout=T)
    cns.absorb(note)
    first = export_from_session(cns, tmp_path / "1.rvbundle").result(timeout=T)
    lead = opened(lead_paths, visit_id, sessions)
    lead.reload(import_into_session(lead, [first], lead_paths.staging).result(timeout=T).data)
    # Both edit the note's text without seeing the other's edit.
    absorb(lead, lead.update(NOTE, note.entity_id, {"text": "Leaflet seen, out of date"}))
    absorb(cns, cns.edit_note(note.entity_id, "Leaflet seen, in four languages"))
    second = export_from_session(cns, tmp_path / "2.rvbundle").result(timeout=T)
    result = import_into_session(lead, [second], lead_paths.staging).result(timeout=T)
    lead.reload(result.data)
    assert result.conflicts == 1 and result.receipts[0].conflicts == 1
    [group] = conflicts_of(lead).result(timeout=T)
    assert {op.value for op in group.values} == {
        "Leaflet seen, out of date",
        "Leaflet seen, in four languages",
    }
    assert {op.member_id for op in group.values} == {"m-lead", "m-cns"}
    assert describe(group, lead.data) == "Note on HN-101: text" and group.text_field
    chosen = next(op for op in group.values if op.value != lead.data.notes[note.entity_id].text)
    change = lead.resolve_conflict(group.losers, chosen.value).result(timeout=T)
    lead.absorb(change)
    assert lead.data.notes[note.entity_id].text == chosen.value
    assert conflicts_of(lead).result(timeout=T) == []
    assert change not in lead.history.undo  # settling others' work is not undone by Ctrl+Z


def test_resolving_by_keeping_the_shown_value_records_no_new_value(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession], tmp_path: Path
) -> None:
    lead_paths, cns_paths, visit_id = two
    cns = opened(cns_paths, visit_id, sessions)
    note = cns.add_note("HN-101", "A").result(timeout=T)
    first = export_from_session(cns, tmp_path / "1.rvbundle").result(timeout=T)
    lead = opened(lead_paths, visit_id, sessions)
    import_into_session(lead, [first], lead_paths.staging).result(timeout=T)
    lead.update(NOTE, note.entity_id, {"text": "B"}).result(timeout=T)
    cns.edit_note(note.entity_id, "C").result(timeout=T)
    second = export_from_session(cns, tmp_path / "2.rvbundle").result(timeout=T)
    lead.reload(import_into_session(lead, [second], lead_paths.staging).result(timeout=T).data)
    [group] = conflicts_of(lead).result(timeout=T)
    shown = lead.data.notes[note.entity_id].text
    assert group.winner.value == shown
    lead.absorb(lead.resolve_conflict(group.losers).result(timeout=T))
    assert lead.data.notes[note.entity_id].text == shown
    assert conflicts_of(lead).result(timeout=T) == []


def test_overview_counts_each_members_assessed_standards_per_section(
    two: tuple[AppPaths, AppPaths, str], sessions: list[VisitSession]
) -> None:
    lead_paths, _cns, visit_id = two
    lead = opened(lead_paths, visit_id, sessions)
    data = lead.data
    first = data.standards[0]
    for component in first.applies_to:
        absorb(lead, lead.set_judgement(first.ref, component, MET))
    history = [
        {"member_id": "m-cns", "imported_at": "2025-06-03T10:00:00+00:00", "bundle_id": "a"},
        {"member_id": "m-cns", "refused_file": "tampered", "imported_at": "2025-06-03T12:00"},
        {"member_id": "m-cns", "imported_at": "2025-06-03T11:00:00+00:00", "bundle_id": "b"},
    ]
    assert last_bundles(history)["m-cns"]["bundle_id"] == "b"
    rows = {r.member.member_id: r for r in overview(data, history)}
    assert list(rows) == [m.member_id for m in data.visit.team]
    me = rows["m-lead"]
    section = data.sections.index(first.section)
    assert me.sections[section][0] == len(first.applies_to) and me.this_laptop
    applicable = sum(len(s.applies_to) for s in data.standards)
    assert me.total == (len(first.applies_to), applicable)
    assert rows["m-cns"].total == (0, applicable)
    assert rows["m-cns"].last_bundle_at is not None and rows["m-paed"].last_bundle is None


def test_show_value_reads_like_words() -> None:
    assert show_value("value", NOT_MET) == "Not met"
    assert show_value("text", "") == "(empty)"
    assert show_value("part.a", True) == "Yes"
    assert show_value("refs", ["HN-101", "HN-102"]) == "HN-101, HN-102"


def test_the_cli_path_and_the_window_path_write_the_same_history(
    two: tuple[AppPaths, AppPaths, str], tmp_path: Path
) -> None:
    lead_paths, cns_paths, visit_id = two
    bundle = export_visit_bundle(cns_paths, visit_id, tmp_path)
    [receipt] = import_visit_bundles(lead_paths, visit_id, [bundle])
    assert receipt.ok and receipt.member_name == "Siobhán O'Brien"
    groups = []
    s = open_session(lead_paths, visit_id).result(timeout=T)
    try:
        assert history_of(s).result(timeout=T)[-1]["bundle_id"] == receipt.bundle_id
        groups = s.worker.submit(conflict_groups).result(timeout=T)
    finally:
        s.close()
    assert groups == []
