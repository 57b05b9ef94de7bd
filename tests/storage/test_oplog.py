from __future__ import annotations

import json
import time

import pytest

from storage import Op, Workspace
from storage.hlc import format_hlc, parse_hlc
from tests.storage.conftest import OpenWorkspace


def exchange(*replicas: Workspace) -> None:
    """Everyone gets everything (what importing each other's full bundles does)."""
    everything = [op for ws in replicas for op in ws.ops()]
    for ws in replicas:
        ws.apply_ops(everything)


def test_last_writer_wins_and_both_replicas_agree(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    a.record("m1", "note", "n1", {"text": "first"})
    exchange(a, b)
    b.record("m2", "note", "n1", {"text": "second"})  # b saw "first"
    exchange(a, b)
    assert a.field("note", "n1", "text") == b.field("note", "n1", "text") == "second"
    assert a.conflicts() == b.conflicts() == []
    assert a.canonical_state() == b.canonical_state()


def test_record_sets_base_to_the_current_winner(ws: Workspace) -> None:
    (first,) = ws.record("m", "note", "n", {"text": "a"})
    (second,) = ws.record("m", "note", "n", {"text": "b"})
    assert first.base is None and second.base == first.op_id
    assert second.hlc > first.hlc
    assert ws.entity("note", "n") == {"text": "b"}


def test_deletion_is_a_tombstone_that_can_be_undone(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    a.record("m", "photo", "p1", {"caption": "ward", "sha": "abc"})
    a.record("m", "photo", "p2", {"caption": "desk"})
    exchange(a, b)
    b.delete("m", "photo", "p1")
    exchange(a, b)
    for ws in (a, b):
        assert ws.entity("photo", "p1") is None
        assert list(ws.entities("photo")) == ["p2"]
        assert ws.field("photo", "p1", "caption") == "ward"  # kept, nothing is lost
    a.record("m", "photo", "p1", {"_deleted": False})
    exchange(a, b)
    assert b.entity("photo", "p1") == {"caption": "ward", "sha": "abc"}


def test_concurrent_edits_keep_a_conflict_until_resolved(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    a.record("lead", "team_judgement", "T-1/ED", {"rating": "met"})
    exchange(a, b)
    (op_a,) = a.record("m1", "team_judgement", "T-1/ED", {"rating": "not met"})
    (op_b,) = b.record("m2", "team_judgement", "T-1/ED", {"rating": "partly met"})
    exchange(a, b)
    winner, loser = sorted([op_a, op_b], key=Op.sort_key, reverse=True)
    for ws in (a, b):
        assert ws.field("team_judgement", "T-1/ED", "rating") == winner.value
        (conflict,) = ws.conflicts()
        assert (conflict.winner.op_id, conflict.loser.op_id) == (winner.op_id, loser.op_id)
        assert conflict.loser.value == loser.value  # the loser's words are kept
    assert a.canonical_state() == b.canonical_state()

    # a later edit that saw the winner does not make the conflict go away
    a.record("m1", "team_judgement", "T-1/ED", {"rating": "met"})
    exchange(a, b)
    for ws in (a, b):
        (conflict,) = ws.conflicts()
        assert conflict.loser.op_id == loser.op_id
        assert conflict.winner.value == "met"

    # resolving on one laptop clears it everywhere after the next exchange
    b.resolve_conflict("lead", loser.op_id)
    assert b.conflicts() == [] and len(a.conflicts()) == 1
    exchange(a, b)
    assert a.conflicts() == b.conflicts() == []
    assert a.field("team_judgement", "T-1/ED", "rating") == "met"
    assert a.canonical_state() == b.canonical_state()


def test_resolving_with_a_value_sets_the_field(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    a.record("m1", "note", "n", {"text": "alpha"})
    b.record("m2", "note", "n", {"text": "beta"})
    exchange(a, b)
    (conflict,) = a.conflicts()
    ops = a.resolve_conflict("m1", conflict.loser.op_id, "alpha and beta")
    assert ops[-1].base == conflict.winner.op_id
    exchange(a, b)
    assert b.field("note", "n", "text") == "alpha and beta"
    assert b.conflicts() == []


def test_a_child_arriving_before_its_parent_is_no_conflict(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    (parent,) = a.record("m", "note", "n", {"text": "v1"})
    (child,) = a.record("m", "note", "n", {"text": "v2"})
    b.apply_ops([child])
    assert b.field("note", "n", "text") == "v2"
    b.apply_ops([parent])
    assert b.field("note", "n", "text") == "v2"
    assert b.conflicts() == []
    assert b.canonical_state() == a.canonical_state()


def test_applying_twice_equals_applying_once(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    for i in range(20):
        a.record("m", "note", f"n{i % 3}", {"text": f"v{i}", "n": i})
    ops = list(a.ops())
    first = b.apply_ops(ops)
    state = b.canonical_state()
    again = b.apply_ops(ops + ops)
    assert (first.new, first.known) == (40, 0)
    assert (again.new, again.known) == (0, 80)
    assert b.canonical_state() == state == a.canonical_state()
    assert b.op_count() == 40


def test_refused_ops_are_reported_and_not_stored(open_ws: OpenWorkspace) -> None:
    a, b = open_ws("a"), open_ws("b")
    a.record("lead", "team_judgement", "T-1", {"rating": "met"})
    a.record("m2", "team_judgement", "T-2", {"rating": "met"})

    def lead_only(op: Op) -> str | None:
        return None if op.member_id == "lead" else f"{op.member_id} is not the lead"

    result = b.apply_ops(a.ops(), accept=lead_only)
    assert result.new == 1
    assert [(op.entity_id, why) for op, why in result.refused] == [("T-2", "m2 is not the lead")]
    assert b.field("team_judgement", "T-2", "rating") is None


def test_receiving_ops_moves_the_clock_past_them(open_ws: OpenWorkspace) -> None:
    b = open_ws("b")
    ahead = format_hlc(time.time_ns() // 1_000_000 + 3_600_000, 0)  # an hour ahead
    future = Op("x1", ahead, "dev-x", "m", "note", "n", "text", "x", None)
    b.apply_ops([future])
    (mine,) = b.record("m", "note", "n", {"text": "mine"})
    assert mine.hlc > future.hlc and mine.base == "x1"
    assert b.field("note", "n", "text") == "mine"


def test_a_clock_far_in_the_future_never_stops_local_editing(open_ws: OpenWorkspace) -> None:
    """An op from the year 33658 (an older app let such ops into a workspace) is ignored by the
    clock: editing goes on, at this laptop's time, after a restart too."""
    b = open_ws("b")
    hostile = Op("x1", "999999999999999.999999", "dev-x", "m", "note", "n", "text", "x", None)
    b.apply_ops([hostile])
    (mine,) = b.record("m", "note", "other", {"text": "mine"})
    assert mine.hlc < hostile.hlc
    assert abs(parse_hlc(mine.hlc)[0] - time.time_ns() // 1_000_000) < 60_000
    again = open_ws("b")
    (later,) = again.record("m", "note", "other", {"text": "later"})
    assert later.hlc > mine.hlc and again.field("note", "other", "text") == "later"


def test_op_json_round_trip_and_validation() -> None:
    op = Op(
        "id-1",
        "000000000000001.000000",
        "dev",
        "m",
        "note",
        "n",
        "text",
        {"b": [1, 2.5, None, True], "a": "é"},
        None,
    )
    line = op.to_json_line()
    assert "\n" not in line and json.loads(line)["value"]["a"] == "é"
    assert Op.from_json(line) == op
    assert Op.from_json(line.encode()) == op
    bad = json.loads(line)
    bad["hlc"] = "yesterday"
    with pytest.raises(ValueError, match="hlc"):
        Op.from_json(bad)
    del bad["hlc"]
    with pytest.raises(ValueError, match="lacks hlc"):
        Op.from_json(bad)
    with pytest.raises(ValueError, match="not valid JSON"):
        Op.from_json("{nope")
    with pytest.raises(ValueError, match="entity"):
        Op.from_json({**json.loads(line), "entity": ""})


def test_a_value_json_cannot_hold_records_nothing(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        ws.record("m", "note", "n", {"text": "ok", "bad": float("nan")})
    assert ws.op_count() == 0


def test_ops_since_gives_only_what_is_new(ws: Workspace) -> None:
    ws.record("m", "note", "n", {"text": "a"})
    mark = ws.last_seq()
    (later,) = ws.record("m", "note", "n", {"text": "b"})
    assert [op.op_id for op in ws.ops(mark)] == [later.op_id]


def test_a_chain_arriving_backwards_one_op_at_a_time_leaves_one_head(
    open_ws: OpenWorkspace,
) -> None:
    a, b = open_ws("a"), open_ws("b")
    chain = [a.record("m", "note", "n", {"text": f"v{i}"})[0] for i in range(4)]
    for op in reversed(chain):
        b.apply_ops([op])
    assert b.conflicts() == []
    assert b.canonical_state() == a.canonical_state()


def test_a_base_named_from_another_field_does_not_hide_a_head(open_ws: OpenWorkspace) -> None:
    """Heads are per field: an op that names an op of another field (a hostile or broken
    bundle) does not end that field's concurrent edit, whichever comes first."""
    a, b, c = open_ws("a"), open_ws("b"), open_ws("c")
    (mine,) = a.record("m", "note", "n", {"text": "a's"})
    (theirs,) = b.record("m", "note", "n", {"text": "b's"})
    stray = Op("stray-op", mine.hlc, "dev-x", "m", "note", "other", "text", "x", base=theirs.op_id)
    c.apply_ops([stray])  # names b's op before it is here...
    c.apply_ops([mine, theirs])  # ...yet a's and b's edits of n are still a conflict
    assert len(c.conflicts()) == 1
    b.apply_ops([mine, stray])
    assert b.canonical_state() == c.canonical_state()


def test_an_op_made_from_checked_fields_is_an_op_like_any_other() -> None:
    from storage.oplog import checked_op

    fields = ("op-1", format_hlc(1, 0), "dev", "m", "note", "n", "text", "v", None)
    quick, plain = checked_op(*fields, "seal-1", 3), Op(*fields, "seal-1", 3)
    assert type(quick) is Op and quick == plain and hash(quick) == hash(plain)
    assert (quick.seal, quick.seal_pos) == ("seal-1", 3)
    with pytest.raises(AttributeError):
        quick.value = "changed"  # type: ignore[misc]
