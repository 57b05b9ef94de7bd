"""Laptops that pass each other team bundles, in any order, end up with identical visits; no
forged operation gets in anywhere, and no honest one is lost.

A Hypothesis state machine (issue 4, "Tests"; issue 14: bundle format version 2, operations
sealed by their authors' device keys). Three or four honest laptops each open the demo kit into
their own folder (their own ``REVIEWER_APP_HOME``: their own device id and device key), as
different members of the demo team, one of them the lead; some laptops' clocks run minutes or an
hour ahead or behind. Another member's laptop is the **forger**: a real team member, with the
team key and a device of its own. At the start everyone passes everyone a bundle (the team
meeting on arrival), so every laptop has pinned every member's real key: first-sight pinning
cannot protect a laptop that meets a forger's claim before the real member's key, so the
machine, like the team, meets first. Then, in random order:

- a reviewer sets their own judgement; the lead sets a team judgement or writes a finding;
  anyone adds or edits a note, an observation or a photo, deletes one, or resolves a conflict;
  two laptops edit the same field without having seen each other's edit;
- a laptop exports a bundle, and another imports a bundle file (headless, or with the app's own
  import): any file ever exported, so bundles arrive late, twice, out of order, and relayed
  (a bundle carries every op its laptop holds, each under its author's seal);
- the forger records operations that name another member (a judgement, a note, an edit, the
  lead's team judgement, finding or decision on a device key) and exports them, under its own
  key or a fresh one it binds to that member: a second key for a member already pinned, held
  back, never accepted; it changes honest operations it relays (their seals no longer cover
  them: refused); it works as itself (accepted, except what only the lead may write); it writes
  with a hostile clock (2090, 2122, 1995: held back, never moving anyone's clock);
  it imports honest bundles, to relay them;
- an honest laptop's clock jumps to 2090: the reviewer adds a note, then the clock is put right
  and the app restarted (the note is held back everywhere else);
- a member changes laptop: a new folder, so a new device key; it first takes the lead's bundle
  (the meeting again), works, and sends its bundle to the lead, who accepts the new device as
  the app does (``reviewer_app.team.devices.decide``: a decision op, applied at once, which also
  accepts the member's earlier devices); the member's work from both laptops then reaches
  everyone once the lead's bundle travels;
- the lead refuses a device that claimed to be a member; everyone syncs.

The model: for each honest laptop the ops it must hold, the ops it must hold back and the state
of every key it has seen, predicted for each import from the bundle's content (DESIGN.md "Team
bundle": first key seen for a member pinned, another held unless the lead decided; an op applied
only under a trusted key, within the team's rules and the clock bounds; the lead's decisions
release or drop what was held). After every import the laptop holds exactly that, its result
or receipt lists what was held back and refused and which devices wait for the lead, and
importing the same file again changes nothing; what a reviewer just wrote is what
their laptop shows; no forged op is ever in an honest laptop's log. At the end (and at random
"everyone syncs" steps) every honest laptop exports and imports everyone's: their
``canonical_state()`` is the same bytes (but for the notes written while a clock said 2090,
which only their writer shows), and at the end so is the disagreement register; every honest
op is on every honest laptop with its exact content (one from beyond the clock bounds in its
writer's log, and in ``held_ops`` everywhere else); no laptop's clock was moved beyond the
bounds.

Found by it, as fixed cases below: an edit after the clock is put right loses to the laptop's
own op from 2090 (xfail).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import reviewer_app.team.bundles as app_bundles
import reviewer_app.visit.model as vm
from reviewer_app.app.device import device_key, device_key_file
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.consensus import disagreements
from reviewer_app.team import devices
from reviewer_app.visit.model import (
    JUDGEMENTS,
    NOTE,
    OBSERVATION,
    PHOTO,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.read_model import read_visit_data
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import KEEP_WINNER, HybridClock, Op, Workspace
from storage import authorship_tables as key_tables
from storage.authorship_tables import ACCEPTED, HELD, PINNED, REJECTED
from storage.hlc import parse_hlc
from storage.oplog import dump_value
from sync import pins
from sync.authorship import ACCEPT, DECISION, DEVICE_KEY_ENTITY, public_hex
from sync.bundle_builder import export_bundle
from sync.bundle_format import BUNDLE_SUFFIX
from sync.bundle_import import import_bundle
from sync.bundle_reader import read_bundle
from sync.kit_model import VisitDetails

# A few standards and components, so that reviewers and records overlap often.
REFS = ["HN-101", "HN-102", "HN-103"]
COMPONENTS = ["shc", "lht"]
TEXT = st.text(alphabet="ab é\"'\n", max_size=6)
CATEGORIES = sorted(vm.CATEGORIES)
# Photos: a few shared byte strings (two laptops photographing the same thing gives one blob)
# and some random ones.
PHOTO_BYTES = st.one_of(
    st.sampled_from([b"\xff\xd8one", b"\xff\xd8two"]), st.binary(min_size=1, max_size=40)
)
SKEWS_MS = st.sampled_from([0, 0, 0, 90_000, -90_000, 3_600_000, -3_600_000])
EDITABLE = {NOTE: "text", OBSERVATION: "text", PHOTO: "caption"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LEAD = "m-lead"
REVIEWERS = ["m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"]
# What only the lead writes (the visit's rules, as reviewer_app.team.bundles states them).
LEAD_ONLY = {TEAM_JUDGEMENT, vm.FINDING, vm.REPORT_TEXT, DEVICE_KEY_ENTITY}

# Clocks beyond the bounds (DESIGN.md "Team bundle", clocks). Fixed times, far from any real
# one, so that a run replays the same whenever it runs: the import judges by the real clock.
DAY_MS = 24 * 60 * 60 * 1000
YEAR_2000_MS = 946_684_800_000
YEAR_2100_MS = 4_102_444_800_000
HOSTILE_TIMES = {
    "2090": 3_790_000_000_000,  # decades more than a day ahead of every laptop
    "2122": 4_800_000_000_000,  # past 2100
    "1995": 800_000_000_000,  # before 2000
}
JUMPED_TO_MS = HOSTILE_TIMES["2090"]
DEMO_VISIT = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"
MAX_LAPTOP_CHANGES = 1

# The verdicts an import gives one op (the model's words).
APPLY, HOLD, REFUSE = "apply", "hold", "refuse"
TRUSTED = (PINNED, ACCEPTED)
Key = tuple[str, str]  # (member id, device public key in hex)
Sealed = tuple[str, str | None]  # (member id, key of the seal covering the op; None: none)


def note_event(name: str) -> None:
    """Hypothesis' ``event`` (statistics), which the fixed cases below run without."""
    with contextlib.suppress(InvalidArgument):
        event(name)


def beyond_bounds(hlc: str) -> bool:
    """Whether an op's clock is one an import holds back: before 2000, from 2100 on, or more
    than a day ahead of the real clock (imports judge by it)."""
    wall, _counter = parse_hlc(hlc)
    return wall < YEAR_2000_MS or wall >= YEAR_2100_MS or wall > time.time() * 1000 + DAY_MS


class WorldClock:
    """Simulated time, so that a run is the same every time it is replayed (HLCs decide which
    edit wins, and so which records are live for the next steps): every reading moves it on by
    a millisecond. Each laptop reads it through its own skew (a laptop set to the wrong time)."""

    def __init__(self) -> None:
        self.now = 1_750_000_000_000  # June 2025, in ms

    def laptop_clock(self, skew_ms: int) -> Callable[[], int]:
        def now_ms() -> int:
            self.now += 1
            return self.now + skew_ms

        return now_ms


@dataclass
class Laptop:
    name: str
    member_id: str
    paths: AppPaths
    ws: Workspace
    staging: Path
    device_key: Ed25519PrivateKey
    skew: int
    # The model: what this laptop must hold.
    ops: set[str] = field(default_factory=set)
    held: dict[str, Key] = field(default_factory=dict)  # op held back -> its member and key
    keys: dict[Key, str] = field(default_factory=dict)  # every key seen -> its state
    blobs: set[str] = field(default_factory=set)  # photo blobs it must hold
    high_water: int = 0  # the most ops it has ever held

    @property
    def key(self) -> str:
        return public_hex(self.device_key)


