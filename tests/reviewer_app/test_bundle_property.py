"""Laptops that pass each other team bundles, in any order, end up with identical visits.

A Hypothesis state machine (issue 4, "Tests"). Three to six laptops each open the demo kit into
their own folder (their own ``REVIEWER_APP_HOME``, so their own device id), as different members
of the demo team, one of them the lead; some laptops' clocks run minutes ahead or behind. Then, in
random order:

- a reviewer sets their own judgement (value, reason, or both);
- the lead sets a team judgement (value, rationale);
- anyone adds or edits a note, adds or edits an observation, adds a photo (its bytes in the blob
  store, a photo op naming its SHA-256), deletes a note, observation or photo, or resolves a
  conflict;
- two laptops edit the same field of the same record without having seen each other's edit;
- a laptop exports a bundle to a file, and another imports a bundle file (``read_bundle`` then
  ``import_bundle``): any file ever exported, so bundles arrive late, twice and out of order;
- everyone exports and everyone imports everyone's, in a random order.

Checked as it goes: after every import (both the headless import with the team's rules and the
app's own ``import_visit_bundles``, its receipt and import history) the laptop holds exactly the
ops it held plus the bundle's, with their photos, and the counts agree; importing the same file
again changes nothing (same ops, same derived state, no new op); what a reviewer just wrote is what
their laptop shows (their edit wins over every op they had seen, whatever the clocks say); after
every step no laptop has lost an op. At the end (and at random "everyone syncs" steps) everyone
exports their latest bundle and imports everyone's: every laptop's ``canonical_state()`` is the
same bytes, so is the disagreement register, every laptop holds every op ever made, and every
photo is on every laptop.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

import reviewer_app.bundles as app_bundles
import reviewer_app.visit_model as vm
from reviewer_app.consensus import disagreements
from reviewer_app.device import device_id
from reviewer_app.paths import AppPaths
from reviewer_app.visit_data import read_visit_data
from reviewer_app.visit_model import (
    JUDGEMENTS,
    NOTE,
    OBSERVATION,
    PHOTO,
    TEAM_JUDGEMENT,
    judgement_id,
    team_judgement_id,
)
from reviewer_app.visits import open_kit, workspace_path
from storage import KEEP_WINNER, HybridClock, Op, Workspace
from sync import bundles
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


def note_event(name: str) -> None:
    """Hypothesis' ``event`` (statistics), which the fixed case below runs without."""
    with contextlib.suppress(InvalidArgument):
        event(name)


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
    ops: set[str] = field(default_factory=set)  # what this laptop must hold (the model)
    blobs: set[str] = field(default_factory=set)  # photo blobs it must hold
    high_water: int = 0  # the most ops it has ever held


@dataclass(frozen=True)
class BundleFile:
    path: Path
    source: int  # index of the laptop that exported it
    number: int  # the source's n-th export
    ops: frozenset[str]
    blobs: frozenset[str]


