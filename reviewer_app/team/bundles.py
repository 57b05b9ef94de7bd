"""Pooling a team's work: exporting this laptop's bundle, importing the others', receipts.

The format and its checks are :mod:`sync.bundles`; this module adds the visit's rules:

- the bundle is authenticated with the kit's team key (from the kit manifest in the workspace);
- only the kit's lead sets team judgements, and only members of the kit's team write at all:
  other operations are refused, one by one, and listed in the receipt, while the rest of the
  bundle is imported;
- a bundle with more operations than the kit's visit could produce (:func:`op_limits`) is
  refused as a whole, before anything is read or changed;
- every import ends with a :class:`Receipt` (new, known, refused, conflicts, disagreements and a
  note), kept in the workspace's import history (``local`` table, never replicated).

A file that is refused as a whole raises nothing: its receipt says why (``refused_file``) and
the workspace's operations are as they were.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer_app.app.device import device_key_for_workspace
from reviewer_app.app.disk import ensure_space
from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.consensus import find_disagreements
from reviewer_app.visit.model import (
    ACCURACY_ANSWER,
    FINDING,
    JUDGEMENT,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    Judgement,
)
from reviewer_app.visit.workspaces import (
    clean_staging,
    open_workspace,
    staging_under,
    workspace_path,
)
from storage import Op, Workspace
from storage.blob_crypto import BlobCryptoError
from storage.records import Record
from sync.authorship import DEVICE_KEY_ENTITY, fingerprint_words
from sync.bundle_builder import export_bundle
from sync.bundle_format import BUNDLE_SUFFIX, BundleManifest, BundleRefused, OpLimits
from sync.bundle_import import import_bundle
from sync.bundle_read_ahead import BundleReader, read_each
from sync.bundle_reader import VerifiedBundle
from sync.kit_model import VisitDetails
from sync.pins import KeyFlag
from sync.progress import Progress

log = logging.getLogger(__name__)

HISTORY_KEY = "import_history"
#: A receipt lists this many held operations at most (a laptop whose clock was a year ahead
#: holds all its work back: the receipt says how many, and lists the first).
MAX_LISTED = 1_000
NOTE_ALREADY = "already imported"
NOTE_OLDER = "older than a bundle already imported from this laptop: nothing lost, nothing new"
NOTE_OLDER_NEW = "older than a bundle already imported from this laptop (its new operations kept)"
NOTE_OWN = "exported from this laptop: nothing new"


@dataclass(frozen=True, slots=True)
class Receipt(Record):
    """What importing one bundle file did, for the dialog, the CLI and the import history."""

    file: str
    bundle_id: str = ""
    member_id: str = ""
    member_name: str = ""
    device_id: str = ""
    created_at: str = ""
    new: int = 0
    known: int = 0
    refused: tuple[dict[str, str], ...] = ()
    conflicts: int = 0
    disagreements: int = 0
    held: tuple[dict[str, str], ...] = ()
    """Operations held back (a clock beyond the bounds, a device not yet confirmed): the
    first ``MAX_LISTED`` of them; ``held_count`` says how many."""
    held_count: int = 0
    flagged: tuple[dict[str, str], ...] = ()
    """Devices that say they are a member whose device this laptop already knows."""
    released: int = 0
    """Operations held back before and applied now."""
    note: str = ""
    refused_file: str = ""
    refused_reason: str = ""
    imported_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )

    @property
    def ok(self) -> bool:
        """Imported, or already known (not refused as a whole)."""
        return not self.refused_file

    def summary(self) -> str:
        """One line for a person."""
        if self.refused_file:
            return f"{self.file}: refused: {self.refused_file}"
        who = self.member_name or self.member_id
        parts = [
            f"{self.file}: from {who}",
            f"{self.new} new",
            f"{self.known} already known",
            f"{len(self.refused)} refused",
            f"{self.conflicts} conflicts",
            f"{self.disagreements} disagreements",
        ]
        if self.held_count:
            parts.append(f"{self.held_count} held back")
        if self.released:
            parts.append(f"{self.released} held before, now accepted")
        line = ", ".join(parts)
        if self.flagged:
            line += "".join(f". {flag['sentence']}" for flag in self.flagged)
        return f"{line} ({self.note})" if self.note else line


# -- the visit's facts from the workspace ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kit:
    kit_id: str
    visit: VisitDetails
    team_key: bytes
    standards: int = 0


def _kit(ws: Workspace, visit_id: str) -> _Kit:
    info = ws.kit_info()
    if info is None:
        raise UserError(f"the workspace of visit {visit_id} has no kit; open the visit's kit again")
    manifest = json.loads(info["manifest_json"])
    return _Kit(
        kit_id=str(info["kit_id"]),
        visit=VisitDetails.from_dict(manifest["visit"]),
        team_key=bytes.fromhex(manifest["team_key"]),
        standards=len(ws.standards()),
    )


#: Fields of one reviewer's judgement of one standard for one component: value, reason and the
#: lettered parts (published standards rarely have more than eight, with their sub-items).
FIELDS_PER_JUDGEMENT = 12
#: Edits per field, on average over the whole visit: most fields are set once or twice. Notes,
#: evidence seen, photos, observations and the lead's records fit in the same room.
EDITS_PER_FIELD = 10
#: However small the kit, a bundle of this many operations is never refused for its count.
MIN_OPS_LIMIT = 200_000


def op_limits(visit: VisitDetails, standards: int) -> OpLimits:
    """The most operations a bundle of this visit can hold and still come from real work:
    every member judging every standard for every component, each field edited
    ``EDITS_PER_FIELD`` times, and at least ``MIN_OPS_LIMIT``. A 60-standard visit of two
    components and six members allows 200,000; a 2,000-standard one of three components,
    4,320,000. A bundle above it (a million ops against a small kit) is refused before its
    operations are read."""
    components = max(1, len(visit.components))
    members = max(1, len(visit.team))
    most = standards * components * members * FIELDS_PER_JUDGEMENT * EDITS_PER_FIELD
    scope = f"of {standards:,} standards, {components} components and {members} team members"
    return OpLimits(max_ops=max(MIN_OPS_LIMIT, most), scope=scope)


def _open(paths: AppPaths, visit_id: str) -> Workspace:
    file = workspace_path(paths, visit_id)
    if not file.is_file():
        raise UserError(
            f"there is no visit {visit_id!r} on this laptop; open its kit first "
            "(`reviewer-app visit list` shows the visits here)"
        )
    return open_workspace(paths, file)


# -- export ----------------------------------------------------------------------------------------


def slug(text: str, max_length: int = 40) -> str:
    """``text`` as a safe file-name part: ASCII letters, digits and hyphens, lower case."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return words[:max_length].rstrip("-")