@dataclass(frozen=True)
class Made:
    """An op the machine made, and what every import must make of it."""

    op: Op
    honest: bool  # made on an honest laptop (the forger's own work is not)
    beyond: bool  # its clock is beyond the bounds
    author: Key | None = None  # the member and device key that seal it (honest ops)

    @property
    def decision(self) -> tuple[Key, bool] | None:
        """The decision on a device key the op records, if it records one."""
        op = self.op
        if op.entity != DEVICE_KEY_ENTITY or op.field != DECISION:
            return None
        member, _, key = op.entity_id.rpartition(":")
        return (member, key), op.value == ACCEPT


@dataclass(frozen=True)
class BundleFile:
    path: Path
    source: str  # name of the laptop that exported it
    member_id: str
    number: int  # the source's n-th export
    ops: dict[str, Sealed]  # op id -> the member it names, the key of its seal
    keys: tuple[Key, ...]  # the device bindings it carries, in its order
    blobs: frozenset[str]

    def __hash__(self) -> int:
        return hash(self.path)


@dataclass(frozen=True)
class Outcome:
    """What an import did, as the headless result and the app's receipt both say it."""

    new: int
    known: int
    refused: frozenset[str]
    held: frozenset[str]
    released: int
    flagged: tuple[Key, ...]


@dataclass
class Expected:
    outcome: Outcome
    ops: set[str]
    held: dict[str, Key]
    keys: dict[Key, str]


