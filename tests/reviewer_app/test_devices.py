"""Devices and the lead's decisions on them, headless: three laptops of the demo visit (the
lead, Siobhán's laptop and the new laptop she moved to), real workspaces and real bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.app.device import device_id, device_key
from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.team.bundles import export_visit_bundle, import_visit_bundles
from reviewer_app.team.devices import (
    DeviceRow,
    decide,
    describe_op,
    device_rows,
    held_rows,
    visit_of,
)
from reviewer_app.visit.model import JUDGEMENT, NOT_MET, TEAM_JUDGEMENT, judgement_id
from reviewer_app.visit.read_model import read_visit_data
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import Op, Workspace
from sync.authorship import fingerprint_words, public_hex

VISIT = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"
SIOBHAN = "Siobhán O'Brien"


def laptop(home: Path, kit: Path, member_id: str) -> AppPaths:
    paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
    assert open_kit(kit, member_id, paths=paths, demo=True).visit_id == VISIT
    return paths


def workspace(paths: AppPaths) -> Workspace:
    return open_workspace(paths, workspace_path(paths, VISIT))


def judge(paths: AppPaths, member: str, ref: str, value: str, reason: str = "") -> None:
    with workspace(paths) as ws:
        changes = {"value": value, **({"reason": reason} if reason else {})}
        ws.record(member, JUDGEMENT, judgement_id(ref, "shc", member), changes)


def words(paths: AppPaths) -> str:
    return fingerprint_words(public_hex(device_key(paths)))


@pytest.fixture
def team(tmp_path: Path, demo_kit_file: Path) -> dict[str, AppPaths]:
    """The lead has Siobhán's first laptop's work; her new laptop's bundle has just arrived."""
    lead = laptop(tmp_path / "lead", demo_kit_file, "m-lead")
    old = laptop(tmp_path / "cns-old", demo_kit_file, "m-cns")
    new = laptop(tmp_path / "cns-new", demo_kit_file, "m-cns")
    judge(old, "m-cns", "HN-101", "met")
    [first] = import_visit_bundles(lead, VISIT, [export_visit_bundle(old, VISIT, tmp_path)])
    assert first.ok and first.new == 1 and not first.flagged
    judge(new, "m-cns", "HN-102", NOT_MET, "No leaflet in Polish")
    bundle = export_visit_bundle(new, VISIT, tmp_path / "new-laptop.rvbundle")
    [second] = import_visit_bundles(lead, VISIT, [bundle])
    assert second.ok and second.new == 0 and len(second.held) == 2
    [flag] = second.flagged
    assert flag["fingerprint"] == words(new) and flag["member_name"] == SIOBHAN
    return {"lead": lead, "old": old, "new": new, "bundle": bundle}  # type: ignore[dict-item]


def rows_of(paths: AppPaths) -> list[DeviceRow]:
    with workspace(paths) as ws:
        return device_rows(ws, visit_of(ws))


def cns_judgement(paths: AppPaths, ref: str) -> str:
    with workspace(paths) as ws:
        return read_visit_data(ws).judgement(ref, "shc", "m-cns").value


def test_the_lead_sees_each_device_with_its_words_and_state(team: dict[str, AppPaths]) -> None:
    lead, old, new = team["lead"], team["old"], team["new"]
    rows = rows_of(lead)
    assert [(r.name, r.words, r.state_words) for r in rows] == [
        ("Dr Zoë Hartley", words(lead), "this laptop"),
        (SIOBHAN, words(old), "pinned on first sight"),
        (SIOBHAN, words(new), "held: waiting for the lead"),
    ]
    mine, first, second = rows
    assert mine.this_laptop and mine.lead and mine.held == 0 and not mine.decidable
    assert first.seen_in.endswith(".rvbundle") and first.first_seen and first.held == 0
    assert first.role and not first.decidable and not first.waiting
    assert second.seen_in == "new-laptop.rvbundle" and second.held == 2
    assert second.device_id == device_id(new) and second.waiting and second.decidable
    assert second.sentence.startswith(
        f"Another device says it is {SIOBHAN}: fingerprint {words(new)}; its work is held back."
    )
    assert f"accept it only if {SIOBHAN} changed laptop" in second.sentence
    # Each word list is six words from the list people read aloud.
    assert all(len(r.words.split()) == 6 for r in rows)


def test_held_operations_say_who_what_and_why(team: dict[str, AppPaths]) -> None:
    with workspace(team["lead"]) as ws:
        held = held_rows(ws)
    assert {h.name for h in held} == {SIOBHAN} and {h.kind for h in held} == {"key"}
    assert sorted(h.what for h in held) == [
        "HN-102, Specialist Haemoglobinopathy Centre: judgement: Not met",
        "HN-102, Specialist Haemoglobinopathy Centre: reason: No leaflet in Polish",
    ]
    assert all(h.words == words(team["new"]) and h.bundle == "new-laptop.rvbundle" for h in held)
    assert all(
        h.why.startswith(f"signed by another device that says it is {SIOBHAN}") for h in held
    )