class BundleExchange(RuleBasedStateMachine):
    kit: Path  # set by the test function (the session's demo kit)

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="bundle-sm-"))
        self.laptops: list[Laptop] = []
        self.files: list[BundleFile] = []
        self.all_ops: set[str] = set()
        self.all_blobs: set[str] = set()
        self.exports: dict[int, int] = {}
        self.world = WorldClock()
        self.made = 0  # records created, for their ids
        self.app_imports: dict[int, list[BundleFile]] = {}  # imported with the app's own import
        # A step that raised leaves started > finished: teardown then only closes.
        self.started = 0
        self.finished = 0

    # -- set-up -------------------------------------------------------------------------------

    @initialize(
        count=st.integers(3, 6),
        data=st.data(),
    )
    def open_laptops(self, count: int, data: st.DataObject) -> None:
        self.started += 1
        others = ["m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"]
        members = data.draw(st.permutations(others), label="members")[: count - 1]
        members.insert(data.draw(st.integers(0, count - 1), label="lead position"), "m-lead")
        for i, member in enumerate(members):
            home = self.root / f"laptop{i}"
            paths = AppPaths(
                data=home / "data", config=home / "config", cache=home / "cache", logs=home / "logs"
            )
            # A fixed device id per laptop (ties between equal clocks break the same way).
            paths.device_id_file.parent.mkdir(parents=True, exist_ok=True)
            paths.device_id_file.write_text(f"{uuid.UUID(int=i + 1)}\n", encoding="ascii")
            opened = open_kit(self.kit, member, paths=paths, demo=True)
            ws = Workspace.open(
                workspace_path(paths, opened.visit_id), device_id=device_id(paths), backup=False
            )
            skew = data.draw(SKEWS_MS, label=f"clock skew of laptop {i} (ms)")
            # The workspace's clock, reading simulated time (a test seam: no public setter).
            ws._clock = HybridClock(ws._clock.last, now_ms=self.world.laptop_clock(skew))
            self.laptops.append(
                Laptop(f"laptop{i}", member, paths, ws, self.root / f"laptop{i}" / "staging")
            )
        info = self.laptops[0].ws.kit_info()
        assert info is not None
        manifest = json.loads(info["manifest_json"])
        self.visit_id: str = info["visit_id"]
        self.kit_id: str = info["kit_id"]
        self.team_key = bytes.fromhex(manifest["team_key"])
        # The team's rules, as the app imports with them (only the lead sets team judgements).
        self.accept = app_bundles.team_rules(VisitDetails.from_dict(manifest["visit"]))
        assert len({lap.ws.device_id for lap in self.laptops}) == count
        self.finished = self.started

    def teardown(self) -> None:
        try:
            if self.laptops and self.started == self.finished:
                self._everyone_syncs(order=None, app=None)
        finally:
            for laptop in self.laptops:
                laptop.ws.close()
            shutil.rmtree(self.root, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> str:
        self.made += 1
        return f"{kind}-{self.made}"

    def _laptop(self, data: st.DataObject, label: str = "laptop") -> int:
        return data.draw(st.integers(0, len(self.laptops) - 1), label=label)

    def _record(self, i: int, entity: str, entity_id: str, changes: dict[str, Any]) -> None:
        laptop = self.laptops[i]
        ops = laptop.ws.record(laptop.member_id, entity, entity_id, changes)
        self._took(i, ops)

    def _took(self, i: int, ops: list[Op]) -> None:
        ws = self.laptops[i].ws
        for op in ops:  # what a reviewer just wrote is what their laptop shows
            winner = ws.field(op.entity, op.entity_id, op.field)
            assert winner == op.value, (
                f"{self.laptops[i].name}'s own edit of {op.entity}.{op.field} lost to an op it "
                f"had already seen: shows {winner!r}, wrote {op.value!r} at {op.hlc}"
            )
        ids = {op.op_id for op in ops}
        assert not ids & self.all_ops, "an op id was made twice"
        self.all_ops |= ids
        self.laptops[i].ops |= ids

    def _then_edit(self, i: int, data: st.DataObject) -> None:
        """Maybe the reviewer then edits a record they hold, e.g. one that has just arrived."""
        live = [(e, r) for e in sorted(EDITABLE) for r in self._live(i, e)]
        if not live or not data.draw(st.booleans(), label="then edits a record"):
            return
        entity, entity_id = data.draw(st.sampled_from(live), label="record")
        text = data.draw(TEXT, label="text")
        self._record(i, entity, entity_id, {EDITABLE[entity]: text})

    def _live(self, i: int, entity: str) -> list[str]:
        return sorted(self.laptops[i].ws.entities(entity))

    def _op_ids(self, ws: Workspace) -> set[str]:
        return {op.op_id for op in ws.ops()}

    def _photo_blobs(self, ws: Workspace) -> set[str]:
        return {
            op.value
            for op in ws.ops()
            if op.field == "sha256" and isinstance(op.value, str) and op.entity == PHOTO
        }

    def _export(self, i: int) -> BundleFile:
        laptop = self.laptops[i]
        number = self.exports.get(i, 0) + 1
        self.exports[i] = number
        out = self.root / "usb" / f"{laptop.name}-{number:03d}{bundles.BUNDLE_SUFFIX}"
        out.parent.mkdir(parents=True, exist_ok=True)
        manifest = bundles.export_bundle(
            laptop.ws,
            out,
            member_id=laptop.member_id,
            team_key=self.team_key,
            kit_id=self.kit_id,
        )
        held = self._op_ids(laptop.ws)
        assert held == laptop.ops
        named = self._photo_blobs(laptop.ws)
        assert named <= laptop.blobs, "a laptop holds a photo op without its photo"
        assert manifest.op_count == len(held)
        assert manifest.visit_id == self.visit_id
        assert manifest.member_id == laptop.member_id
        assert manifest.device_id == laptop.ws.device_id
        assert set(manifest.blobs) == named, "the bundle does not carry every photo"
        assert out.exists()
        assert not [p for p in out.parent.iterdir() if not p.name.endswith(bundles.BUNDLE_SUFFIX)]
        made = BundleFile(out, i, number, frozenset(held), frozenset(named))
        self.files.append(made)
        return made

    def _import(self, i: int, bundle: BundleFile, *, app: bool = False) -> None:
        """Import ``bundle`` into laptop ``i`` (headless, or with the app's own import) and check
        the result against the model; then import the same file again: nothing changes."""
        laptop = self.laptops[i]
        ws = laptop.ws
        before = set(laptop.ops)
        new, known = (self._import_with_app if app else self._import_file)(i, bundle)
        assert (new, known) == (len(bundle.ops - before), len(bundle.ops & before))
        laptop.ops |= bundle.ops
        laptop.blobs |= bundle.blobs
        self._check_laptop(i)
        note_event("import brought new ops" if new else "import brought nothing new")

        state, count, seq = ws.canonical_state(), ws.op_count(), ws.last_seq()
        again = (self._import_with_app if app else self._import_file)(i, bundle)
        assert again == (0, len(bundle.ops)), again
        assert (ws.canonical_state(), ws.op_count(), ws.last_seq()) == (state, count, seq), (
            "importing a bundle twice changed the workspace"
        )

    def _import_file(self, i: int, bundle: BundleFile) -> tuple[int, int]:
        """``read_bundle`` and ``import_bundle`` with the team's rules: (new, known)."""
        laptop = self.laptops[i]
        laptop.staging.mkdir(parents=True, exist_ok=True)
        verified = bundles.read_bundle(
            bundle.path,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=laptop.staging,
        )
        with verified:
            assert {op.op_id for op in verified.ops} == set(bundle.ops)
            assert set(verified.blob_paths) == set(bundle.blobs)
            assert verified.manifest.op_count == len(bundle.ops)
            result = bundles.import_bundle(laptop.ws, verified, accept=self.accept)
        assert result.refused == [], result.refused
        return result.new, result.known

    def _import_with_app(self, i: int, bundle: BundleFile) -> tuple[int, int]:
        """The app's own import (the menu's and the CLI's): it opens the workspace file itself,
        beside the laptop's open workspace, and keeps a receipt in the import history."""
        laptop = self.laptops[i]
        earlier = self.app_imports.setdefault(i, [])
        if bundle.source == i:
            note = app_bundles.NOTE_OWN
        elif bundle in earlier:
            note = app_bundles.NOTE_ALREADY
        elif any(b.source == bundle.source and b.number > bundle.number for b in earlier):
            note = app_bundles.NOTE_OLDER
        else:
            note = ""
        (receipt,) = app_bundles.import_visit_bundles(laptop.paths, self.visit_id, [bundle.path])
        earlier.append(bundle)
        assert receipt.refused_file == "", receipt
        assert receipt.refused == ()
        assert receipt.member_id == self.laptops[bundle.source].member_id
        if receipt.new == 0:
            assert receipt.note == note, (receipt.note, note)
        history = app_bundles.import_history(laptop.paths, self.visit_id)
        assert len(history) == len(earlier) and history[-1] == receipt.to_dict()
        return receipt.new, receipt.known

    @staticmethod
    def _register(ws: Workspace) -> list[tuple[Any, ...]]:
        return [
            (d.ref, d.component, [(j.member_id, j.value, j.reason) for j in d.judgements])
            for d in disagreements(read_visit_data(ws))
        ]

    def _check_laptop(self, i: int) -> None:
        laptop = self.laptops[i]
        count = laptop.ws.op_count()
        assert count >= laptop.high_water, f"{laptop.name} lost ops: {laptop.high_water} -> {count}"
        laptop.high_water = count
        assert self._op_ids(laptop.ws) == laptop.ops
        missing = [sha for sha in laptop.blobs if not laptop.ws.blobs.has(sha)]
        assert not missing, f"{laptop.name} lacks photos {missing}"

    def _everyone_syncs(self, order: list[list[int]] | None, app: list[bool] | None) -> None:
        """Everyone exports; each laptop imports everyone's latest in ``order[i]`` (default: the
        reverse of the laptops' order), with the app's import where ``app[i]``."""
        latest = [self._export(i) for i in range(len(self.laptops))]
        for i in range(len(self.laptops)):
            sequence = order[i] if order is not None else list(reversed(range(len(latest))))
            for j in sequence:
                self._import(i, latest[j], app=app[i] if app is not None else False)
        states = [lap.ws.canonical_state() for lap in self.laptops]
        for laptop, state in zip(self.laptops, states, strict=True):
            assert state == states[0], f"{laptop.name} differs from {self.laptops[0].name}"
            assert laptop.ws.op_count() == len(self.all_ops)
            assert laptop.ops == self.all_ops
            missing = [sha for sha in self.all_blobs if not laptop.ws.blobs.has(sha)]
            assert not missing, f"{laptop.name} lacks photos {missing}"
        registers = [self._register(lap.ws) for lap in self.laptops]
        assert all(r == registers[0] for r in registers), "the disagreement registers differ"
        note_event("disagreements at a sync" if registers[0] else "no disagreement at a sync")
        conflicts = len(self.laptops[0].ws.conflicts())
        note_event("conflicts left at a sync" if conflicts else "no conflicts at a sync")

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def nothing_is_lost(self) -> None:
        for i in range(len(self.laptops)):
            self._check_laptop(i)
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
            jid = judgement_id(ref, component, self.laptops[i].member_id)
            self._record(i, vm.JUDGEMENT, jid, changes)

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
        i = next(n for n, lap in enumerate(self.laptops) if lap.member_id == "m-lead")
        tid = team_judgement_id(ref, component)
        self._record(i, TEAM_JUDGEMENT, tid, {"value": value, "rationale": rationale})

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
        i = next(n for n, lap in enumerate(self.laptops) if lap.member_id == "m-lead")
        written = self._live(i, vm.FINDING)
        if written and data.draw(st.booleans(), label="edit one"):
            finding = data.draw(st.sampled_from(written), label="finding")
            order = data.draw(st.floats(0, 100, allow_nan=False), label="order")
            self._record(i, vm.FINDING, finding, {"text": text, "order": order})
            return
        fields = {
            "text": text,
            "category": category,
            "component": component,
            "order": float(len(written)),
            "refs": refs,
            "author": "m-lead",
        }
        self._record(i, vm.FINDING, self._new_id("finding"), fields)

    @rule(data=st.data(), ref=st.sampled_from(REFS), text=TEXT)
    def add_note(self, data: st.DataObject, ref: str, text: str) -> None:
        self.started += 1
        i = self._laptop(data)
        fields = {"ref": ref, "text": text, "author": self.laptops[i].member_id}
        self._record(i, NOTE, self._new_id("note"), fields)

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
        i = self._laptop(data)
        fields = {
            "text": text,
            "category": category,
            "refs": refs,
            "session_id": "",
            "author": self.laptops[i].member_id,
        }
        self._record(i, OBSERVATION, self._new_id("observation"), fields)

    @rule(data=st.data(), content=PHOTO_BYTES, ref=st.sampled_from(REFS), caption=TEXT)
    def add_photo(self, data: st.DataObject, content: bytes, ref: str, caption: str) -> None:
        self.started += 1
        i = self._laptop(data)
        laptop = self.laptops[i]
        sha = laptop.ws.blobs.put_bytes(content)
        laptop.blobs.add(sha)
        self.all_blobs.add(sha)
        fields = {
            "sha256": sha,
            "ref": ref,
            "caption": caption,
            "observation_id": "",
            "author": laptop.member_id,
        }
        self._record(i, PHOTO, self._new_id("photo"), fields)

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)), text=TEXT)
    def edit_a_record(self, data: st.DataObject, entity: str, text: str) -> None:
        self.started += 1
        i = self._laptop(data)
        live = self._live(i, entity)
        if live:
            entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
            self._record(i, entity, entity_id, {EDITABLE[entity]: text})

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)), texts=st.tuples(TEXT, TEXT))
    def two_laptops_edit_the_same_field(
        self, data: st.DataObject, entity: str, texts: tuple[str, str]
    ) -> None:
        """Two laptops that both hold a record edit the same field, neither seeing the other.

        The record is one the first laptop holds (a new note if it holds none of that kind);
        the second gets it by a bundle first if it has not seen it."""
        self.started += 1
        i = self._laptop(data, "first laptop")
        others = [k for k in range(len(self.laptops)) if k != i]
        j = data.draw(st.sampled_from(others), label="second laptop")
        live = self._live(i, entity)
        if not live:
            entity = NOTE
            fields = {"ref": REFS[0], "text": "", "author": self.laptops[i].member_id}
            self._record(i, NOTE, self._new_id("note"), fields)
            live = self._live(i, entity)
        entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
        if entity_id not in self._live(j, entity):
            self._import(j, self._export(i))
        if entity_id not in self._live(j, entity):  # j deleted it, and that won
            return
        name = EDITABLE[entity]
        self._record(i, entity, entity_id, {name: texts[0]})
        self._record(j, entity, entity_id, {name: texts[1]})
        note_event("concurrent edit")

    @rule(data=st.data(), entity=st.sampled_from(sorted(EDITABLE)))
    def delete_a_record(self, data: st.DataObject, entity: str) -> None:
        self.started += 1
        i = self._laptop(data)
        live = self._live(i, entity)
        if live:
            entity_id = data.draw(st.sampled_from(live), label=f"{entity} id")
            laptop = self.laptops[i]
            self._took(i, [laptop.ws.delete(laptop.member_id, entity, entity_id)])

    @rule(data=st.data(), text=TEXT, keep=st.booleans())
    def resolve_a_conflict(self, data: st.DataObject, text: str, keep: bool) -> None:
        """Someone who sees a conflict keeps the winner, or writes a new value."""
        self.started += 1
        seeing = [k for k, lap in enumerate(self.laptops) if lap.ws.conflicts()]
        if seeing:
            laptop = self.laptops[data.draw(st.sampled_from(seeing), label="laptop")]
            # Sorted by what replays the same (op ids are random), not by the losing op's id.
            conflicts = sorted(
                laptop.ws.conflicts(),
                key=lambda c: (c.entity, c.entity_id, c.field, c.loser.hlc, c.loser.device_id),
            )
            conflict = data.draw(st.sampled_from(conflicts), label="conflict")
            value = KEEP_WINNER if keep else text
            ops = laptop.ws.resolve_conflict(laptop.member_id, conflict.loser.op_id, value)
            self._took(self.laptops.index(laptop), ops)
            note_event("resolved a conflict")

    # -- exchanges ----------------------------------------------------------------------------

    @rule(data=st.data())
    def export(self, data: st.DataObject) -> None:
        self.started += 1
        self._export(self._laptop(data))

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), app=st.booleans())
    def import_a_bundle(self, data: st.DataObject, app: bool) -> None:
        """Any file ever exported, into any laptop: old ones late, known ones again, its own;
        headless or with the app's import; and then maybe an edit."""
        self.started += 1
        bundle = data.draw(st.sampled_from(self.files), label="bundle")
        i = self._laptop(data, "importer")
        self._import(i, bundle, app=app)
        self._then_edit(i, data)

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), app=st.booleans())
    def import_an_older_bundle_after_a_newer(self, data: st.DataObject, app: bool) -> None:
        self.started += 1
        source = data.draw(st.sampled_from(sorted({b.source for b in self.files})), label="from")
        theirs = [b for b in self.files if b.source == source]
        newest, oldest = theirs[-1], theirs[0]
        assert oldest.ops <= newest.ops, "a laptop's later bundle lacks ops of its earlier one"
        i = self._laptop(data, "importer")
        self._import(i, newest, app=app)
        self._import(i, oldest, app=app)
        self._then_edit(i, data)

    @rule(data=st.data())
    def everyone_syncs(self, data: st.DataObject) -> None:
        """Everyone exports, then everyone imports everyone's latest, each in its own order,
        some with the app's import."""
        self.started += 1
        n = len(self.laptops)
        order = [data.draw(st.permutations(range(n)), label=f"order {i}") for i in range(n)]
        app = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="app imports")
        self._everyone_syncs(order, app)