class BundleExchange(RuleBasedStateMachine):
    kit: Path  # set by the test function (the session's demo kit)
    templates: Path | None = None  # laptops opened before, to copy (set by the test function)
    visit_id = DEMO_VISIT
    forger: Laptop

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="bundle-sm-"))
        self.laptops: list[Laptop] = []  # the honest ones
        self.opened: dict[str, int] = {}  # laptops opened by each member, the forger too
        self.files: list[BundleFile] = []
        self.made: dict[str, Made] = {}
        self.forged: set[str] = set()  # ops the forger made in another member's name
        self.tampered: set[str] = set()  # honest ops the forger changed before relaying
        self.frozen: set[tuple[str, str]] = set()  # records written while a clock said 2090
        self.fresh_keys = 0
        self.changes = 0  # members who changed laptop
        self.all_blobs: set[str] = set()
        self.exports: dict[str, int] = {}
        self.world = WorldClock()
        self.created = 0  # records created, for their ids
        self.app_imports: dict[str, list[BundleFile]] = {}  # imported with the app's import
        # A step that raised leaves started > finished: teardown then only closes.
        self.started = 0
        self.finished = 0

    # -- set-up -------------------------------------------------------------------------------

    @initialize(count=st.integers(3, 4), data=st.data())
    def open_laptops(self, count: int, data: st.DataObject) -> None:
        self.started += 1
        members = data.draw(st.permutations(REVIEWERS), label="members")
        forger_member = members[count - 1]
        honest = members[: count - 1]
        honest.insert(data.draw(st.integers(0, count - 1), label="lead position"), LEAD)
        for i, member in enumerate(honest):
            skew = data.draw(SKEWS_MS, label=f"clock skew of laptop {i} (ms)")
            self.laptops.append(self._open_laptop(f"laptop{i}", member, skew))
        self.forger = self._open_laptop("forger", forger_member, 0)
        info = self.forger.ws.kit_info()
        assert info is not None
        manifest = json.loads(info["manifest_json"])
        assert info["visit_id"] == self.visit_id
        self.kit_id: str = info["kit_id"]
        self.team_key = bytes.fromhex(manifest["team_key"])
        visit = VisitDetails.from_dict(manifest["visit"])
        self.team = {m.member_id for m in visit.team}
        assert visit.lead is not None and visit.lead.member_id == LEAD
        # The team's rules, as the app imports with them (only the lead sets team judgements).
        self.accept = app_bundles.team_rules(visit)
        assert len({lap.ws.device_id for lap in [*self.laptops, self.forger]}) == count + 1
        self._team_meeting()
        self.finished = self.started

    def _open_laptop(self, name: str, member: str, skew: int) -> Laptop:
        """A laptop on which ``member`` opens the kit (their first, or their next one)."""
        self.opened[member] = self.opened.get(member, 0) + 1
        home = self.root / name
        open_as(self.kit, member, f"{member} #{self.opened[member]}", home, self.templates)
        paths = home_paths(home)
        ws = open_workspace(paths, workspace_path(paths, self.visit_id), backup=False)
        # The workspace's clock, reading simulated time (a test seam: no public setter).
        ws._clock = HybridClock(ws._clock.last, now_ms=self.world.laptop_clock(skew))
        laptop = Laptop(name, member, paths, ws, home / "staging", device_key(paths), skew)
        laptop.keys[(member, laptop.key)] = PINNED  # its own, pinned when it opened the kit
        self._check_laptop(laptop)
        return laptop

    def _team_meeting(self) -> None:
        """Everyone's first bundle to everyone: nobody has written anything yet, so what
        travels is each member's device key, pinned everywhere at first sight."""
        everyone = [*self.laptops, self.forger]
        first = [self._export(lap) for lap in everyone]
        for lap in self.laptops:
            for bundle in first:
                self._import(lap, bundle)
        for bundle in first:
            self._forger_imports(bundle)
        real_keys = {(lap.member_id, lap.key) for lap in everyone}
        for lap in self.laptops:
            assert lap.keys == dict.fromkeys(real_keys, PINNED)

    def teardown(self) -> None:
        try:
            if self.laptops and self.started == self.finished:
                self._everyone_syncs(order=None)
                registers = [self._register(lap.ws) for lap in self.laptops]
                assert all(r == registers[0] for r in registers), "the registers differ"
                note_event("disagreements" if registers[0] else "no disagreement")
        finally:
            for laptop in [*self.laptops, *([self.forger] if hasattr(self, "forger") else [])]:
                laptop.ws.close()
            shutil.rmtree(self.root, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> str:
        self.created += 1
        return f"{kind}-{self.created}"

    def _pick(self, data: st.DataObject, label: str = "laptop") -> Laptop:
        return self.laptops[data.draw(st.integers(0, len(self.laptops) - 1), label=label)]

    def _lead(self) -> Laptop:
        return next(lap for lap in self.laptops if lap.member_id == LEAD)

    def _record(
        self,
        lap: Laptop,
        entity: str,
        entity_id: str,
        changes: dict[str, Any],
        *,
        beyond: bool = False,
    ) -> list[Op]:
        ops = lap.ws.record(lap.member_id, entity, entity_id, changes)
        self._took(lap, ops, beyond=beyond)
        return ops

    def _took(self, lap: Laptop, ops: list[Op], *, beyond: bool = False) -> None:
        for op in ops:  # what a reviewer just wrote is what their laptop shows
            winner = lap.ws.field(op.entity, op.entity_id, op.field)
            assert winner == op.value, (
                f"{lap.name}'s own edit of {op.entity}.{op.field} lost to an op it "
                f"had already seen: shows {winner!r}, wrote {op.value!r} at {op.hlc}"
            )
            assert beyond_bounds(op.hlc) == beyond, f"{lap.name} wrote at {op.hlc}"
            assert op.op_id not in self.made, "an op id was made twice"
            author = (lap.member_id, lap.key)
            self.made[op.op_id] = Made(op, True, beyond, author)
        lap.ops |= {op.op_id for op in ops}

    def _then_edit(self, lap: Laptop, data: st.DataObject) -> None:
        """Maybe the reviewer then edits a record they hold, e.g. one that has just arrived."""
        live = [(e, r) for e in sorted(EDITABLE) for r in self._live(lap, e)]
        if not live or not data.draw(st.booleans(), label="then edits a record"):
            return
        entity, entity_id = data.draw(st.sampled_from(live), label="record")
        text = data.draw(TEXT, label="text")
        self._record(lap, entity, entity_id, {EDITABLE[entity]: text})

    def _live(self, lap: Laptop, entity: str) -> list[str]:
        """The records ``lap`` shows that its reviewer may edit: not the notes written while
        a clock said 2090 (an edit of one after the clock is put right loses to it:
        ``test_an_edit_after_the_clock_is_put_right_is_shown``)."""
        return sorted(r for r in lap.ws.entities(entity) if (entity, r) not in self.frozen)

    @staticmethod
    def _op_ids(ws: Workspace) -> set[str]:
        return {op.op_id for op in ws.ops()}

    @staticmethod
    def _photo_blobs(ws: Workspace) -> set[str]:
        return {
            op.value
            for op in ws.ops()
            if op.field == "sha256" and isinstance(op.value, str) and SHA256.match(op.value)
        }

    # -- exports ------------------------------------------------------------------------------

    def _export(self, lap: Laptop, key: Ed25519PrivateKey | None = None) -> BundleFile:
        """``lap`` exports its bundle (sealed with ``key``, its own device key by default); the
        file is then opened like an import would, to know what it carries."""
        number = self.exports.get(lap.name, 0) + 1
        self.exports[lap.name] = number
        out = self.root / "usb" / f"{lap.name}-{number:03d}{BUNDLE_SUFFIX}"
        out.parent.mkdir(parents=True, exist_ok=True)
        manifest = export_bundle(
            lap.ws,
            out,
            member_id=lap.member_id,
            team_key=self.team_key,
            kit_id=self.kit_id,
            device_key=key or lap.device_key,
        )
        assert manifest.visit_id == self.visit_id
        assert manifest.member_id == lap.member_id
        assert manifest.device_id == lap.ws.device_id
        assert out.exists()
        assert not [p for p in out.parent.iterdir() if not p.name.endswith(BUNDLE_SUFFIX)]
        held = self._op_ids(lap.ws)
        assert manifest.op_count == len(held)
        named = self._photo_blobs(lap.ws)
        assert set(manifest.blobs) == {sha for sha in named if lap.ws.blobs.has(sha)}
        ops, keys, lines = self._open_bundle(out)
        assert set(ops) == held
        for op_id, (member, seal_key) in ops.items():
            made = self.made.get(op_id)
            assert made is not None, f"{lap.name} exported an op nobody made"
            if op_id in self.tampered and lap is self.forger:
                continue
            assert seal_key is not None, f"{lap.name} exported an op no seal covers"
            assert lines[op_id] == made.op.to_json_line(), "an op changed on its way"
            assert member == made.op.member_id
        if lap is not self.forger:
            self._check_honest_export(lap, ops, keys, named)
        else:
            unsigned = {op_id for op_id, (_m, k) in ops.items() if k is None}
            assert unsigned == self.tampered & set(ops)
        bundle = BundleFile(
            out, lap.name, lap.member_id, number, ops, keys, frozenset(manifest.blobs)
        )
        self.files.append(bundle)
        return bundle

    def _check_honest_export(
        self,
        lap: Laptop,
        ops: dict[str, Sealed],
        keys: tuple[Key, ...],
        named: set[str],
    ) -> None:
        assert set(ops) == lap.ops
        assert named <= lap.blobs, "a laptop holds a photo op without its photo"
        trusted = {k for k, state in lap.keys.items() if state in TRUSTED}
        assert set(keys) == trusted, "a bundle carries keys its laptop does not trust"
        forger = (self.forger.member_id, self.forger.key)
        for op_id, sealed in ops.items():  # relayed under its author's seal
            made = self.made[op_id]
            # The forger's ops an honest laptop holds: its own work, under its real key.
            author = made.author if made.honest else forger
            assert sealed == author, f"{lap.name} holds {op_id} under another seal"

    def _open_bundle(self, path: Path) -> tuple[dict[str, Sealed], tuple[Key, ...], dict[str, str]]:
        """What a bundle carries: op id -> (member, key of the seal covering it, or None),
        its key bindings in order, and each op's line."""
        with read_bundle(
            path, visit_id=self.visit_id, team_key=self.team_key, staging_root=self.root / "look"
        ) as verified:
            seal_keys = {seal.seal_id: seal.public_key for seal in verified.verified_seals}
            ops: dict[str, Sealed] = {
                op.op_id: (op.member_id, seal_keys[op.seal] if op.seal else None)
                for op in verified.ops
            }
            lines = {op.op_id: op.to_json_line() for op in verified.ops}
            keys = tuple((b.member_id, b.public_key) for b in verified.manifest.keys)
        return ops, keys, lines

    # -- the model of an import ---------------------------------------------------------------

    def _decisions(self, ops: Iterable[str]) -> dict[Key, bool]:
        """The lead's decisions on keys among ``ops`` (the lead never decides one twice)."""
        return dict(d for op_id in ops if (d := self.made[op_id].decision) is not None)

    def _verdict(self, op_id: str, member: str, key: str | None, keys: dict[Key, str]) -> str:
        """What an import does with one op, given the keys the laptop knows."""
        if key is None:
            return REFUSE  # no seal covers it as it is: forged, or changed on its way
        state = keys.get((member, key))
        if state is None or state == REJECTED:
            return REFUSE
        if state == HELD:
            return HOLD  # a second device for the member: until the lead decides
        made = self.made[op_id]
        if member not in self.team or (made.op.entity in LEAD_ONLY and member != LEAD):
            return REFUSE
        if made.beyond:
            return HOLD
        return APPLY

    def _settle(self, ops: set[str], held: dict[str, Key], keys: dict[Key, str]) -> set[str]:
        """The lead's decisions the laptop now holds change the keys it had not pinned; the
        ops it held back are judged again: released (applied), dropped or still held."""
        decided = self._decisions(ops)
        for device, state in keys.items():
            if state != PINNED and device in decided:
                keys[device] = ACCEPTED if decided[device] else REJECTED
        released: set[str] = set()
        for op_id, (member, key) in list(held.items()):
            verdict = self._verdict(op_id, member, key, keys)
            if verdict == APPLY:
                ops.add(op_id)
                released.add(op_id)
            if verdict != HOLD:
                del held[op_id]
        return released

    def _expect(self, lap: Laptop, bundle: BundleFile) -> Expected:
        keys = dict(lap.keys)
        decided = self._decisions(lap.ops)
        flagged: list[Key] = []
        for device in bundle.keys:
            if device in keys:
                continue
            if not any(member == device[0] for member, _ in keys):
                state = PINNED  # the first key seen for a member
            elif device in decided:
                state = ACCEPTED if decided[device] else REJECTED
            else:
                state = HELD
            keys[device] = state
            if state in (HELD, REJECTED):
                flagged.append(device)
        keys_before_ops = dict(keys)
        ops, held = set(lap.ops), dict(lap.held)
        new: set[str] = set()
        known: set[str] = set()
        refused: set[str] = set()
        holding: set[str] = set()
        for op_id, (member, key) in bundle.ops.items():
            verdict = self._verdict(op_id, member, key, keys)
            if verdict == APPLY:
                (known if op_id in ops else new).add(op_id)
            elif verdict == HOLD:
                # Not listed when already in the log (a laptop's own op from 2090, in its own
                # bundle): test_a_laptop_does_not_hold_back_its_own_op_from_its_own_bundle.
                if op_id not in ops:
                    holding.add(op_id)
                    assert key is not None
                    held.setdefault(op_id, (member, key))
            else:
                refused.add(op_id)
        ops |= new
        released = self._settle(ops, held, keys)
        # The receipt: what the bundle's own decisions released is new, not held; a key they
        # decided on is no longer flagged.
        flagged_at = {device: keys_before_ops[device] for device in flagged}
        outcome = Outcome(
            len(new) + len(holding & released),
            len(known),
            frozenset(refused),
            frozenset(holding - released),
            len(released - holding),
            tuple(d for d in flagged if keys[d] == flagged_at[d]),
        )
        return Expected(outcome, ops, held, keys)

    # -- imports ------------------------------------------------------------------------------

    def _import(
        self, lap: Laptop, bundle: BundleFile, *, app: bool = False, again: bool = False
    ) -> Outcome:
        """Import ``bundle`` into ``lap`` (headless, or with the app's own import) and check the
        result against the model; then, with ``again``, import the same file again: nothing
        changes."""
        expected = self._expect(lap, bundle)
        got = (self._import_with_app if app else self._import_file)(lap, bundle)
        assert got == expected.outcome, f"{lap.name} <- {bundle.path.name}"
        assert set(bundle.ops) & self.forged <= got.held | got.refused, "a forged op got in"
        lap.ops, lap.held, lap.keys = expected.ops, expected.held, expected.keys
        lap.blobs |= bundle.blobs
        self._check_laptop(lap)
        note_event("import brought new ops" if got.new else "import brought nothing new")
        if got.held:
            note_event("import held ops back")
        if got.released:
            note_event("import released held ops")
        if not again:
            return got
        ws = lap.ws
        state, count, seq = ws.canonical_state(), ws.op_count(), ws.last_seq()
        expected = self._expect(lap, bundle)
        assert expected.outcome.new == expected.outcome.released == 0
        assert expected.outcome.flagged == ()
        repeat = (self._import_with_app if app else self._import_file)(lap, bundle)
        assert repeat == expected.outcome, f"{lap.name} <- {bundle.path.name} again"
        assert (ws.canonical_state(), ws.op_count(), ws.last_seq()) == (state, count, seq), (
            "importing a bundle twice changed the workspace"
        )
        self._check_laptop(lap)
        return got

    def _import_file(self, lap: Laptop, bundle: BundleFile) -> Outcome:
        """``read_bundle`` and ``import_bundle`` with the team's rules."""
        lap.staging.mkdir(parents=True, exist_ok=True)
        verified = read_bundle(
            bundle.path,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=lap.staging,
        )
        with verified:
            assert {op.op_id for op in verified.ops} == set(bundle.ops)
            assert set(verified.blob_paths) == set(bundle.blobs)
            assert verified.manifest.op_count == len(bundle.ops)
            result = import_bundle(lap.ws, verified, accept=self.accept)
        return Outcome(
            result.new,
            result.known,
            frozenset(op.op_id for op, _why in result.refused),
            frozenset(op.op_id for op, _why in result.held),
            result.released,
            tuple((flag.member_id, flag.public_key) for flag in result.flagged),
        )

    def _import_with_app(self, lap: Laptop, bundle: BundleFile) -> Outcome:
        (outcome,) = self._app_imports(lap, [bundle])
        return outcome

    def _app_imports(self, lap: Laptop, files: list[BundleFile]) -> list[Outcome]:
        """The app's own import (the menu's and the CLI's) of ``files`` in one go: it opens the
        workspace file itself, beside the laptop's open workspace, and keeps a receipt of each
        file in the import history."""
        earlier = self.app_imports.setdefault(lap.name, [])
        notes = []
        for bundle in files:
            if bundle.source == lap.name:
                notes.append(app_bundles.NOTE_OWN)
            elif bundle in earlier:
                notes.append(app_bundles.NOTE_ALREADY)
            elif any(b.source == bundle.source and b.number > bundle.number for b in earlier):
                notes.append(app_bundles.NOTE_OLDER)
            else:
                notes.append("")
            earlier.append(bundle)
        paths = [bundle.path for bundle in files]
        receipts = app_bundles.import_visit_bundles(lap.paths, self.visit_id, paths)
        assert len(receipts) == len(files)
        outcomes = []
        for receipt, bundle, said in zip(receipts, files, notes, strict=True):
            assert receipt.refused_file == "", receipt
            assert receipt.member_id == bundle.member_id
            note = said
            if said == app_bundles.NOTE_OWN and (receipt.held or receipt.flagged):
                note = ""  # "nothing new" is not all there is to say
            if receipt.new == receipt.released == 0:
                assert receipt.note == note, (receipt.note, note)
            assert all(entry["reason"] for entry in (*receipt.held, *receipt.refused))
            assert receipt.held_count == len(receipt.held)  # a few: all listed
            outcomes.append(
                Outcome(
                    receipt.new,
                    receipt.known,
                    frozenset(entry["op_id"] for entry in receipt.refused),
                    frozenset(entry["op_id"] for entry in receipt.held),
                    receipt.released,
                    tuple((entry["member_id"], entry["public_key"]) for entry in receipt.flagged),
                )
            )
        history = app_bundles.import_history(lap.paths, self.visit_id)
        assert len(history) == len(earlier)
        assert history[-len(receipts) :] == [receipt.to_dict() for receipt in receipts]
        return outcomes

    def _import_all(self, lap: Laptop, files: list[BundleFile], *, app: bool) -> None:
        """Import ``files`` in turn: one by one headless, or all at once with the app (the
        model then follows them in the same order)."""
        if not app:
            for bundle in files:
                self._import(lap, bundle)
            return
        expected = []
        for bundle in files:
            model = self._expect(lap, bundle)
            expected.append(model.outcome)
            lap.ops, lap.held, lap.keys = model.ops, model.held, model.keys
            lap.blobs |= bundle.blobs
        assert self._app_imports(lap, files) == expected, f"{lap.name} <- {len(files)} files"
        self._check_laptop(lap)

    def _forger_imports(self, bundle: BundleFile) -> None:
        """The forger takes an honest bundle (to relay its ops): nothing to check there."""
        self.forger.staging.mkdir(parents=True, exist_ok=True)
        with read_bundle(
            bundle.path,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=self.forger.staging,
        ) as verified:
            import_bundle(self.forger.ws, verified, accept=self.accept)

    def _spread(self, bundle: BundleFile, data: st.DataObject) -> list[Laptop]:
        """Some honest laptops import ``bundle``, each headless or with the app."""
        n = len(self.laptops)
        chosen = data.draw(
            st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True),
            label="importers",
        )
        for i in chosen:
            app = data.draw(st.booleans(), label="app")
            self._import(self.laptops[i], bundle, app=app, again=True)
        return [self.laptops[i] for i in chosen]

    # -- checks -------------------------------------------------------------------------------

    @staticmethod
    def _register(ws: Workspace) -> list[tuple[Any, ...]]:
        return [
            (d.ref, d.component, [(j.member_id, j.value, j.reason) for j in d.judgements])
            for d in disagreements(read_visit_data(ws))
        ]

    def _check_laptop(self, lap: Laptop) -> None:
        count = lap.ws.op_count()
        assert count >= lap.high_water, f"{lap.name} lost ops: {lap.high_water} -> {count}"
        lap.high_water = count
        assert self._op_ids(lap.ws) == lap.ops
        assert not lap.ops & self.forged, f"{lap.name} accepted a forged op"
        with lap.ws.transaction() as conn:
            held = {h.op.op_id for h in key_tables.held_ops(conn)}
            keys = pins.key_states(conn)
        assert held == set(lap.held), f"{lap.name} holds back other ops than it should"
        assert keys == lap.keys, f"{lap.name} trusts other keys than it should"
        clock = lap.ws._get_meta("hlc")  # what its next edit starts from
        assert clock is None or not beyond_bounds(str(clock)), f"{lap.name}'s clock moved"
        missing = [sha for sha in lap.blobs if not lap.ws.blobs.has(sha)]
        assert not missing, f"{lap.name} lacks photos {missing}"

    def _everyone_syncs(self, order: list[list[int]] | None, app: int = -1) -> None:
        """Every honest laptop exports; each imports everyone's latest in ``order[i]``
        (default: the reverse of the laptops' order), laptop ``app`` with the app's import;
        then they are all the same."""
        latest = [self._export(lap) for lap in self.laptops]
        for i, lap in enumerate(self.laptops):
            sequence = order[i] if order is not None else list(reversed(range(len(latest))))
            self._import_all(lap, [latest[j] for j in sequence], app=i == app)
        self._check_converged()

    def _check_converged(self) -> None:
        honest = {op_id for op_id, made in self.made.items() if made.honest}
        beyond = {op_id for op_id in honest if self.made[op_id].beyond}
        first = self.laptops[0]
        for lap in self.laptops:
            assert honest - beyond <= lap.ops, f"{lap.name} lacks honest ops"
            assert lap.ops - beyond == first.ops - beyond, f"{lap.name} differs from {first.name}"
            for op_id in beyond:  # in its writer's log, held back by everyone else
                mine = self.made[op_id].author == (lap.member_id, lap.key)
                assert op_id in (lap.ops if mine else lap.held), f"{lap.name} lost {op_id}"
            for op in lap.ws.ops():
                made = self.made[op.op_id]
                assert op.to_json_line() == made.op.to_json_line(), "a changed op got in"
            missing = [sha for sha in self.all_blobs if not lap.ws.blobs.has(sha)]
            assert not missing, f"{lap.name} lacks photos {missing}"
        states = [self._state(lap) for lap in self.laptops]
        for lap, state in zip(self.laptops, states, strict=True):
            assert state == states[0], f"{lap.name} differs from {first.name}"
        note_event("ops held back at a sync" if first.held else "nothing held at a sync")

    def _state(self, lap: Laptop) -> Any:
        """``canonical_state()``, but for the records written while a clock said 2090: only
        their writer holds them (everyone else holds them back until then)."""
        if not self.frozen:
            return lap.ws.canonical_state()
        state = json.loads(lap.ws.canonical_state())
        return {
            part: [row for row in rows if (row[0], row[1]) not in self.frozen]
            for part, rows in state.items()
        }

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def nothing_is_lost(self) -> None:
        for lap in self.laptops:
            self._check_laptop(lap)
        self.finished = self.started

    # -- edits --------------------------------------------------------------------------------

    @rule(
        data=st.data(),
        ref=st.sampled_from(REFS[:2]),
        component=st.sampled_from(COMPONENTS),
        judgements=st.lists(
            st.tuples(
                st.sampled_from(JUDGEMENTS), TEXT, st.sampled_from(["value", "reason", "both"])
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def reviewers_judge(
        self,
        data: st.DataObject,
        ref: str,
        component: str,
        judgements: list[tuple[str, str, str]],
    ) -> None:
        """One to three reviewers each set their own judgement of one standard for one
        component (value, reason or both): often different values, so a disagreement."""
        self.started += 1
        reviewers = data.draw(st.permutations(range(len(self.laptops))), label="reviewers")
        for i, (value, reason, which) in zip(reviewers, judgements, strict=False):
            changes: dict[str, Any] = {}
            if which in ("value", "both"):
                changes["value"] = value
            if which in ("reason", "both"):
                changes["reason"] = reason
            lap = self.laptops[i]
            self._record(lap, vm.JUDGEMENT, judgement_id(ref, component, lap.member_id), changes)

    @rule(
        ref=st.sampled_from(REFS),
        component=st.sampled_from(COMPONENTS),
        value=st.sampled_from(JUDGEMENTS),
        rationale=TEXT,
    )
    def lead_sets_team_judgement(
        self, ref: str, component: str, value: str, rationale: str
    ) -> None:
        self.started += 1
        tid = team_judgement_id(ref, component)
        self._record(self._lead(), TEAM_JUDGEMENT, tid, {"value": value, "rationale": rationale})

    @rule(
        data=st.data(),
        text=TEXT,
        category=st.sampled_from(CATEGORIES),
        component=st.sampled_from(["", *COMPONENTS]),
        refs=st.lists(st.sampled_from(REFS), max_size=2, unique=True),
    )
    def lead_writes_a_finding(
        self,
        data: st.DataObject,
        text: str,
        category: str,
        component: str,
        refs: list[str],
    ) -> None:
        """The lead adds a finding, or rewords or moves one already written (findings are the
        lead's, like team judgements)."""
        self.started += 1
        lead = self._lead()
        written = self._live(lead, vm.FINDING)
        edit = data.draw(st.booleans(), label="edit one") if written else False
        if edit:
            finding = data.draw(st.sampled_from(written), label="finding")
            order = data.draw(st.floats(0, 100, allow_nan=False), label="order")
            self._record(lead, vm.FINDING, finding, {"text": text, "order": order})
            return
        fields = {
            "text": text,
            "category": category,
            "component": component,
            "order": float(len(written)),
            "refs": refs,
            "author": LEAD,
        }
        self._record(lead, vm.FINDING, self._new_id("finding"), fields)

    @rule(data=st.data(), ref=st.sampled_from(REFS), text=TEXT)
    def add_note(self, data: st.DataObject, ref: str, text: str) -> None:
        self.started += 1
        lap = self._pick(data)
        fields = {"ref": ref, "text": text, "author": lap.member_id}
        self._record(lap, NOTE, self._new_id("note"), fields)

    @rule(
        data=st.data(),
        text=TEXT,
        category=st.sampled_from(CATEGORIES),
        refs=st.lists(st.sampled_from(REFS), max_size=2, unique=True),
    )
    def add_observation(
        self, data: st.DataObject, text: str, category: str, refs: list[str]
    ) -> None:
        self.started += 1
        lap = self._pick(data)
        fields = {
            "text": text,
            "category": category,
            "refs": refs,
            "session_id": "",
            "author": lap.member_id,
        }
        self._record(lap, OBSERVATION, self._new_id("observation"), fields)

    @rule(data=st.data(), content=PHOTO_BYTES, ref=st.sampled_from(REFS), caption=TEXT)
    def add_photo(self, data: st.DataObject, content: bytes, ref: str, caption: str) -> None:
        self.started += 1
        lap = self._pick(data)
        sha = lap.ws.blobs.put_bytes(content)
        lap.blobs.add(sha)
        self.all_blobs.add(sha)
        fields = {
            "sha256": sha,
            "ref": ref,
            "caption": caption,
            "observation_id": "",
            "author": lap.member_id,
        }
        self._record(lap, PHOTO, self._new_id("photo"), fields)

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)), text=TEXT)
    def edit_a_record(self, data: st.DataObject, entity: str, text: str) -> None:
        self.started += 1
        lap = self._pick(data)
        live = self._live(lap, entity)
        if live:
            entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
            self._record(lap, entity, entity_id, {EDITABLE[entity]: text})

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)), texts=st.tuples(TEXT, TEXT))
    def two_laptops_edit_the_same_field(
        self, data: st.DataObject, entity: str, texts: tuple[str, str]
    ) -> None:
        """Two laptops that both hold a record edit the same field, neither seeing the other.

        The record is one the first laptop holds (a new note if it holds none of that kind);
        the second gets it by a bundle first if it has not seen it."""
        self.started += 1
        i = data.draw(st.integers(0, len(self.laptops) - 1), label="first laptop")
        others = [k for k in range(len(self.laptops)) if k != i]
        first = self.laptops[i]
        second = self.laptops[data.draw(st.sampled_from(others), label="second laptop")]
        live = self._live(first, entity)
        if not live:
            entity = NOTE
            fields = {"ref": REFS[0], "text": "", "author": first.member_id}
            self._record(first, NOTE, self._new_id("note"), fields)
            live = self._live(first, entity)
        entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
        if entity_id not in self._live(second, entity):
            self._import(second, self._export(first))
        if entity_id not in self._live(second, entity):  # deleted there, or held back
            return
        name = EDITABLE[entity]
        self._record(first, entity, entity_id, {name: texts[0]})
        self._record(second, entity, entity_id, {name: texts[1]})
        note_event("concurrent edit")

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)))
    def delete_a_record(self, data: st.DataObject, entity: str) -> None:
        self.started += 1
        lap = self._pick(data)
        live = self._live(lap, entity)
        if live:
            entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
            self._took(lap, [lap.ws.delete(lap.member_id, entity, entity_id)])

    @rule(data=st.data(), text=TEXT, keep=st.booleans())
    def resolve_a_conflict(self, data: st.DataObject, text: str, keep: bool) -> None:
        """Someone who sees a conflict keeps the winner, or writes a new value."""
        self.started += 1
        seeing = [lap for lap in self.laptops if lap.ws.conflicts()]
        if seeing:
            lap = seeing[data.draw(st.integers(0, len(seeing) - 1), label="laptop")]
            # Sorted by what replays the same (op ids are random), not by the losing op's id.
            conflicts = sorted(
                lap.ws.conflicts(),
                key=lambda c: (c.entity, c.entity_id, c.field, c.loser.hlc, c.loser.device_id),
            )
            conflict = data.draw(st.sampled_from(conflicts), label="conflict")
            value = KEEP_WINNER if keep else text
            self._took(lap, lap.ws.resolve_conflict(lap.member_id, conflict.loser.op_id, value))
            note_event("resolved a conflict")

    @rule(data=st.data(), ref=st.sampled_from(REFS), text=TEXT)
    def a_laptop_clock_jumps(self, data: st.DataObject, ref: str, text: str) -> None:
        """An honest laptop's clock jumps to 2090: the reviewer adds a note; then the clock is
        put right and the app restarted (a new clock: the 2090 it kept is more than a day
        ahead, so it is ignored). Every other laptop holds the note back; the laptop's next
        edit is dated right."""
        self.started += 1
        lap = self._pick(data)
        lap.ws._clock = HybridClock(lap.ws._clock.last, now_ms=lambda: JUMPED_TO_MS)
        note_id = self._new_id("note")
        fields = {"ref": ref, "text": text, "author": lap.member_id}
        self._record(lap, NOTE, note_id, fields, beyond=True)
        self.frozen.add((NOTE, note_id))
        lap.ws._clock = HybridClock(lap.ws._clock.last, now_ms=self.world.laptop_clock(lap.skew))
        assert lap.ws._clock.last is None, "a clock put right still says 2090"
        fields = {"ref": ref, "text": text, "author": lap.member_id}
        self._record(lap, NOTE, self._new_id("note"), fields)
        note_event("a clock jumped to 2090")

    # -- a member changes laptop; the lead decides on devices ---------------------------------

    def _lead_decides(self, member: str, key: str, accept: bool) -> None:
        """The lead accepts or refuses ``member``'s device ``key`` as the app does
        (``reviewer_app.team.devices.decide``): the decision is recorded and applied at once. To
        accept a device is also to accept, in decisions that travel, the member's devices the
        lead trusts and has not yet decided on (the member's new laptop pinned only itself)."""
        lead = self._lead()
        decided = self._decisions(lead.ops)
        expected = {((member, key), accept)}
        if accept:
            expected |= {
                (device, True)
                for device, state in lead.keys.items()
                if device[0] == member and state in TRUSTED and device not in decided
            }
        seq = lead.ws.last_seq()
        released = devices.decide(lead.ws, LEAD, member, key, accept)
        recorded = [op for op in lead.ws.ops(since_seq=seq) if op.device_id == lead.ws.device_id]
        self._took(lead, recorded)
        assert {self.made[op.op_id].decision for op in recorded} == expected
        assert released == len(self._settle(lead.ops, lead.held, lead.keys))
        self._check_laptop(lead)

    @precondition(lambda self: self.changes < MAX_LAPTOP_CHANGES)
    @rule(data=st.data(), ref=st.sampled_from(REFS), text=TEXT, skew=SKEWS_MS)
    def a_member_changes_laptop(self, data: st.DataObject, ref: str, text: str, skew: int) -> None:
        """A reviewer opens the kit on a new laptop: a new device key, pinned there at once.
        Before anything else it takes the lead's bundle (the team meeting again: the real keys
        must reach it before any forger's claim does). The reviewer works, and hands the lead a
        bundle: the lead sees a second device for the member, held back, and confirms it, which
        confirms the member's earlier devices too (the new laptop, having pinned its own key
        first, holds the member's earlier work back until then). The member's work from both
        laptops then reaches everyone with the lead's bundle."""
        self.started += 1
        members = sorted({lap.member_id for lap in self.laptops} - {LEAD})
        member = data.draw(st.sampled_from(members), label="member")
        self.changes += 1
        new = self._open_laptop(f"laptop{len(self.laptops)}", member, skew)
        self.laptops.append(new)
        lead = self._lead()
        self._import(new, self._export(lead), app=data.draw(st.booleans(), label="app"))
        self._record(new, NOTE, self._new_id("note"), {"ref": ref, "text": text, "author": member})
        got = self._import(lead, self._export(new), app=data.draw(st.booleans(), label="app"))
        assert (member, new.key) in got.flagged, "the lead was not told of the new device"
        self._lead_decides(member, new.key, accept=True)
        note_event("a member changed laptop")
        if not data.draw(st.booleans(), label="the lead's bundle travels now"):
            return
        travels = self._export(lead)
        for lap in self.laptops:
            if lap is not lead:
                self._import(lap, travels, app=data.draw(st.booleans(), label="app"))
        theirs = {  # the member's work, from both laptops, as the lead holds it
            op_id
            for op_id in lead.ops
            if self.made[op_id].honest and self.made[op_id].op.member_id == member
        }
        assert set(new.ops) & theirs, "the new laptop's work did not reach the lead"
        for lap in self.laptops:
            assert theirs <= lap.ops, f"{lap.name} lacks {member}'s work from both laptops"

    @precondition(lambda self: HELD in self._lead().keys.values())
    @rule(data=st.data())
    def lead_refuses_a_device(self, data: st.DataObject) -> None:
        """The lead refuses a device that said it was a member (the forger's claims): what it
        signed is dropped wherever the decision arrives."""
        self.started += 1
        lead = self._lead()
        held = sorted(key for key, state in lead.keys.items() if state == HELD)
        honest = {(lap.member_id, lap.key) for lap in self.laptops}
        assert not set(held) & honest, "the lead holds back an honest device"
        member, key = data.draw(st.sampled_from(held), label="device")
        self._lead_decides(member, key, accept=False)
        note_event("the lead refused a device")

    # -- the forger ---------------------------------------------------------------------------

    def _forger_records(
        self, member: str, entity: str, entity_id: str, changes: dict[str, Any]
    ) -> list[Op]:
        ops = self.forger.ws.record(member, entity, entity_id, changes)
        for op in ops:
            self.made[op.op_id] = Made(op, honest=False, beyond=beyond_bounds(op.hlc))
            if member != self.forger.member_id:
                self.forged.add(op.op_id)
        return ops

    def _forger_catches_up(self, data: st.DataObject) -> None:
        """The forger takes an honest laptop's latest bundle, to relay (or change) its ops."""
        self._forger_imports(self._export(self._pick(data, "forger's source")))

    def _fresh_key(self) -> Ed25519PrivateKey:
        self.fresh_keys += 1
        return fixed_key(f"fresh key {self.fresh_keys}")

    def _forger_target(self, data: st.DataObject) -> tuple[str, str] | None:
        """A note or observation the forger holds (maybe one honest laptops hold too)."""
        live = [(e, r) for e in (NOTE, OBSERVATION) for r in sorted(self.forger.ws.entities(e))]
        if not live:
            return None
        return data.draw(st.sampled_from(live), label="record")

    @rule(
        data=st.data(),
        what=st.sampled_from(
            ["judgement", "note", "edit", "team judgement", "finding", "decision"]
        ),
        fresh=st.booleans(),
        value=st.sampled_from(JUDGEMENTS),
        text=TEXT,
    )
    def forger_writes_as_someone_else(
        self, data: st.DataObject, what: str, fresh: bool, value: str, text: str
    ) -> None:
        """The forger records ops naming an honest member (the lead, for what only the lead
        writes: even a decision accepting the forger's own device for someone) and exports
        them sealed with its own key, or with a fresh key it binds to the victim: a second
        device for a member every honest laptop has pinned. Held back, never accepted."""
        self.started += 1
        members = sorted({lap.member_id for lap in self.laptops})
        lead_only = what in ("team judgement", "finding", "decision")
        victim = LEAD if lead_only else data.draw(st.sampled_from(members), label="victim")
        key = self._fresh_key() if fresh else self.forger.device_key
        ref = data.draw(st.sampled_from(REFS), label="ref")
        target = self._forger_target(data) if what == "edit" else None
        if what == "judgement":
            jid = judgement_id(ref, COMPONENTS[0], victim)
            self._forger_records(victim, vm.JUDGEMENT, jid, {"value": value, "reason": text})
        elif what == "team judgement":
            tid = team_judgement_id(ref, COMPONENTS[0])
            self._forger_records(victim, TEAM_JUDGEMENT, tid, {"value": value, "rationale": text})
        elif what == "finding":
            fields = {"text": text, "category": CATEGORIES[0], "refs": [ref], "author": victim}
            self._forger_records(victim, vm.FINDING, self._new_id("finding"), fields)
        elif what == "decision":
            claimed = data.draw(st.sampled_from(members), label="for member")
            entity, entity_id, changes = pins.decide_key(claimed, public_hex(key), True)
            self._forger_records(victim, entity, entity_id, changes)
            self._forger_records(
                claimed, NOTE, self._new_id("note"), {"ref": ref, "text": text, "author": claimed}
            )
        elif target is not None:
            self._forger_records(victim, target[0], target[1], {"text": text})
        else:
            fields = {"ref": ref, "text": text, "author": victim}
            self._forger_records(victim, NOTE, self._new_id("note"), fields)
        self._spread(self._export(self.forger, key), data)
        note_event(f"forged: {what}")

    @rule(
        data=st.data(),
        what=st.sampled_from(["judgement", "note", "team judgement", "decision"]),
        value=st.sampled_from(JUDGEMENTS),
        text=TEXT,
    )
    def forger_works_as_itself(self, data: st.DataObject, what: str, value: str, text: str) -> None:
        """The forger's own work, under its own pinned key: accepted, and relayed by honest
        laptops, except what only the lead writes (refused by the team's rules)."""
        self.started += 1
        me = self.forger.member_id
        ref = data.draw(st.sampled_from(REFS), label="ref")
        if what == "judgement":
            jid = judgement_id(ref, COMPONENTS[1], me)
            self._forger_records(me, vm.JUDGEMENT, jid, {"value": value})
        elif what == "team judgement":
            tid = team_judgement_id(ref, COMPONENTS[1])
            self._forger_records(me, TEAM_JUDGEMENT, tid, {"value": value, "rationale": text})
        elif what == "decision":
            entity, entity_id, changes = pins.decide_key(LEAD, self.forger.key, True)
            self._forger_records(me, entity, entity_id, changes)
        else:
            fields = {"ref": ref, "text": text, "author": me}
            self._forger_records(me, NOTE, self._new_id("note"), fields)
        self._spread(self._export(self.forger), data)
        note_event(f"the forger's own: {what}")

    @rule(
        data=st.data(),
        when=st.sampled_from(sorted(HOSTILE_TIMES)),
        as_victim=st.booleans(),
        text=TEXT,
    )
    def forger_writes_with_a_hostile_clock(
        self, data: st.DataObject, when: str, as_victim: bool, text: str
    ) -> None:
        """The forger (as itself, or as an honest member) writes with its clock in 2090, past
        2100 or before 2000, often on a record honest laptops hold. Every honest laptop holds
        the op back, its clock does not move, and its reviewer's next edit of that record is
        dated right and shown."""
        self.started += 1
        members = sorted({lap.member_id for lap in self.laptops})
        member = (
            data.draw(st.sampled_from(members), label="victim")
            if as_victim
            else self.forger.member_id
        )
        if data.draw(st.booleans(), label="catches up first"):
            self._forger_catches_up(data)
        ws = self.forger.ws
        ws._clock = HybridClock(None, now_ms=lambda: HOSTILE_TIMES[when])
        target = self._forger_target(data)
        if target is None:
            target = (NOTE, self._new_id("note"))
            changes = {"ref": REFS[0], "text": text, "author": member}
        else:
            changes = {"text": text}
        ops = self._forger_records(member, target[0], target[1], changes)
        assert all(parse_hlc(op.hlc)[0] == HOSTILE_TIMES[when] for op in ops)
        ws._clock = HybridClock(None, now_ms=self.world.laptop_clock(0))
        note_event(f"a hostile clock: {when}")
        for lap in self._spread(self._export(self.forger), data):
            stored = lap.ws._get_meta("hlc")
            assert stored is None or not beyond_bounds(str(stored)), "a hostile clock moved mine"
            if target[1] in self._live(lap, target[0]):  # dated right, and shown (_took)
                self._record(lap, target[0], target[1], {"text": f"{text} (mine)"})
                note_event("an edit after a hostile clock")

    @rule(data=st.data(), how=st.sampled_from(["value", "member"]))
    def forger_changes_an_honest_op(self, data: st.DataObject, how: str) -> None:
        """The forger changes an honest op it holds (its value, or the member it names) and
        relays it under its author's seal, which no longer covers it: refused."""
        self.started += 1
        self._forger_catches_up(data)
        ws = self.forger.ws
        honest = sorted(
            (op for op in ws.ops() if self.made[op.op_id].honest and op.op_id not in self.tampered),
            key=lambda op: (op.hlc, op.device_id),
        )
        if not honest:
            return
        op = data.draw(st.sampled_from(honest), label="op")
        with ws.transaction() as conn:
            if how == "value":
                conn.execute(
                    "UPDATE ops SET value = ? WHERE op_id = ?", (dump_value("forged"), op.op_id)
                )
            else:
                conn.execute(
                    "UPDATE ops SET member_id = ? WHERE op_id = ?",
                    (self.forger.member_id, op.op_id),
                )
        self.tampered.add(op.op_id)
        self._spread(self._export(self.forger), data)
        note_event("an honest op changed on its way")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data())
    def forger_imports(self, data: st.DataObject) -> None:
        self.started += 1
        honest = [b for b in self.files if b.source != self.forger.name]
        self._forger_imports(data.draw(st.sampled_from(honest), label="bundle"))

    # -- exchanges ----------------------------------------------------------------------------

    @rule(data=st.data())
    def export(self, data: st.DataObject) -> None:
        self.started += 1
        self._export(self._pick(data))

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), app=st.booleans())
    def import_a_bundle(self, data: st.DataObject, app: bool) -> None:
        """Any file ever exported (the forger's too), into any laptop: old ones late, known ones
        again, its own; headless or with the app's import; and then maybe an edit."""
        self.started += 1
        bundle = data.draw(st.sampled_from(self.files), label="bundle")
        lap = self._pick(data, "importer")
        self._import(lap, bundle, app=app, again=True)
        self._then_edit(lap, data)

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), app=st.booleans())
    def import_an_older_bundle_after_a_newer(self, data: st.DataObject, app: bool) -> None:
        self.started += 1
        sources = sorted({b.source for b in self.files})
        source = data.draw(st.sampled_from(sources), label="from")
        theirs = [b for b in self.files if b.source == source]
        newest, oldest = theirs[-1], theirs[0]
        assert set(oldest.ops) <= set(newest.ops), "a later bundle lacks ops of an earlier one"
        lap = self._pick(data, "importer")
        self._import(lap, newest, app=app, again=True)
        self._import(lap, oldest, app=app, again=True)
        self._then_edit(lap, data)

    @rule(data=st.data())
    def everyone_syncs(self, data: st.DataObject) -> None:
        """Everyone honest exports, then everyone imports everyone's latest, each in its own
        order, maybe one laptop with the app's import (choosing all the files at once)."""
        self.started += 1
        n = len(self.laptops)
        order = [data.draw(st.permutations(range(n)), label=f"order {i}") for i in range(n)]
        self._everyone_syncs(order, data.draw(st.integers(-1, n - 1), label="app imports"))


