"""Which devices speak for which team members on this laptop, and the lead's decisions on them.

DESIGN.md "Team bundle", authorship: each laptop signs its work with its own device key. This
laptop pins the first key it sees for a member; another key for the same member is held back,
with the work it signed, until the lead reviewer accepts or refuses it (``sync.pins``). People
compare keys by their fingerprint words, read aloud ("unicorn brush peach puzzle jigsaw
jacket"): the owner reads what their own laptop shows for itself, the lead what theirs shows.

- :func:`device_rows`: every key seen, with its member, words, state in plain words, when and
  in which bundle it was first seen, and how many operations wait for it;
- :func:`held_rows`: the operations held back, who, what and why;
- :func:`decide`: the lead's decision on a key, recorded as an operation (it travels to the
  team in the lead's bundle) and applied here at once: the work the key signed is released
  (accepted) or dropped (refused) in the same transaction.

Functions taking a ``Workspace`` run on the session's storage worker. Nothing here imports Qt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer_app.app.device import device_key_for_workspace
from reviewer_app.app.errors import UserError
from reviewer_app.team.bundles import key_sentence, team_rules
from reviewer_app.visit.conflicts import show_value
from reviewer_app.visit.model import JUDGEMENT, TEAM_JUDGEMENT
from storage import Op, Workspace
from storage import authorship_tables as tables
from storage.authorship_tables import (
    ACCEPTED,
    HELD,
    HOLD_KEY,
    PINNED,
    REJECTED,
    TRUSTED_STATES,
    device_keys,
)
from sync.authorship import fingerprint_words, public_hex
from sync.bundle_import import release_held
from sync.kit_model import VisitDetails
from sync.pins import decide_key, lead_decisions

__all__ = [
    "STATE_WORDS",
    "THIS_LAPTOP",
    "DeviceRow",
    "HeldRow",
    "decide",
    "device_rows",
    "held_rows",
    "visit_of",
]

THIS_LAPTOP = "this laptop"
STATE_WORDS = {
    PINNED: "pinned on first sight",
    ACCEPTED: "accepted by the lead",
    HELD: "held: waiting for the lead",
    REJECTED: "refused by the lead",
}
#: The states of a key the lead may decide on: another key for a member. The first key seen
#: for a member is pinned, and stays so whatever the log says (``sync.pins.apply_decisions``).
DECIDABLE = (HELD, ACCEPTED, REJECTED)
_STATE_ORDER = {PINNED: 0, ACCEPTED: 1, HELD: 2, REJECTED: 3}
VALUE_SHOWN = 60  # characters of a held value shown in its description


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """One device key seen on this laptop, for one member."""

    member_id: str
    name: str
    role: str
    device_id: str
    public_key: str
    words: str
    """The key's fingerprint, six words to read aloud."""
    state: str
    """``storage.authorship_tables``' state: pinned, accepted, held or rejected."""
    this_laptop: bool
    first_seen: str
    """When this laptop first saw the key (ISO, UTC)."""
    seen_in: str
    """The bundle file it first came in, or "this laptop"."""
    held: int
    """Operations it signed that are held back here."""
    lead: bool = False
    """The member is the visit's lead reviewer."""

    @property
    def state_words(self) -> str:
        """The state as a person reads it ("held: waiting for the lead")."""
        return THIS_LAPTOP if self.this_laptop else STATE_WORDS.get(self.state, self.state)

    @property
    def waiting(self) -> bool:
        """Another device for the member, which the lead has not yet accepted or refused."""
        return self.state == HELD and not self.this_laptop

    @property
    def decidable(self) -> bool:
        """The lead may accept or refuse it (or change their mind)."""
        return self.state in DECIDABLE and not self.this_laptop

    @property
    def sentence(self) -> str:
        """What a person reads about a key that waits for the lead ("" for the others)."""
        return key_sentence(self.name, self.public_key) if self.waiting else ""


@dataclass(frozen=True, slots=True)
class HeldRow:
    """One operation held back: who it names, what it changes, and why it waits."""

    op_id: str
    member_id: str
    name: str
    what: str
    why: str
    kind: str
    """``"key"`` (its device is not yet confirmed) or ``"clock"`` (its time is out of bounds)."""
    public_key: str | None
    held_at: str
    bundle: str

    @property
    def words(self) -> str:
        return fingerprint_words(self.public_key) if self.public_key else ""


def visit_of(ws: Workspace) -> VisitDetails:
    """The visit's details from the workspace's kit."""
    info = ws.kit_info()
    if info is None:
        raise UserError("this visit's workspace has no kit; open the visit's kit again")
    return VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])


def _own_key(ws: Workspace) -> str | None:
    """This laptop's public key (hex), or ``None`` when it cannot be read."""
    try:
        return public_hex(device_key_for_workspace(ws.path))
    except (OSError, ValueError):
        return None