def default_bundle_name(visit: VisitDetails, member_id: str, when: datetime) -> str:
    """``visit-<visit id's first 8>-<lead | member-N>-<YYYYMMDD-HHMM>.rvbundle`` (local time).

    A lost stick shows nothing but the visit id (DESIGN.md): not the service the visit is of,
    nor who the reviewer is; N is the member's place in the kit's team, which only the team
    can read. The receipt names the sender."""
    ids = [m.member_id for m in visit.team]
    lead = visit.lead
    if lead is not None and member_id == lead.member_id:
        who = "lead"
    elif member_id in ids:
        who = f"member-{ids.index(member_id) + 1}"
    else:
        who = "member"
    short = slug(visit.visit_id, 36)[:8] or "visit"
    return f"visit-{short}-{who}-{when.strftime('%Y%m%d-%H%M')}{BUNDLE_SUFFIX}"


def export_visit_bundle(paths: AppPaths, visit_id: str, out: Path | None = None) -> Path:
    """Write this laptop's bundle of the visit and return where it is.

    ``out`` may be a file, a folder (the default name is used in it) or ``None`` (the default
    name in the current folder).
    """
    with _open(paths, visit_id) as ws:
        return export_from_workspace(ws, out)


def export_from_workspace(ws: Workspace, out: Path | None = None) -> Path:
    """:func:`export_visit_bundle` on an open workspace (the window runs it on its worker)."""
    now = datetime.now(UTC)
    visit_id = ws.path.parent.name
    kit = _kit(ws, visit_id)
    member_id = str(ws.get_local("member_id") or "")
    if not member_id:
        raise UserError(f"this laptop has not said who it is on visit {visit_id}")
    name = default_bundle_name(kit.visit, member_id, now.astimezone())
    if out is None:
        target = Path.cwd() / name
    elif out.is_dir():
        target = out / name
    else:
        target = out
    ensure_space(target.parent, _bundle_size(ws))
    export_bundle(
        ws,
        target,
        member_id=member_id,
        team_key=kit.team_key,
        kit_id=kit.kit_id,
        device_key=device_key_for_workspace(ws.path),
        now=now,
    )
    return target