def home_paths(home: Path) -> AppPaths:
    return AppPaths(
        data=home / "data", config=home / "config", cache=home / "cache", logs=home / "logs"
    )


def open_as(kit: Path, member: str, label: str, home: Path, templates: Path | None) -> None:
    """Open ``kit`` as ``member`` in the app folder ``home``, with the device id and device
    key ``label`` names: the same on every run, so that a run replays the same (ties between
    equal clocks break by device id; key bindings travel ordered by key). With ``templates``,
    the folder is a copy of one opened so before (opening the kit costs 40 times more)."""
    if templates is not None:
        template = templates / hashlib.sha256(f"{kit}\n{member}\n{label}".encode()).hexdigest()
        if not template.exists():
            open_as(kit, member, label, template, None)
        shutil.copytree(template, home)
        return
    paths = home_paths(home)
    paths.device_id_file.parent.mkdir(parents=True, exist_ok=True)
    device = uuid.UUID(bytes=hashlib.sha256(label.encode()).digest()[:16])
    paths.device_id_file.write_text(f"{device}\n", encoding="ascii")
    device_key_file(paths).write_bytes(pem(fixed_key(label)))
    assert open_kit(kit, member, paths=paths, demo=True).visit_id == DEMO_VISIT


def fixed_key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# Eight runs of 20 steps, each with its meeting and final exchange: about 25 s of one core.
SETTINGS = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_laptops_converge_whatever_bundles_they_exchange(
    demo_kit_file: Path, tmp_path: Path
) -> None:
    parts = {"kit": demo_kit_file, "templates": tmp_path}
    machine = type("BundleExchangeWithKit", (BundleExchange,), parts)
    run_state_machine_as_test(machine, settings=SETTINGS)


