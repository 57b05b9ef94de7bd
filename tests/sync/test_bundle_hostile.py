"""Hostile team bundles (format version 2) on real laptops of the demo visit: each is refused, or
its operations refused or held back with a sentence, and nothing a person could notice changes.

Who can make what: anyone holding the kit (so its team key) can write a bundle that opens; only a
member's own device key can seal that member's work. A stick that is lost shows nothing but the
visit id.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.team.bundles import Receipt, export_visit_bundle
from reviewer_app.visit.model import (
    FINDING,
    JUDGEMENT,
    NOTE,
    PHOTO,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from storage import Op
from storage import authorship_tables as key_tables
from storage.hlc import format_hlc, system_ms
from sync import pins
from sync.authorship import Binding, Seal, fingerprint_words, public_hex
from sync.bundle_format import CONTENT_NAME, MANIFEST_NAME
from tests.sync.bundle_tools import (
    STORED_CHUNK,
    Laptop,
    Signer,
    nonce_of,
    op_lines,
    outer_entries,
    read_content,
    read_seals,
    rewrite_outer,
    write_outer,
    write_v1_bundle,
)

NOT_SIGNED_FOR = "it is signed by a device no key binding names for {member}"
HELD_KEY = "it is signed by another device that says it is {member}"
#: How receipts name the demo team's members.
NAMES = {"m-lead": "Dr Zoë Hartley", "m-paed": "Dr Łukasz Nowak"}
OTHER_VISIT = "it was signed for another visit, so it was copied from that visit's work"
TEAM_HN101 = team_judgement_id("HN-101", "shc")
PAED_HN101 = judgement_id("HN-101", "shc", "m-paed")


@pytest.fixture
def laptop(tmp_path: Path, demo_kit_file: Path) -> Callable[[str], Laptop]:
    """``laptop(member)``: the demo visit opened as ``member`` on a laptop of its own."""

    def make(member_id: str) -> Laptop:
        return Laptop(tmp_path / member_id, demo_kit_file, member_id)

    return make


def op(
    member: str,
    entity: str,
    entity_id: str,
    field: str,
    value: Any,
    *,
    device: str,
    hlc: str | None = None,
) -> Op:
    """An op as a laptop of ``device`` would write it, now unless ``hlc`` says otherwise."""
    return Op(
        str(uuid.uuid4()),
        hlc or format_hlc(system_ms(), 0),
        device,
        member,
        entity,
        entity_id,
        field,
        value,
        None,
    )


def import_changing_nothing(target: Laptop, bundle: Path) -> Receipt:
    """Import ``bundle`` on ``target``; check that the visit's state and its operation count are
    as they were, and that nothing is left in staging."""
    before = target.state()
    [receipt] = target.import_(bundle)
    assert target.state() == before, receipt.summary()
    assert target.staging_is_empty()
    return receipt


def reasons(entries: tuple[dict[str, str], ...]) -> dict[tuple[str, str], str]:
    """``(entity, member) -> reason`` of a receipt's refused or held operations."""
    return {(e["entity"], e["member_id"]): e["reason"] for e in entries}