def _bundle_size(ws: Workspace) -> int:
    """About how big this laptop's bundle will be: its operations (no more than the
    workspace file) and its photos."""
    size = ws.path.stat().st_size
    for sha in ws.attachment_hashes():
        with contextlib.suppress(OSError, BlobCryptoError):  # missing or damaged: not sent
            size += ws.blobs.size(sha)
    return size


# -- import ----------------------------------------------------------------------------------------


# Besides the team judgement, what only the lead writes (issue 5): entity -> words for a receipt.
LEAD_WRITES = {
    FINDING: "the report's findings",
    REPORT_TEXT: "the report's text",
    ACCURACY_ANSWER: "the answers to the provider's comments",
    DEVICE_KEY_ENTITY: "which devices speak for team members",
}


def team_rules(visit: VisitDetails) -> Callable[[Op], str | None]:
    """The ``accept`` of an import: why an op breaks the team's rules, or ``None``."""
    members = {m.member_id for m in visit.team}
    lead = visit.lead

    def accept(op: Op) -> str | None:
        if op.member_id not in members:
            return f"{op.member_id} is not on this visit's team"
        if op.entity == TEAM_JUDGEMENT and (lead is None or op.member_id != lead.member_id):
            name = lead.name if lead is not None else "(no lead named in the kit)"
            return f"only the lead reviewer, {name}, sets the team judgement"
        if op.entity in LEAD_WRITES and (lead is None or op.member_id != lead.member_id):
            name = lead.name if lead is not None else "(no lead named in the kit)"
            return f"only the lead reviewer, {name}, writes {LEAD_WRITES[op.entity]}"
        return None

    return accept


def import_visit_bundles(paths: AppPaths, visit_id: str, files: Sequence[Path]) -> list[Receipt]:
    """Check and import each bundle file in turn; one receipt each, also kept in the history."""
    clean_staging(paths)  # what a killed import or kit read left
    with _open(paths, visit_id) as ws:
        return import_into_workspace(ws, files, paths.staging)


def import_into_workspace(
    ws: Workspace,
    files: Sequence[Path],
    staging: Path,
    progress: Progress | None = None,
) -> list[Receipt]:
    """:func:`import_visit_bundles` on an open workspace (the window runs it on its worker);
    ``progress(done, total, file name)`` before each file and once at the end."""
    receipts: list[Receipt] = []
    try:
        kit = _kit(ws, ws.path.parent.name)
        accept = team_rules(kit.visit)
        ws.backup_if_changed("import")  # the visit as it was, should an import be regretted
        limits = op_limits(kit.visit, kit.standards)
        with staging_under(staging) as own:
            read = BundleReader.for_workspace(
                ws,
                visit_id=kit.visit.visit_id,
                team_key=kit.team_key,
                staging_root=own,
                limits=limits,
            )
            bundles = read_each([Path(f) for f in files], read)
            # (closed, the last bundle cleaned up, before the staging folder goes)
            with contextlib.closing(bundles):
                for i, (file, bundle) in enumerate(bundles):
                    if progress is not None:
                        progress(i, len(files), file.name)
                    # The bundle's ops and its receipt commit together: a kill leaves both or
                    # neither.
                    with ws.transaction():
                        receipt = _import_one(ws, kit, file, bundle, accept)
                        history = list(ws.get_local(HISTORY_KEY, []) or [])
                        history.append(receipt.to_dict())
                        ws.set_local(HISTORY_KEY, history)
                    receipts.append(receipt)
        if progress is not None:
            progress(len(files), len(files), "")
    finally:
        _remove_if_empty(staging)
    return receipts


def import_history(paths: AppPaths, visit_id: str) -> list[dict[str, Any]]:
    """Every receipt of the visit's imports on this laptop, newest last."""
    with _open(paths, visit_id) as ws:
        return read_import_history(ws)


def read_import_history(ws: Workspace) -> list[dict[str, Any]]:
    """:func:`import_history` of an open workspace."""
    return [dict(r) for r in ws.get_local(HISTORY_KEY, []) or []]