class _Fixed:
    """A stand-in for ``st.data()`` that returns fixed values, in order."""

    def __init__(self, values: list[Any]) -> None:
        self.values = list(values)

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self.values.pop(0)


def _fixed_machine(kit: Path, count: int, skews: list[int]) -> BundleExchange:
    """The machine with ``count`` honest laptops, the lead first, then m-cns, m-paed..."""
    machine: type[BundleExchange] = type("BundleExchangeWithKit", (BundleExchange,), {"kit": kit})
    m = machine()
    m.open_laptops(count, _Fixed([list(REVIEWERS), 0, *skews]))
    return m


def _close(m: BundleExchange) -> None:
    m.started += 1  # no final exchange: only close
    m.teardown()


def test_an_edit_after_the_apps_import_wins_over_what_it_imported(demo_kit_file: Path) -> None:
    """What the machine found, as one fixed case: the app's import (menu or CLI) opens the
    workspace itself while the visit is open; the open workspace's clock must still move past the
    ops that import brought, or the reviewer's next edit of a field they just received loses to it
    (and is listed as a conflict against their own correction)."""
    m = _fixed_machine(demo_kit_file, 3, [0, 90_000, 0])
    try:
        _lead, fast, slow = m.laptops
        m._record(fast, NOTE, "note-1", {"ref": REFS[0], "text": "from a laptop 90 s fast"})
        m._import(slow, m._export(fast), app=True)  # the slow laptop's workspace stays open
        m._record(slow, NOTE, "note-1", {"text": "my correction"})  # must win on my laptop
    finally:
        _close(m)