def exported(sender: Laptop, out: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """What the bundle ``sender`` exports now carries: its op ids, and the ``(member, public
    key)`` of its device bindings."""
    content = read_content(sender.export(out), sender.team_key)
    keys = json.loads(content[MANIFEST_NAME])["keys"]
    return (
        {str(d["op_id"]) for d in op_lines(content)},
        {(k["member_id"], k["public_key"]) for k in keys},
    )


# -- (a, b) a member's work forged by another ---------------------------------------------------


def forging_signers(
    forger: Laptop, how: str, members: list[str]
) -> tuple[list[Signer], list[Binding]]:
    """The seals and bindings a bundle from ``forger``'s laptop carries to pass its ops off as
    ``members``' work: ``(signers, bindings)``. The bindings always include the forger's own."""
    own = forger.signer().binding(forger.visit_id)
    if how == "own key, no binding":
        return [forger.signer(m) for m in members], [own]
    if how == "own key bound to them":
        signers = [forger.signer(m) for m in members]
    else:  # "a fresh key bound to them"
        signers = [Signer(m) for m in members]
    return signers, [own, *(s.binding(forger.visit_id) for s in signers)]


FORGERIES = ["own key, no binding", "own key bound to them", "a fresh key bound to them"]


@pytest.mark.parametrize("how", FORGERIES)
def test_work_forged_as_the_lead_and_a_reviewer_is_not_taken_on_the_leads_laptop(
    how: str, laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns, paed = laptop("m-lead"), laptop("m-cns"), laptop("m-paed")
    assert {m.member_id: m.name for m in lead.visit.team}.items() >= NAMES.items()
    paed.record(JUDGEMENT, PAED_HN101, {"value": "met"})
    [honest] = lead.import_(paed.export(tmp_path / "paed.rvbundle"))  # pins paed's key
    assert honest.new == 1
    signers, bindings = forging_signers(cns, how, ["m-lead", "m-paed"])
    device = {s.member_id: s.device_id for s in signers}  # the device each seal names
    forged = [
        op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=device["m-lead"]),
        op("m-lead", FINDING, "finding-1", "text", "The unit is unsafe", device=device["m-lead"]),
        op("m-paed", JUDGEMENT, PAED_HN101, "value", "not_met", device=device["m-paed"]),
    ]
    bundle = cns.write(tmp_path / "forged.rvbundle", forged, signers=signers, bindings=bindings)

    receipt = import_changing_nothing(lead, bundle)

    assert receipt.ok and receipt.member_id == "m-cns" and receipt.new == 0
    if how == "own key, no binding":
        assert receipt.held == () and receipt.flagged == ()
        assert reasons(receipt.refused) == {
            (TEAM_JUDGEMENT, "m-lead"): NOT_SIGNED_FOR.format(member=NAMES["m-lead"]),
            (FINDING, "m-lead"): NOT_SIGNED_FOR.format(member=NAMES["m-lead"]),
            (JUDGEMENT, "m-paed"): NOT_SIGNED_FOR.format(member=NAMES["m-paed"]),
        }
    else:
        assert receipt.refused == ()
        held = reasons(receipt.held)
        assert set(held) == {(TEAM_JUDGEMENT, "m-lead"), (FINDING, "m-lead"), (JUDGEMENT, "m-paed")}
        for (_entity, member), why in held.items():
            assert why.startswith(HELD_KEY.format(member=NAMES[member])), why
            assert "held until the lead reviewer confirms that device" in why
        flagged = {(f["member_id"], f["public_key"]): f for f in receipt.flagged}
        lead_key = public_hex(signers[0].key)
        assert set(flagged) == {("m-lead", lead_key), ("m-paed", public_hex(signers[1].key))}
        assert flagged["m-lead", lead_key]["state"] == "held"
        assert flagged["m-lead", lead_key]["sentence"].startswith(
            f"Another device says it is Dr Zoë Hartley: fingerprint {fingerprint_words(lead_key)}; "
            "its work is held back."
        )
        assert "held back" in receipt.summary()
    with lead.open() as ws:
        assert ws.entity(TEAM_JUDGEMENT, TEAM_HN101) is None
        assert ws.entities(FINDING) == {}
        assert ws.field(JUDGEMENT, PAED_HN101, "value") == "met"
    # The lead's own bundle vouches for no forged key and carries no forged op.
    op_ids, keys = exported(lead, tmp_path / "lead.rvbundle")
    assert not {o.op_id for o in forged} & op_ids
    assert not {(s.member_id, public_hex(s.key)) for s in signers} & keys
    assert ("m-cns", public_hex(cns.key)) in keys  # the forger's own key, for its own member


@pytest.mark.parametrize("how", ["own key, no binding", "a fresh key bound to them"])
def test_the_lead_forged_on_a_reviewers_laptop_that_knows_the_lead_is_not_taken(
    how: str, laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns, paed = laptop("m-lead"), laptop("m-cns"), laptop("m-paed")
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "met"})
    [honest] = paed.import_(lead.export(tmp_path / "lead.rvbundle"))  # pins the lead's key
    assert honest.new == 1
    # Even naming the lead's own device: only the lead's key speaks for it.
    signers, bindings = forging_signers(cns, how, ["m-lead"])
    if how == "a fresh key bound to them":
        signers = [Signer("m-lead", signers[0].key, lead.device_id)]
        bindings = [bindings[0], signers[0].binding(cns.visit_id)]
    device = signers[0].device_id
    forged = [
        op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=device),
        op("m-lead", FINDING, "finding-1", "text", "The unit is unsafe", device=device),
    ]
    bundle = cns.write(tmp_path / "forged.rvbundle", forged, signers=signers, bindings=bindings)

    receipt = import_changing_nothing(paed, bundle)

    assert receipt.ok and receipt.new == 0
    if how == "own key, no binding":
        assert receipt.flagged == () and receipt.held == ()
        assert set(reasons(receipt.refused).values()) == {
            NOT_SIGNED_FOR.format(member=NAMES["m-lead"])
        }
    else:
        assert receipt.refused == ()
        assert all(
            why.startswith(HELD_KEY.format(member=NAMES["m-lead"]))
            for why in reasons(receipt.held).values()
        )
        assert len(receipt.held) == 2
        [flag] = receipt.flagged
        assert (flag["member_id"], flag["public_key"]) == ("m-lead", public_hex(signers[0].key))
        assert flag["device_id"] == lead.device_id  # it says it is the lead's laptop: it is not
    with paed.open() as ws:
        assert ws.field(TEAM_JUDGEMENT, TEAM_HN101, "value") == "met"
        assert ws.entities(FINDING) == {}