def _import_one(
    ws: Workspace,
    kit: _Kit,
    file: Path,
    bundle: VerifiedBundle | BundleRefused,
    accept: Callable[[Op], str | None],
) -> Receipt:
    try:
        if isinstance(bundle, BundleRefused):
            raise bundle
        m = bundle.manifest
        note = _note(ws, m)
        result = import_bundle(ws, bundle, accept=accept)
    except BundleRefused as exc:
        log.info("bundle %s refused (%s): %s", file, exc.reason, exc)
        return Receipt(file=str(file), refused_file=str(exc), refused_reason=exc.reason)
    member = kit.visit.member(m.member_id)
    if (result.new or result.released) and note == NOTE_OLDER:
        note = NOTE_OLDER_NEW
    elif (result.new or result.released) and note in (NOTE_ALREADY, NOTE_OWN):
        note = ""
    elif note == NOTE_OWN and (result.held or result.refused or result.flagged or result.pinned):
        note = ""  # a bundle that says it is this laptop's, and is not
    # Only what a disagreement is made of: a bundle of a million ops need not all be read.
    judged = ws.entities(JUDGEMENT, fields=("value",))
    judgements = [Judgement.from_fields(entity_id, f) for entity_id, f in judged.items()]
    return Receipt(
        file=str(file),
        bundle_id=m.bundle_id,
        member_id=m.member_id,
        member_name=member.name if member else "",
        device_id=m.device_id,
        created_at=m.created_at,
        new=result.new,
        known=result.known,
        refused=tuple(_refused_entry(op, named(kit.visit, why)) for op, why in result.refused),
        conflicts=result.conflicts,
        disagreements=len(find_disagreements(judgements)),
        held=tuple(
            _refused_entry(op, named(kit.visit, why)) for op, why in result.held[:MAX_LISTED]
        ),
        held_count=len(result.held),
        flagged=tuple(flag_entry(kit.visit, flag) for flag in result.flagged),
        released=result.released,
        note=note,
    )


def named(visit: VisitDetails, reason: str) -> str:
    """``reason`` with the team's member ids (which the format's sentences use) as names."""
    for member in visit.team:
        reason = re.sub(rf"(?<![\w-]){re.escape(member.member_id)}(?![\w-])", member.name, reason)
    return reason


def flag_entry(visit: VisitDetails, flag: KeyFlag) -> dict[str, str]:
    """A held device for a receipt, with the sentence a person reads."""
    member = visit.member(flag.member_id)
    name = member.name if member else flag.member_id
    return {
        "member_id": flag.member_id,
        "member_name": name,
        "public_key": flag.public_key,
        "device_id": flag.device_id,
        "fingerprint": fingerprint_words(flag.public_key),
        "state": flag.state,
        "sentence": key_sentence(name, flag.public_key),
    }


def key_sentence(name: str, public_key: str) -> str:
    """What a person reads about a second device for a member."""
    return (
        f"Another device says it is {name}: fingerprint {fingerprint_words(public_key)}; its "
        f"work is held back. The lead reviewer should accept it only if {name} changed laptop "
        "(compare the fingerprint with theirs, read aloud)"
    )


def _note(ws: Workspace, manifest: BundleManifest) -> str:
    """What the import history already says about this bundle ("" for nothing)."""
    if manifest.device_id == ws.device_id:  # (anyone with the team key can say so: see below)
        return NOTE_OWN
    history = [r for r in ws.get_local(HISTORY_KEY, []) or [] if not r.get("refused_file")]
    if any(r.get("bundle_id") == manifest.bundle_id for r in history):
        return NOTE_ALREADY
    mine = datetime.fromisoformat(manifest.created_at)
    for r in history:
        if r.get("device_id") != manifest.device_id or not r.get("created_at"):
            continue
        try:
            if datetime.fromisoformat(str(r["created_at"])) > mine:
                return NOTE_OLDER
        except (ValueError, TypeError):  # an odd time, or one without a time zone
            continue
    return ""


def _refused_entry(op: Op, reason: str) -> dict[str, str]:
    return {
        "op_id": op.op_id,
        "entity": op.entity,
        "entity_id": op.entity_id,
        "field": op.field,
        "member_id": op.member_id,
        "reason": reason,
    }


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