def test_a_reviewer_who_changed_laptop_gets_their_earlier_work(demo_kit_file: Path) -> None:
    """m-cns writes a note on their first laptop, then changes laptop. The new laptop takes the
    lead's bundle (pinning its own key first, it holds the old laptop's note back), its bundle
    reaches the lead, the lead accepts the new device, and the lead's bundle travels: the new
    laptop then holds the note from the old one, and m-paed both notes, held back nowhere."""
    m = _fixed_machine(demo_kit_file, 3, [0, 0, 0])
    try:
        lead, cns, paed = m.laptops
        m._record(cns, NOTE, "note-1", {"ref": REFS[0], "text": "on my first laptop"})
        m._import(lead, m._export(cns))
        new = m._open_laptop("cns-new", "m-cns", 0)
        m.laptops.append(new)
        assert m._import(new, m._export(lead)).held, "the old laptop's note is not held back"
        m._record(new, NOTE, "note-2", {"ref": REFS[0], "text": "on my new laptop"})
        m._import(lead, m._export(new))
        m._lead_decides("m-cns", new.key, accept=True)
        bundle = m._export(lead)
        m._import(new, bundle, app=True)
        got = m._import(paed, bundle, app=True)
        assert not got.held and not got.flagged, got
        for lap in (new, paed):
            assert lap.ws.entity(NOTE, "note-1") is not None, f"{lap.name} lacks the old note"
            assert lap.ws.entity(NOTE, "note-2") is not None, f"{lap.name} lacks the new note"
            assert not lap.held
    finally:
        _close(m)