# About 20 runs of 25 steps: well under a minute, with the final exchange of every run.
SETTINGS = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_laptops_converge_whatever_bundles_they_exchange(demo_kit_file: Path) -> None:
    machine = type("BundleExchangeWithKit", (BundleExchange,), {"kit": demo_kit_file})
    run_state_machine_as_test(machine, settings=SETTINGS)


def test_an_edit_after_the_apps_import_wins_over_what_it_imported(demo_kit_file: Path) -> None:
    """What the machine found, as one fixed case: the app's import (menu or CLI) opens the
    workspace itself while the visit is open; the open workspace's clock must still move past the
    ops that import brought, or the reviewer's next edit of a field they just received loses to it
    (and is listed as a conflict against their own correction)."""
    m = type("BundleExchangeWithKit", (BundleExchange,), {"kit": demo_kit_file})()
    try:
        fast, slow = 0, 1
        m.open_laptops(
            3, _Fixed([["m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"], 0, 90_000, 0, 0])
        )
        m._record(fast, NOTE, "note-1", {"ref": REFS[0], "text": "from a laptop 90 s fast"})
        m._import(slow, m._export(fast), app=True)  # the slow laptop's workspace stays open
        m._record(slow, NOTE, "note-1", {"text": "my correction"})  # must win on my laptop
    finally:
        m.started += 1  # no final exchange: only close
        m.teardown()


class _Fixed:
    """A stand-in for ``st.data()`` that returns fixed values, in order."""

    def __init__(self, values: list[Any]) -> None:
        self.values = list(values)

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self.values.pop(0)