def test_a_forged_lead_accepting_its_own_key_is_held_not_obeyed(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """The lead's decision on a device is an op like any other: a forger's decision to accept
    the forger's own key, in the same bundle, is held back with the rest of its work."""
    lead, cns, paed = laptop("m-lead"), laptop("m-cns"), laptop("m-paed")
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "met"})
    paed.import_(lead.export(tmp_path / "lead.rvbundle"))  # pins the lead's key
    fake = Signer("m-lead")
    entity, entity_id, changes = pins.decide_key("m-lead", public_hex(fake.key), accept=True)
    forged = [
        op("m-lead", entity, entity_id, field, value, device=fake.device_id)
        for field, value in changes.items()
    ] + [op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=fake.device_id)]
    bundle = cns.write(
        tmp_path / "forged.rvbundle",
        forged,
        signers=[fake],
        bindings=[cns.signer().binding(cns.visit_id), fake.binding(cns.visit_id)],
    )

    receipt = import_changing_nothing(paed, bundle)

    assert receipt.new == 0 and receipt.released == 0 and len(receipt.held) == 2
    assert [f["public_key"] for f in receipt.flagged] == [public_hex(fake.key)]
    with paed.open() as ws, ws.transaction() as conn:
        states = pins.key_states(conn)
    assert states["m-lead", public_hex(fake.key)] == key_tables.HELD
    assert states["m-lead", public_hex(lead.key)] == key_tables.PINNED


def copied_work(bundle: Path, team_key: bytes) -> tuple[Seal, list[Op], list[Binding]]:
    """What anyone with the kit can copy from a member's bundle: its one seal, the ops it
    covers, and the bundle's device bindings."""
    content = read_content(bundle, team_key)
    [seal] = read_seals(content)
    ops = [Op.from_json(d) for d in op_lines(content)]
    keys = json.loads(content[MANIFEST_NAME])["keys"]
    return seal, ops, [Binding.from_dict(k) for k in keys]


def test_a_seal_made_again_with_a_genuine_seals_nonce_is_another_seal(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """What the two tests below rest on: a seal's id is the hash of what it signs, so a seal
    made with a copied nonce, naming the same member and device, is not the seal it copies."""
    lead, cns = laptop("m-lead"), laptop("m-cns")
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "met"})
    genuine, _ops, _keys = copied_work(lead.export(tmp_path / "lead.rvbundle"), lead.team_key)
    forged = Seal.make(
        cns.key,
        seal_id=nonce_of(genuine),
        visit_id=genuine.visit_id,
        member_id=genuine.member_id,
        device_id=genuine.device_id,
        created_at=genuine.created_at,
        op_hashes=[genuine.hashes],
    )
    assert forged.verify() and nonce_of(forged) == nonce_of(genuine)
    assert forged.seal_id != genuine.seal_id
    assert forged.public_key != genuine.public_key == public_hex(lead.key)