@pytest.mark.xfail(
    strict=True,
    reason="bug: storage/workspace.py Workspace._new_op observes the field's winner through "
    "HybridClock.observe, which ignores a value more than a day ahead (storage/hlc.py): a field "
    "whose winner is dated beyond that (written while this laptop's clock was wrong, or let in "
    "by an older app) can no longer be changed here: the edit is recorded, and loses",
)
def test_an_edit_after_the_clock_is_put_right_is_shown(demo_kit_file: Path) -> None:
    """A reviewer writes a note while their laptop's clock says 2090, puts the clock right and
    restarts the app, then corrects the note: their laptop must show the correction (DESIGN.md:
    nothing can stop local editing)."""
    m = _fixed_machine(demo_kit_file, 3, [0, 0, 0])
    try:
        lap = m.laptops[1]
        lap.ws._clock = HybridClock(lap.ws._clock.last, now_ms=lambda: JUMPED_TO_MS)
        m._record(lap, NOTE, "note-1", {"ref": REFS[0], "text": "in 2090"}, beyond=True)
        lap.ws._clock = HybridClock(lap.ws._clock.last, now_ms=m.world.laptop_clock(0))
        m._record(lap, NOTE, "note-1", {"text": "corrected"})  # _took: it must show
    finally:
        _close(m)


