"""Replicas that edit offline and exchange operations in any order end up identical.

Three to five real workspace files edit the same few fields concurrently, delete records, resolve
conflicts and pass each other random subsets of their operations (shuffled, with duplicates).
At the end everyone gets everything: every replica's derived state is byte-identical, matches a
from-scratch computation of the rules, holds the union of the ops, and re-applying changes nothing.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from storage import KEEP_WINNER, Op, Workspace
from tests.keys import TEST_KEY

ENTITIES = ["judgement", "note"]
IDS = ["x", "y"]
FIELDS = ["rating", "text", "reason"]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.text('ab"é', max_size=3))
STEPS = ["edit", "edit", "edit", "delete", "resolve", "exchange", "exchange", "exchange"]


def expected_state(ops: list[Op]) -> tuple[dict[tuple[str, str, str], object], set[str]]:
    """The winners and unresolved losers, computed from the rules with no database."""
    by_field: dict[tuple[str, str, str], list[Op]] = defaultdict(list)
    for op in ops:
        by_field[(op.entity, op.entity_id, op.field)].append(op)
    winners = {key: max(group, key=Op.sort_key) for key, group in by_field.items()}
    resolved = {
        key[1]
        for key, w in winners.items()
        if key[0] == "_conflict" and key[2] == "resolved" and w.value is True
    }
    losers: set[str] = set()
    for key, group in by_field.items():
        if key[0] == "_conflict":
            continue
        heads = {op.op_id for op in group} - {op.base for op in group}
        losers |= heads - {winners[key].op_id} - resolved
    return {key: w.value for key, w in winners.items()}, losers


@settings(max_examples=80, deadline=None)  # (150 took 50-85 s of the suite)
@given(data=st.data())
def test_replicas_converge_whatever_the_exchange_order(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        count = data.draw(st.integers(3, 5), label="replicas")
        replicas = [
            Workspace.open(
                Path(folder) / f"r{i}" / "workspace.sqlite",
                key=TEST_KEY,
                device_id=f"device-{i}",
                create=True,
                backup=False,
            )
            for i in range(count)
        ]
        try:
            run_scenario(data, replicas)
        finally:
            for ws in replicas:
                ws.close()


def run_scenario(data: st.DataObject, replicas: list[Workspace]) -> None:
    pick = st.integers(0, len(replicas) - 1)
    for _ in range(data.draw(st.integers(5, 40), label="steps")):
        step = data.draw(st.sampled_from(STEPS))
        ws = replicas[data.draw(pick)]
        member = f"member-{replicas.index(ws)}"
        entity, entity_id = data.draw(st.sampled_from(ENTITIES)), data.draw(st.sampled_from(IDS))
        if step == "edit":
            changes = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, min_size=1))
            ws.record(member, entity, entity_id, changes)
        elif step == "delete":
            ws.delete(member, entity, entity_id)
        elif step == "resolve" and (conflicts := ws.conflicts()):
            conflict = data.draw(st.sampled_from(conflicts))
            value = data.draw(st.one_of(st.just(KEEP_WINNER), VALUES))
            ws.resolve_conflict(member, conflict.loser.op_id, value)
        elif step == "exchange" and (ops := list(replicas[data.draw(pick)].ops())):
            batch = data.draw(st.lists(st.sampled_from(ops), max_size=len(ops) + 3))
            ws.apply_ops(batch)

    union = {op.op_id: op for ws in replicas for op in ws.ops()}
    everything = list(union.values())
    for ws in data.draw(st.permutations(replicas)):
        ws.apply_ops(data.draw(st.permutations(everything)))

    states = [ws.canonical_state() for ws in replicas]
    assert all(s == states[0] for s in states)
    assert all(ws.op_count() == len(union) for ws in replicas)

    winners, losers = expected_state(everything)
    event("unresolved conflicts" if losers else "no conflicts left")
    resolved = any(op.entity == "_conflict" for op in everything)
    event("some resolved" if resolved else "none resolved")
    ws = replicas[0]
    assert {key: ws.field(*key) for key in winners} == winners
    assert {c.loser.op_id for c in ws.conflicts()} == losers

    again = ws.apply_ops(everything)
    assert (again.new, again.known) == (0, len(everything))
    assert ws.canonical_state() == states[0]