@pytest.mark.parametrize("target_member", ["m-lead", "m-paed"])
def test_a_genuine_seal_beside_a_forged_one_of_the_same_nonce_lends_it_no_trust(
    target_member: str, laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """Anyone with the kit can read the lead's bundle, so copy the lead's seal, the lead's work
    and the lead's binding, and carry them beside a forged seal with the same nonce: the copy
    vouches for the lead's work, and for nothing the forged seal lists.

    Before seals were named by a hash, the two seals shared an id, and the forged op was
    judged by the lead's key (or the lead's work by the forger's)."""
    lead, cns = laptop("m-lead"), laptop("m-cns")
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "met"})
    genuine, lead_ops, lead_keys = copied_work(
        lead.export(tmp_path / "lead.rvbundle"), lead.team_key
    )
    target = lead if target_member == "m-lead" else laptop(target_member)
    before = target.state()
    forger = Signer("m-lead", cns.key, lead.device_id, nonce=nonce_of(genuine))
    forged = op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=lead.device_id)
    bundle = cns.write(
        tmp_path / "forged.rvbundle",
        [*lead_ops, forged],  # the forged op is the later: it would win
        signers=[forger],
        bindings=[cns.signer().binding(cns.visit_id), *lead_keys],
        extra_seals=[genuine],  # after the forged seal: under one id, the later seal's key won
    )

    [receipt] = target.import_(bundle)

    assert receipt.ok and receipt.held == () and receipt.flagged == ()
    assert [(r["op_id"], r["reason"]) for r in receipt.refused] == [
        (forged.op_id, NOT_SIGNED_FOR.format(member=NAMES["m-lead"]))
    ]
    with target.open() as ws:
        assert ws.field(TEAM_JUDGEMENT, TEAM_HN101, "value") == "met"
    if target is lead:  # its own work, come back: nothing changes
        assert receipt.new == 0 and target.state() == before
    else:  # the lead's work, copied, is the lead's: taken
        assert receipt.new == len(lead_ops) == 1
    assert forged.op_id not in exported(target, tmp_path / "again.rvbundle")[0]


def test_a_seal_with_a_genuine_seals_nonce_does_not_stop_the_leads_work_travelling_on(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """A reviewer's bundle carries its own work and a forged seal with the nonce of the lead's
    seal; a laptop that imports it before the lead's bundle relays the lead's work, and the
    next laptop takes it.

    Before seals were named by a hash, the forged seal, stored first, took the id of the lead's:
    the lead's work was relayed with it and refused as forged on the next laptop."""
    lead, cns, paed, mgr = laptop("m-lead"), laptop("m-cns"), laptop("m-paed"), laptop("m-mgr")
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "met"})
    lead_bundle = lead.export(tmp_path / "lead.rvbundle")
    genuine, _ops, _keys = copied_work(lead_bundle, lead.team_key)
    squatter = Signer("m-lead", cns.key, lead.device_id, nonce=nonce_of(genuine))
    own = op("m-cns", NOTE, "note-1", "text", "Ask about the rota", device=cns.device_id)
    forged = op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=lead.device_id)
    cns_bundle = cns.write(
        tmp_path / "cns.rvbundle",
        [own, forged],
        signers=[cns.signer(), squatter],
        bindings=[cns.signer().binding(cns.visit_id)],  # no key of the lead's: it is refused
    )
    first, second = paed.import_(cns_bundle, lead_bundle)
    assert (first.new, [r["op_id"] for r in first.refused]) == (1, [forged.op_id])
    assert (second.new, second.refused, second.held) == (1, (), ())

    [relayed] = mgr.import_(paed.export(tmp_path / "paed.rvbundle"))

    assert (relayed.refused, relayed.held, relayed.flagged) == ((), (), ())
    assert relayed.new == 2  # the reviewer's note and the lead's judgement
    with mgr.open() as ws:
        assert ws.field(TEAM_JUDGEMENT, TEAM_HN101, "value") == "met"
        assert ws.field(NOTE, "note-1", "text") == "Ask about the rota"


