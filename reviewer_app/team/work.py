"""The team's work on the open visit: pooling bundles into it, and who has done what.

The window's session owns the visit's storage worker, which owns the database connection. So an
import from the window runs *on that worker* with the session's workspace (the same code path
as the CLI, :func:`reviewer_app.team.bundles.import_into_workspace`), and then reads the visit again
on the same worker: the read model the window swaps in (``VisitSession.reload``) is exactly what
the database holds after the import, with no reopening.

The overview (:func:`overview`) answers the lead's question at a glance: per member and section,
how many of the standards they should judge (every applicable standard, summed over the
components) they have assessed, and when their last bundle arrived on this laptop. It also shows
which devices speak for whom (:func:`devices_of`), and lets the lead accept or refuse another
device for a member (:func:`decide_in_session`): both run on the session's worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.team.bundles import (
    Receipt,
    export_from_workspace,
    import_into_workspace,
    read_import_history,
)
from reviewer_app.team.devices import DeviceRow, HeldRow, decide, device_rows, held_rows
from reviewer_app.visit.conflicts import ConflictGroup, conflict_count, conflict_groups
from reviewer_app.visit.read_model import VisitData, read_visit_data
from storage import Workspace
from sync.kit_model import Member
from sync.progress import Progress

if TYPE_CHECKING:
    from reviewer_app.visit.session import VisitSession


@dataclass(frozen=True, slots=True)
class TeamImport:
    """What an import into the open visit gives the window: one receipt per file, the visit
    read again, the conflicts now and the import history now."""

    receipts: list[Receipt]
    data: VisitData
    conflicts: int
    history: list[dict[str, Any]]


def _import(
    ws: Workspace, files: Sequence[Path], staging: Path, progress: Progress | None
) -> TeamImport:
    receipts = import_into_workspace(ws, files, staging, progress)
    return TeamImport(receipts, read_visit_data(ws), conflict_count(ws), read_import_history(ws))


def import_into_session(
    session: VisitSession,
    files: Sequence[Path],
    staging: Path,
    progress: Progress | None = None,
) -> Future[TeamImport]:
    """Import bundle files on the session's worker. ``progress`` is called on that worker."""
    return session.worker.submit(_import, [Path(f) for f in files], staging, progress)


def export_from_session(session: VisitSession, out: Path) -> Future[Path]:
    """Write this laptop's bundle to ``out`` (a file, or a folder for the default name)."""
    return session.worker.submit(export_from_workspace, out)


def history_of(session: VisitSession) -> Future[list[dict[str, Any]]]:
    """This laptop's import history of the visit (receipts as dicts, newest last)."""
    return session.worker.submit(read_import_history)


def conflicts_of(session: VisitSession) -> Future[list[ConflictGroup]]:
    return session.worker.submit(conflict_groups)


def conflict_count_of(session: VisitSession) -> Future[int]:
    return session.worker.submit(conflict_count)


# -- devices ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamDevices:
    """Every device key seen on this laptop, and the operations held back."""

    rows: list[DeviceRow]
    held: list[HeldRow]


@dataclass(frozen=True, slots=True)
class DeviceDecision:
    """What the lead's decision did: operations now in the visit (accepted), or dropped
    (refused), the visit read again and the devices now."""

    accepted: bool
    released: int
    dropped: int
    data: VisitData
    devices: TeamDevices


def _devices(ws: Workspace, data: VisitData) -> TeamDevices:
    return TeamDevices(device_rows(ws, data.visit), held_rows(ws))


def devices_of(session: VisitSession) -> Future[TeamDevices]:
    """The devices and held operations, read on the session's worker."""
    return session.worker.submit(_devices, session.data)


def _held_for(devices: TeamDevices, member_id: str, public_key: str) -> int:
    return sum(
        r.held for r in devices.rows if (r.member_id, r.public_key) == (member_id, public_key)
    )


def _decide(
    ws: Workspace, lead_id: str, data: VisitData, key: tuple[str, str], accept: bool
) -> DeviceDecision:
    before = _held_for(_devices(ws, data), *key)
    released = decide(ws, lead_id, key[0], key[1], accept)
    data = read_visit_data(ws)
    devices = _devices(ws, data)
    # Refused: the key's work is dropped; accepted, what the team's rules refuse is too.
    dropped = max(0, before - released - _held_for(devices, *key))
    return DeviceDecision(accept, released, dropped, data, devices)


def decide_in_session(
    session: VisitSession, row: DeviceRow, accept: bool
) -> Future[DeviceDecision]:
    """The lead accepts (or refuses) another device for a member, on the session's worker."""
    key = (row.member_id, row.public_key)
    return session.worker.submit(_decide, session.member_id, session.data, key, accept)


# -- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberProgress:
    """One member's figures: ``sections[i]`` is (assessed, applicable) in ``data.sections[i]``
    summed over the visit's components; ``last_bundle`` is the receipt (dict) of the newest
    bundle from them imported here, or ``None``."""

    member: Member
    sections: tuple[tuple[int, int], ...]
    last_bundle: dict[str, Any] | None
    this_laptop: bool

    @property
    def total(self) -> tuple[int, int]:
        return sum(d for d, _ in self.sections), sum(t for _, t in self.sections)

    @property
    def last_bundle_at(self) -> datetime | None:
        """When the member's last bundle arrived here (local time), if one has."""
        if self.last_bundle is None:
            return None
        try:
            return datetime.fromisoformat(str(self.last_bundle.get("imported_at"))).astimezone()
        except ValueError:
            return None


def last_bundles(history: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per member id, the receipt of the bundle from them that arrived last (refusals aside)."""
    out: dict[str, dict[str, Any]] = {}
    for receipt in history:  # oldest first: a later arrival replaces an earlier one
        member = str(receipt.get("member_id") or "")
        if member and not receipt.get("refused_file"):
            out[member] = dict(receipt)
    return out


def overview(data: VisitData, history: Sequence[dict[str, Any]]) -> list[MemberProgress]:
    """Every member of the team, in the kit's order, with their figures per section."""
    section_at = {name: i for i, name in enumerate(data.sections)}
    applicable = [0] * len(data.sections)
    for s in data.standards:
        if s.section in section_at:
            applicable[section_at[s.section]] += sum(
                1 for c in data.visit.components if c.id in s.applies_to
            )
    done: dict[str, list[int]] = {m.member_id: [0] * len(data.sections) for m in data.visit.team}
    for j in data.judgements.values():
        std = data.by_ref.get(j.ref)
        counts = done.get(j.member_id)
        if std is None or counts is None or not j.assessed or j.component not in std.applies_to:
            continue
        if std.section in section_at:
            counts[section_at[std.section]] += 1
    arrived = last_bundles(history)
    return [
        MemberProgress(
            member=m,
            sections=tuple(zip(done[m.member_id], applicable, strict=True)),
            last_bundle=arrived.get(m.member_id),
            this_laptop=m.member_id == data.member_id,
        )
        for m in data.visit.team
    ]