def test_the_lead_accepts_and_the_held_work_joins_the_visit(team: dict[str, AppPaths]) -> None:
    lead, old, new = team["lead"], team["old"], team["new"]
    assert cns_judgement(lead, "HN-102") != NOT_MET
    with workspace(lead) as ws:
        released = decide(ws, "m-lead", "m-cns", public_hex(device_key(new)), accept=True)
        assert held_rows(ws) == []
    assert released == 2
    assert cns_judgement(lead, "HN-102") == NOT_MET
    assert cns_judgement(lead, "HN-101") == "met"  # the first laptop's work stays
    second = rows_of(lead)[2]
    assert (second.state_words, second.held) == ("accepted by the lead", 0)
    # The decision travels: Siobhán's old laptop takes the new one's work, relayed by the lead.
    [receipt] = import_visit_bundles(old, VISIT, [export_visit_bundle(lead, VISIT, lead.data)])
    assert receipt.ok and not receipt.refused, receipt.summary()
    assert cns_judgement(old, "HN-102") == NOT_MET, receipt.summary()
    states = {r.words: r.state_words for r in rows_of(old)}
    assert states[words(new)] == "accepted by the lead" and states[words(old)] == "this laptop"
    # And her new laptop, which pinned only itself, takes the old laptop's work from the same
    # bundle: accepting her new device accepted, in words that travel, the one the lead knew.
    [receipt] = import_visit_bundles(new, VISIT, [export_visit_bundle(lead, VISIT, lead.data)])
    assert receipt.ok and not receipt.refused and not receipt.held, receipt.summary()
    assert cns_judgement(new, "HN-101") == "met", receipt.summary()


def test_the_lead_refuses_and_the_held_work_is_dropped(team: dict[str, AppPaths]) -> None:
    lead, new = team["lead"], team["new"]
    with workspace(lead) as ws:
        released = decide(ws, "m-lead", "m-cns", public_hex(device_key(new)), accept=False)
        assert held_rows(ws) == []
    assert released == 0
    assert cns_judgement(lead, "HN-102") != NOT_MET
    assert rows_of(lead)[2].state_words == "refused by the lead"
    # Its bundle again: refused one by one, with the reason, and nothing held back.
    [again] = import_visit_bundles(lead, VISIT, [team["bundle"]])  # type: ignore[list-item]
    assert again.ok and not again.held and len(again.refused) == 2
    assert "refused" in again.refused[0]["reason"] and words(new) in again.refused[0]["reason"]


def test_only_the_lead_decides(team: dict[str, AppPaths]) -> None:
    key = public_hex(device_key(team["new"]))
    with workspace(team["old"]) as ws, pytest.raises(UserError) as refused:
        decide(ws, "m-cns", "m-cns", key, accept=True)
    assert str(refused.value) == (
        f"Only the lead reviewer, Dr Zoë Hartley, can accept or refuse a device; this laptop "
        f"works as {SIOBHAN}."
    )
    with workspace(team["old"]) as ws, pytest.raises(UserError):
        decide(ws, "m-lead", "m-cns", key, accept=True)  # claiming to be the lead is not enough
    with workspace(team["lead"]) as ws:
        ops = ws.op_count()
        with pytest.raises(UserError, match="first seen for Siobhán O'Brien"):
            decide(ws, "m-lead", "m-cns", public_hex(device_key(team["old"])), accept=False)
        with pytest.raises(UserError, match="own device needs no decision"):
            decide(ws, "m-lead", "m-lead", public_hex(device_key(team["lead"])), accept=True)
        with pytest.raises(UserError, match="has seen no device of Siobhán O'Brien"):
            decide(ws, "m-lead", "m-cns", "ab" * 32, accept=True)
        assert ws.op_count() == ops  # nothing recorded
        assert len(held_rows(ws)) == 2


def test_an_operation_is_described_in_words(team: dict[str, AppPaths]) -> None:
    with workspace(team["lead"]) as ws:
        visit = visit_of(ws)
    op = Op("o", "h", "d", "m-lead", TEAM_JUDGEMENT, '["HN-101","shc"]', "value", NOT_MET, None)
    assert describe_op(op, visit) == (
        "HN-101, Specialist Haemoglobinopathy Centre: team judgement: Not met"
    )
    odd = Op("o", "h", "d", "m-lead", JUDGEMENT, "{not json", "reason", "x" * 100, None)
    assert describe_op(odd, visit) == f"Judgement: reason: {'x' * 59}…"