@pytest.mark.parametrize("bound", [True, False], ids=["its key bound", "its key unbound"])
def test_a_bundle_claiming_to_be_this_laptops_is_not_called_this_laptops(
    bound: bool, laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """Anyone with the kit can write the lead's device id in a manifest: the receipt of such a
    bundle says what it brought (held back or refused), not "exported from this laptop"."""
    lead, cns = laptop("m-lead"), laptop("m-cns")
    forger = Signer("m-lead", device_id=lead.device_id)
    forged = [op("m-lead", TEAM_JUDGEMENT, TEAM_HN101, "value", "not_met", device=lead.device_id)]
    bundle = cns.write(
        tmp_path / "forged.rvbundle",
        forged,
        member_id="m-lead",
        device_id=lead.device_id,
        signers=[forger],
        bindings=[forger.binding(lead.visit_id)] if bound else [],
    )

    receipt = import_changing_nothing(lead, bundle)

    summary = receipt.summary()
    assert receipt.device_id == lead.device_id and receipt.note == ""
    assert "exported from this laptop" not in summary
    if bound:
        assert len(receipt.held) == len(receipt.flagged) == 1
        assert "1 held back" in summary and "Another device says it is Dr Zoë Hartley" in summary
    else:
        assert receipt.held == () and len(receipt.refused) == 1
        assert "1 refused" in summary


def test_a_bundle_claiming_to_be_this_laptops_that_pins_a_key_is_not_called_this_laptops(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """No ops at all, only a binding for a member this laptop has not heard from: the key is
    pinned (the first one seen for a member is), and work it signs is then taken as that
    member's; the receipt must not pass the bundle off as this laptop's own."""
    lead, cns = laptop("m-lead"), laptop("m-cns")
    fake = Signer("m-paed")
    bundle = cns.write(
        tmp_path / "forged.rvbundle",
        [],
        member_id="m-lead",
        device_id=lead.device_id,
        bindings=[fake.binding(lead.visit_id)],
    )

    [receipt] = lead.import_(bundle)

    with lead.open() as ws, ws.transaction() as conn:
        pinned = pins.key_states(conn).get(("m-paed", public_hex(fake.key)))
    assert pinned == key_tables.PINNED  # as designed: the first key seen for a member
    assert "exported from this laptop" not in receipt.summary()


# -- (c) work copied from another visit ------------------------------------------------------------


def test_ops_signed_for_another_visit_are_refused(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptop("m-lead"), laptop("m-cns")
    cns.record(NOTE, "note-1", {"text": "Ask about the rota"})
    [honest] = lead.import_(cns.export(tmp_path / "cns.rvbundle"))  # pins cns's key
    assert honest.new == 1
    # The same laptop, the same member and key: but its seal says it is another visit's work.
    elsewhere = cns.signer(visit_id=str(uuid.uuid4()))
    copied = [
        op("m-cns", JUDGEMENT, judgement_id("HN-101", "shc", "m-cns"), "value", "not_met",
           device=cns.device_id),
        op("m-cns", NOTE, "note-1", "text", "From another hospital", device=cns.device_id),
    ]  # fmt: skip
    bundle = cns.write(
        tmp_path / "copied.rvbundle",
        copied,
        signers=[elsewhere],
        bindings=[cns.signer().binding(cns.visit_id)],
    )

    receipt = import_changing_nothing(lead, bundle)

    assert receipt.ok and receipt.new == 0 and receipt.held == () and receipt.flagged == ()
    assert [r["reason"] for r in receipt.refused] == [OTHER_VISIT, OTHER_VISIT]
    with lead.open() as ws:
        assert ws.field(NOTE, "note-1", "text") == "Ask about the rota"


# -- (d) clocks no laptop could have --------------------------------------------------------------


def ms(year: int, month: int = 6, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


def stored_clock(target: Laptop) -> str:
    with target.open() as ws, ws.transaction() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
    return str(json.loads(row[0])) if row is not None else ""


def test_ops_with_clocks_out_of_bounds_are_held_and_local_editing_still_wins(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptop("m-lead"), laptop("m-cns")
    lead.record(NOTE, "note-1", {"text": "the lead's first words"})
    three_days = system_ms() + 3 * 24 * 3600 * 1000
    clocks = {
        "the end of the clock": "999999999999999.999999",
        "year 9999": format_hlc(ms(9999), 0),
        "three days ahead": format_hlc(three_days, 0),
        "before 2000": format_hlc(ms(1990), 0),
    }
    ops = [
        op("m-cns", NOTE, "note-1", "text", f"from {name}", device=cns.device_id, hlc=hlc)
        for name, hlc in clocks.items()
    ]
    bundle = cns.write(tmp_path / "clocks.rvbundle", ops, signers=[cns.signer()])
    clock = stored_clock(lead)

    receipt = import_changing_nothing(lead, bundle)

    assert receipt.ok and receipt.new == 0 and receipt.refused == ()
    held = {r["op_id"]: r["reason"] for r in receipt.held}
    why = {name: held[o.op_id] for name, o in zip(clocks, ops, strict=True)}
    assert why["the end of the clock"].startswith("its time is after the year 2100")
    assert why["year 9999"].startswith("its time is after the year 2100")
    assert why["three days ahead"].startswith("its time is 72 hours ahead of this laptop's clock")
    assert why["before 2000"].startswith("its time is before the year 2000")
    assert "4 held back" in receipt.summary()
    assert stored_clock(lead) == clock  # the local clock did not move
    with lead.open() as ws, ws.transaction() as conn:
        assert {h.op.op_id for h in key_tables.held_ops(conn)} == set(held)

    # Local editing works, and a local edit is the field's value: now, and after reopening.
    with lead.open() as ws:
        [mine] = ws.record("m-lead", NOTE, "note-1", {"text": "the lead's words"})
        assert ws.field(NOTE, "note-1", "text") == "the lead's words"
        assert mine.hlc < clocks["three days ahead"]
    with lead.open() as ws:
        assert ws.field(NOTE, "note-1", "text") == "the lead's words"
        ws.record("m-lead", NOTE, "note-1", {"text": "the lead's last words"})
    with lead.open() as ws:
        assert ws.field(NOTE, "note-1", "text") == "the lead's last words"
        assert ws.conflicts() == []

    # Brought again, the bundle changes nothing either; the held ops never travel on.
    again = import_changing_nothing(lead, bundle)
    assert {r["op_id"] for r in again.held} == set(held)
    assert not set(held) & exported(lead, tmp_path / "lead.rvbundle")[0]


# -- (e) damaged, cut, re-ordered content; another team's key -------------------------------------


def swap_first_two_chunks(content: bytes) -> bytes:
    first, second = content[:STORED_CHUNK], content[STORED_CHUNK : 2 * STORED_CHUNK]
    return second + first + content[2 * STORED_CHUNK :]


def flip_in_second_chunk(content: bytes) -> bytes:
    i = STORED_CHUNK + 1234
    return content[:i] + bytes([content[i] ^ 0x80]) + content[i + 1 :]


DAMAGE: dict[str, tuple[Callable[[Path, Path], Path], str, str]] = {
    "one byte of the ciphertext flipped": (
        lambda b, out: rewrite_outer(b, out, content=flip_in_second_chunk),
        "tampered",
        "was changed or damaged after it was exported (part 2 of 3 of its encrypted content "
        "does not verify)",
    ),
    "its content cut short": (
        lambda b, out: rewrite_outer(b, out, content=lambda c: c[: 2 * STORED_CHUNK]),
        "truncated",
        "is cut short",
    ),
    "two chunks swapped": (
        lambda b, out: rewrite_outer(b, out, content=swap_first_two_chunks),
        "reordered",
        "has its content out of order (part 1 of 3 is in the wrong place)",
    ),
    "another team's key": (
        lambda b, out: rewrite_outer(b, out, key=os.urandom(32)),
        "bad_hmac",
        "was not made with this visit's team key",
    ),
}


@pytest.fixture
def big_bundle(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> Iterator[tuple[Laptop, Laptop, Path, str]]:
    """The lead, a reviewer, and the reviewer's bundle holding a 2.5 MB attachment: its content
    is three chunks."""
    lead, cns = laptop("m-lead"), laptop("m-cns")
    with cns.open() as ws:
        photo = ws.blobs.put_bytes(os.urandom(2_500_000))
        ws.record("m-cns", PHOTO, "photo-1", {"ref": "HN-101", "sha256": photo})
    bundle = cns.export(tmp_path / "cns.rvbundle")
    stored = outer_entries(bundle)[CONTENT_NAME]
    assert 2 * STORED_CHUNK < len(stored) < 3 * STORED_CHUNK
    yield lead, cns, bundle, photo


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_content_is_refused_with_its_own_reason(
    case: str, big_bundle: tuple[Laptop, Laptop, Path, str], tmp_path: Path
) -> None:
    lead, cns, good, photo = big_bundle
    make, reason, words = DAMAGE[case]
    bad = make(good, tmp_path / "bad.rvbundle")

    receipt = import_changing_nothing(lead, bad)

    assert not receipt.ok
    assert receipt.refused_reason == reason
    assert receipt.refused_file.startswith(f"bad.rvbundle {words}"), receipt.refused_file
    assert "nothing was imported" in receipt.refused_file
    with lead.open() as ws:
        assert not ws.blobs.has(photo)
    # The bundle it was made from is good: the damage is what was refused.
    [ok] = lead.import_(good)
    assert ok.ok and ok.new == cns.state()[1] == 2
    with lead.open() as ws:
        assert ws.blobs.has(photo)


# -- (f) an old format --------------------------------------------------------------------------


def test_a_format_version_1_bundle_is_refused_asking_for_an_update(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptop("m-lead"), laptop("m-cns")
    ops = [op("m-cns", NOTE, "note-1", "text", "Ask about the rota", device=cns.device_id)]
    old = write_v1_bundle(
        tmp_path / "old.rvbundle",
        ops,
        visit_id=cns.visit_id,
        kit_id=cns.kit_id,
        team_key=cns.team_key,
        member_id="m-cns",
        device_id=cns.device_id,
    )

    receipt = import_changing_nothing(lead, old)

    assert receipt.refused_reason == "old_version"
    assert receipt.refused_file == (
        "old.rvbundle was made by an older version of Reviewer App (bundle format version 1), "
        "whose bundles do not prove who wrote each change; nothing was imported: ask its "
        "sender to update Reviewer App and export it again."
    )


# -- (g) a lost stick ------------------------------------------------------------------------------


def test_a_lost_bundle_shows_nothing_but_the_visit_id(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    lead, cns = laptop("m-lead"), laptop("m-cns")
    note = "Patient in bay 4 told us the night rota is unsafe"
    cns.record(NOTE, "note-1", {"ref": "HN-101", "text": note, "author": "m-cns"})
    cns.record(JUDGEMENT, judgement_id("HN-101", "shc", "m-cns"), {"value": "not_met"})
    lead.record(TEAM_JUDGEMENT, TEAM_HN101, {"value": "not_met"})
    lead.import_(cns.export(tmp_path / "cns.rvbundle"))
    bundle = lead.export(tmp_path / "lead.rvbundle")  # carries both members' work and keys
    raw = bundle.read_bytes()

    assert lead.visit_id.encode() in raw
    secrets = {
        "the note": note,
        "a value": "not_met",
        "the kit": lead.kit_id,
        "a device": cns.device_id,
        "a device key": public_hex(cns.key),
        "the visit's title": lead.visit.title,
        **{f"member {m.member_id}": m.member_id for m in lead.visit.team},
        **{f"the name of {m.member_id}": m.name for m in lead.visit.team},
    }
    with lead.open() as ws:
        secrets |= {f"standard {s['ref']}": str(s["ref"]) for s in ws.standards()}
    shown = [what for what, text in secrets.items() if text.encode("utf-8") in raw]
    assert shown == []
    clear = json.loads(outer_entries(bundle)[MANIFEST_NAME])
    assert set(clear) == {
        "format", "format_version", "visit_id", "bundle_id", "encryption", "salt",
        "content_size",
    }  # fmt: skip
    # And it is all there for the team key.
    assert note.encode("utf-8") in read_content(bundle, lead.team_key)["ops.jsonl"]
    copy = write_outer(tmp_path / "copy.rvbundle", outer_entries(bundle))
    [receipt] = cns.import_(copy)
    assert receipt.ok and receipt.new == 1


def test_a_lost_bundles_file_name_shows_nothing_but_the_visit_id(
    laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    """The name a bundle is saved under, on the lead's laptop and a reviewer's: the visit id's
    first 8 characters, the sender's place in the team (not their name) and the time."""
    lead, paed = laptop("m-lead"), laptop("m-paed")
    folder = tmp_path / "stick"
    folder.mkdir()
    lead_name = export_visit_bundle(lead.paths, lead.visit_id, folder).name
    paed_name = export_visit_bundle(paed.paths, paed.visit_id, folder).name

    place = [m.member_id for m in lead.visit.team].index("m-paed") + 1
    when = r"\d{8}-\d{4}\.rvbundle"
    assert re.fullmatch(rf"visit-{lead.visit_id[:8]}-lead-{when}", lead_name), lead_name
    assert re.fullmatch(rf"visit-{paed.visit_id[:8]}-member-{place}-{when}", paed_name), paed_name
    for name in (lead_name.lower(), paed_name.lower()):
        assert "hartley" not in name and "zoe" not in name  # Dr Zoë Hartley, the lead
        assert "nowak" not in name and "paed" not in name  # Dr Łukasz Nowak, m-paed
        assert "haemoglobin" not in name  # the visit's title names the service and the trust