def test_a_receipt_does_not_hold_back_what_the_same_bundle_confirms(
    demo_kit_file: Path,
) -> None:
    """m-cns changes laptop and the lead accepts the new device; m-paed, who has never seen it,
    imports the lead's bundle, which brings the device, its work and the lead's decision: the
    receipt counts that work as new, holds nothing back and flags no device."""
    m = _fixed_machine(demo_kit_file, 3, [0, 0, 0])
    try:
        lead, _cns, paed = m.laptops
        new = m._open_laptop("cns-new", "m-cns", 0)
        m.laptops.append(new)
        m._import(new, m._export(lead))
        m._record(new, NOTE, "note-1", {"ref": REFS[0], "text": "on my new laptop"})
        m._import(lead, m._export(new))
        m._lead_decides("m-cns", new.key, accept=True)
        bundle = m._export(lead)
        (receipt,) = app_bundles.import_visit_bundles(paed.paths, m.visit_id, [bundle.path])
        assert receipt.new == len(bundle.ops) and receipt.released == 0, receipt.summary()
        assert not receipt.held and not receipt.flagged, receipt.summary()
    finally:
        _close(m)


def test_a_laptop_does_not_hold_back_its_own_op_from_its_own_bundle(demo_kit_file: Path) -> None:
    """A laptop writes a note while its clock says 2090, then imports its own bundle: the note
    is in its visit, so the receipt must not list it as held back (and says "nothing new")."""
    m = _fixed_machine(demo_kit_file, 3, [0, 0, 0])
    try:
        lap = m.laptops[1]
        lap.ws._clock = HybridClock(lap.ws._clock.last, now_ms=lambda: JUMPED_TO_MS)
        m._record(lap, NOTE, "note-1", {"ref": REFS[0], "text": "in 2090"}, beyond=True)
        bundle = m._export(lap)
        (receipt,) = app_bundles.import_visit_bundles(lap.paths, m.visit_id, [bundle.path])
        assert not receipt.held and not receipt.held_count, receipt.summary()
        assert receipt.note == app_bundles.NOTE_OWN, receipt.summary()
    finally:
        _close(m)