def device_rows(ws: Workspace, visit: VisitDetails) -> list[DeviceRow]:
    """Every device key this laptop has seen, members in the team's order (a member not on
    the team last); a member's keys: this laptop's, pinned, accepted, held, refused."""
    # The workspace lends its connection only inside a transaction; a short one also reads
    # the keys and the held operations as one consistent state.
    with ws.transaction() as conn:
        keys = tables.device_keys(conn)
        held = tables.held_per_key(conn)
    own = _own_key(ws)
    order = {m.member_id: i for i, m in enumerate(visit.team)}
    rows = []
    for k in keys:
        member = visit.member(k.member_id)
        rows.append(
            DeviceRow(
                member_id=k.member_id,
                name=member.name if member else k.member_id,
                role=member.role if member else "not on this visit's team",
                device_id=k.device_id,
                public_key=k.public_key,
                words=fingerprint_words(k.public_key),
                state=k.state,
                this_laptop=k.public_key == own,
                first_seen=k.first_seen,
                seen_in=k.seen_in,
                held=held.get((k.member_id, k.public_key), 0),
                lead=bool(member and member.lead),
            )
        )
    # Within a member: this laptop's key, the one trusted first, then the others; the times
    # are to the second, so two keys first seen together need the state to keep their order.
    return sorted(
        rows,
        key=lambda r: (
            order.get(r.member_id, len(order)),
            not r.this_laptop,
            _STATE_ORDER.get(r.state, len(_STATE_ORDER)),
            r.first_seen,
        ),
    )


def held_rows(ws: Workspace) -> list[HeldRow]:
    """Every operation held back on this laptop, oldest first."""
    visit = visit_of(ws)
    with ws.transaction() as conn:
        held = tables.held_ops(conn)
    out = []
    for h in held:
        member = visit.member(h.op.member_id)
        name = member.name if member else h.op.member_id
        out.append(
            HeldRow(
                op_id=h.op.op_id,
                member_id=h.op.member_id,
                name=name,
                what=describe_op(h.op, visit),
                why=_why(h.kind, h.reason, name, h.public_key),
                kind=h.kind,
                public_key=h.public_key,
                held_at=h.held_at,
                bundle=h.bundle,
            )
        )
    return out


def _why(kind: str, reason: str, name: str, public_key: str | None) -> str:
    if kind == HOLD_KEY and public_key:
        return (
            f"signed by another device that says it is {name} (fingerprint "
            f"{fingerprint_words(public_key)}): waiting for the lead reviewer to confirm it"
        )
    return reason


def describe_op(op: Op, visit: VisitDetails) -> str:
    """What an operation changes, in words: "HN-101, Specialist Centre: judgement: Not met"."""
    components = {c.id: c.name for c in visit.components}
    field_name = "judgement" if op.field == "value" else op.field.replace("_", " ").strip()
    value = show_value(op.field, op.value)
    if len(value) > VALUE_SHOWN:
        value = value[: VALUE_SHOWN - 1] + "…"
    where = op.entity.replace("_", " ").capitalize()
    if op.entity in (JUDGEMENT, TEAM_JUDGEMENT):
        try:
            parts = json.loads(op.entity_id)
        except ValueError:
            parts = None
        if isinstance(parts, list) and len(parts) >= 2:
            ref, component = str(parts[0]), str(parts[1])
            where = f"{ref}, {components.get(component, component)}"
        if op.entity == TEAM_JUDGEMENT:
            field_name = f"team {field_name}"
    return f"{where}: {field_name}: {value}"


def decide(
    ws: Workspace, lead_member_id: str, member_id: str, public_key: str, accept: bool
) -> int:
    """Record the lead's decision on another device of ``member_id`` and apply it here: the
    decision op and the release of the operations the key signed are one transaction.
    Returns how many held operations are now in the visit (none when refused: those are
    dropped). ``UserError`` when this laptop's member is not the lead, or the key is not one
    the lead can decide on."""
    visit = visit_of(ws)
    lead = visit.lead
    working_as = str(ws.get_local("member_id") or "")
    if lead is None:
        raise UserError("this visit's kit names no lead reviewer, so no one can confirm devices")
    if lead_member_id != lead.member_id or working_as != lead.member_id:
        me = visit.member(working_as)
        raise UserError(
            f"Only the lead reviewer, {lead.name}, can accept or refuse a device; this laptop "
            f"works as {me.name if me else working_as or 'no one yet'}."
        )
    with ws.transaction() as conn:
        _check_decidable(ws, visit, member_id, public_key)
        entity, entity_id, changes = decide_key(member_id, public_key, accept)
        ws.record(lead.member_id, entity, entity_id, changes)
        if accept:
            # The keys this laptop already trusts for the member are accepted too, in words
            # that travel: the member's new laptop pinned only itself, and holds the old
            # laptop's work until the lead's bundle says the old key is theirs as well.
            decided = lead_decisions(conn)
            for row in device_keys(conn):
                trusted = row.state in TRUSTED_STATES and row.member_id == member_id
                if trusted and (row.member_id, row.public_key) not in decided:
                    entity, entity_id, changes = decide_key(member_id, row.public_key, True)
                    ws.record(lead.member_id, entity, entity_id, changes)
        return release_held(conn, accept=team_rules(visit))


def _check_decidable(ws: Workspace, visit: VisitDetails, member_id: str, public_key: str) -> None:
    row = next(
        (
            r
            for r in device_rows(ws, visit)
            if (r.member_id, r.public_key) == (member_id, public_key)
        ),
        None,
    )
    member = visit.member(member_id)
    name = member.name if member else member_id
    if row is None:
        raise UserError(
            f"This laptop has seen no device of {name} with the fingerprint "
            f"{fingerprint_words(public_key)}; import the bundle it came in first."
        )
    if row.this_laptop:
        raise UserError("This laptop's own device needs no decision: it is always trusted here.")
    if not row.decidable:
        raise UserError(
            f"The device {row.words} was the first seen for {name} on this laptop and is "
            "trusted here; a decision is needed only for another device."
        )


def waiting(rows: Sequence[DeviceRow]) -> list[DeviceRow]:
    """The keys that wait for the lead, in the order shown."""
    return [r for r in rows if r.waiting]
