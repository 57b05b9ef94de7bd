"""Finalisation: the completeness check, the privacy check, sign-off and the immutable snapshot.

DESIGN.md "Finalised findings": the lead finalises; the app checks completeness (every
applicable standard has a team judgement or an explicit "not assessed" with a reason; Not met
and N/A have a reason; every immediate risk has an escalation recorded), then freezes a snapshot:
canonical ``findings.json`` (``sync.findings_format``), attachments by hash, the rendered final
report, ``snapshot_id``, version, the snapshot it supersedes, content SHA-256, who signed it off
and when. A snapshot never changes (SQLite triggers see to it); amending is finalising again,
which makes version n+1 superseding n.

"Not assessed with a reason" is recorded as a team judgement of Not yet assessed with a
rationale: the lead says, for the team, why the standard was not looked at.

:func:`finalise` takes the open ``Workspace`` first, so the window runs it on the visit's storage
worker (:func:`start_finalise`); it reads the visit afresh there rather than trusting a copy.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reviewer_app import findings
from reviewer_app.errors import UserError
from reviewer_app.findings_document import findings_document
from reviewer_app.paths import AppPaths
from reviewer_app.privacy import PrivacyHit, privacy_hits, unconfirmed
from reviewer_app.risks import laptop_due
from reviewer_app.session import VisitSession
from reviewer_app.visit_data import VisitData, read_visit_data
from reviewer_app.visit_model import JUDGEMENT_LABELS, NEEDS_REASON, NOT_ASSESSED
from storage import SnapshotRow, Workspace
from sync.findings_format import canonical_bytes, check_envelope, content_sha256

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; called on the storage worker's thread."""

LISTED = 8  # how many gaps or hits a refusal's sentence names before "and N more"


# -- completeness ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """Something to finish before finalising, in a person's words, with where to go to fix it:
    ``kind`` "standard" (``ref`` and ``component``) or "finding" (``finding_id``)."""

    message: str
    kind: str
    ref: str = ""
    component: str = ""
    finding_id: str = ""


def completeness(data: VisitData) -> list[Gap]:
    """What stops finalisation: component by component in kit order, then the findings."""
    gaps: list[Gap] = []
    for comp in data.visit.components:
        for s in data.standards_for(comp.id):
            team = data.team_judgement(s.ref, comp.id)
            where = f"{s.ref} {s.title} ({comp.name})"
            if team.value == NOT_ASSESSED and not team.rationale.strip():
                message = (
                    f"{where}: no team judgement yet; record one, or say why it was not assessed"
                )
            elif team.value in NEEDS_REASON and not team.rationale.strip():
                label = JUDGEMENT_LABELS[team.value]
                message = f"{where}: {label} needs a reason; write why"
            else:
                continue
            gaps.append(Gap(message, "standard", ref=s.ref, component=comp.id))
    for number, f in findings.immediate_risks(data):
        if not f.escalated:
            label = findings.finding_label(data, f, number)
            message = f"{label}: record to whom and when it was escalated"
            gaps.append(Gap(message, "finding", finding_id=f.id, component=f.component))
    for f in data.findings_for(None):
        if not f.text.strip():
            label = findings.finding_label(data, f)
            gaps.append(
                Gap(f"{label}: has no text; write it or delete it", "finding", finding_id=f.id)
            )
    return gaps


class FinaliseRefused(UserError):
    """Finalisation cannot go ahead yet; ``gaps`` and ``hits`` say what to do first."""

    def __init__(
        self, message: str, gaps: list[Gap] | None = None, hits: list[PrivacyHit] | None = None
    ) -> None:
        super().__init__(message)
        self.gaps = gaps or []
        self.hits = hits or []


def _refusal(gaps: list[Gap], hits: list[PrivacyHit]) -> FinaliseRefused:
    parts = []
    if gaps:
        parts.append(f"{len(gaps)} thing(s) to finish")
    if hits:
        parts.append(f"{len(hits)} possible piece(s) of personal data to confirm or edit")
    items = [g.message for g in gaps] + [h.message() for h in hits]
    shown = "; ".join(items[:LISTED])
    more = f"; and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return FinaliseRefused(
        f"Not finalised: {' and '.join(parts)}: {shown}{more}.", gaps=gaps, hits=hits
    )


# -- snapshots ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A finalised snapshot as the app shows it: the stored row, its findings, its report."""

    row: SnapshotRow
    findings: dict[str, Any]
    report_path: Path | None
    queued: bool = False  # handed to the outbox for sending to the central service

    @property
    def snapshot_id(self) -> str:
        return self.row.snapshot_id

    @property
    def version(self) -> int:
        return self.row.version

    @property
    def supersedes(self) -> str | None:
        return self.row.supersedes

    @property
    def content_sha256(self) -> str:
        return self.row.content_sha256

    @property
    def signed_off_by(self) -> str:
        return self.row.signed_off_by

    @property
    def signed_off_at(self) -> str:
        return self.row.signed_off_at


def _snapshot(ws: Workspace, row: SnapshotRow, queued: bool = False) -> Snapshot:
    report = ws.blobs.path(row.report_sha256) if row.report_sha256 else None
    return Snapshot(row, json.loads(row.findings_json), report, queued)


def snapshots(ws: Workspace) -> list[Snapshot]:
    """Every finalised snapshot of the visit, version 1 first (runs on the storage worker)."""
    return [_snapshot(ws, row) for row in ws.snapshots()]


def envelope(ws: Workspace, row: SnapshotRow) -> dict[str, Any]:
    """What ``PUT /v1/submissions/{snapshot_id}`` carries for a stored snapshot."""
    report = None
    if row.report_sha256:
        size = ws.blobs.path(row.report_sha256).stat().st_size
        report = {"sha256": row.report_sha256, "size": size, "format": "pdf"}
    visit_id = json.loads(row.findings_json)["visit"]["visit_id"]
    return check_envelope(
        {
            "snapshot_id": row.snapshot_id,
            "visit_id": visit_id,
            "version": row.version,
            "supersedes": row.supersedes,
            "content_sha256": row.content_sha256,
            "signed_off_by": row.signed_off_by,
            "signed_off_at": row.signed_off_at,
            "findings": json.loads(row.findings_json),
            "report": report,
        }
    )


def blob_files(ws: Workspace, env: dict[str, Any]) -> dict[str, Path]:
    """Every blob the submission needs, by hash, where it is on this laptop."""
    from sync.findings_format import envelope_blob_hashes  # noqa: PLC0415

    return {sha: ws.blobs.path(sha) for sha in envelope_blob_hashes(env)}


# -- finalising --------------------------------------------------------------------------------


def finalise(
    ws: Workspace,
    *,
    signed_off_by: str,
    confirmed_privacy: set[str] | frozenset[str],
    paths: AppPaths | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """Check, sign off and store the next snapshot; then hand it to the outbox.

    Refuses (``FinaliseRefused``, a user error listing what to do) while completeness gaps or
    unconfirmed privacy hits remain, and when nothing changed since the latest snapshot;
    ``LeadOnly`` unless ``signed_off_by`` is the visit's lead. Runs on the storage worker.
    """
    report_progress = progress or (lambda _stage, _done, _total: None)
    report_progress("Checking", 0, 1)
    data = read_visit_data(ws)
    findings.require_lead(data.visit, signed_off_by, "signs off the findings")
    gaps = completeness(data)
    hits = unconfirmed(privacy_hits(data), confirmed_privacy)
    if gaps or hits:
        raise _refusal(gaps, hits)
    missing = missing_photos(ws, data)
    if missing:
        raise FinaliseRefused(
            f"{len(missing)} photo(s) attached to findings are not on this laptop; import the "
            "bundle of the reviewer who took them, or remove them from the findings"
        )
    doc = _document(ws, data, paths)
    body = canonical_bytes(doc)
    sha = content_sha256(doc)
    previous = ws.latest_snapshot()
    if previous is not None and previous.content_sha256 == sha:
        raise FinaliseRefused(
            f"Nothing has changed since version {previous.version} was finalised; edit the "
            "findings or judgements first to amend it"
        )
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    row = SnapshotRow(
        snapshot_id=str(uuid.uuid4()),
        version=previous.version + 1 if previous else 1,
        supersedes=previous.snapshot_id if previous else None,
        content_sha256=sha,
        findings_json=body,
        report_sha256=None,
        signed_off_by=signed_off_by,
        signed_off_at=when,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    report_progress("Checking", 1, 1)
    due = laptop_due(data, paths) if paths is not None else None
    report_sha = _render_final_report(ws, data, row, report_progress, due)
    row = SnapshotRow(**{**_fields(row), "report_sha256": report_sha})
    ws.add_snapshot(row)
    env = envelope(ws, row)
    queued = _enqueue(paths, env, blob_files(ws, env))
    return _snapshot(ws, row, queued)


def _document(ws: Workspace, data: VisitData, paths: AppPaths | None) -> dict[str, Any]:
    kit = ws.kit_info() or {}
    return findings_document(
        data,
        kit_id=str(kit.get("kit_id", "")),
        blob_size=lambda sha: ws.blobs.path(sha).stat().st_size,
        paths=paths,
    )


def unchanged_since(ws: Workspace, paths: AppPaths | None = None) -> int | None:
    """The version of the latest snapshot if the visit's findings are still exactly what it
    froze (finalising again would refuse: nothing to amend); else None. Runs on the worker."""
    previous = ws.latest_snapshot()
    if previous is None:
        return None
    data = read_visit_data(ws)
    try:
        sha = content_sha256(_document(ws, data, paths))
    except (OSError, ValueError):  # a photo not on this laptop, a value out of format: changed
        return None
    return previous.version if sha == previous.content_sha256 else None


def check_unchanged(session: VisitSession, paths: AppPaths | None) -> Future[int | None]:
    return session.worker.submit(unchanged_since, paths)


def missing_photos(ws: Workspace, data: VisitData) -> list[str]:
    """Photos attached to findings whose file is not in this laptop's blob store."""
    out = []
    for f in data.findings.values():
        for photo_id in f.photos:
            photo = data.photos.get(photo_id)
            if photo is not None and photo.sha256 and not ws.blobs.has(photo.sha256):
                out.append(photo_id)
    return out


def _fields(row: SnapshotRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def _render_final_report(
    ws: Workspace, data: VisitData, row: SnapshotRow, progress: Progress, due: date | None
) -> str:
    """The final report PDF (no DRAFT, its version and hash), stored by hash; its SHA-256."""
    from reviewer_app.report import FinalInfo, build_report_model, render_pdf  # noqa: PLC0415

    final = FinalInfo(
        version=row.version,
        snapshot_id=row.snapshot_id,
        content_sha256=row.content_sha256,
        signed_off_by=row.signed_off_by,
        signed_off_at=row.signed_off_at,
    )
    signed = date.fromisoformat(row.signed_off_at[:10])
    model = build_report_model(
        data, blob_path=ws.blobs.path, final=final, report_date=signed, confirmation_due=due
    )
    out = ws.folder / f".report-{row.snapshot_id}.pdf"
    try:
        render_pdf(
            model, out, progress=lambda done, total: progress("Writing the report", done, total)
        )
        return ws.blobs.put_file(out)
    finally:
        out.unlink(missing_ok=True)


def _enqueue(paths: AppPaths | None, env: dict[str, Any], blobs: dict[str, Path]) -> bool:
    """Hand the snapshot to the outbox (reviewer_app.central) when this build has one."""
    if paths is None:
        return False
    try:
        central = importlib.import_module("reviewer_app.central")
    except ModuleNotFoundError:
        log.info("finalise: no outbox in this build; snapshot %s kept here", env["snapshot_id"])
        return False
    enqueue = getattr(central, "enqueue_snapshot", None)
    if enqueue is None:
        return False
    enqueue(paths, env, blobs)
    return True


def start_finalise(
    session: VisitSession,
    *,
    confirmed_privacy: set[str] | frozenset[str],
    paths: AppPaths | None = None,
    progress: Progress | None = None,
) -> Future[Snapshot]:
    """Finalise on the session's storage worker, signed off by the session's member (the lead).

    ``progress`` is called on the worker thread: a window passes a function that posts to the
    UI thread.
    """
    job = functools.partial(
        finalise,
        signed_off_by=session.member_id,
        confirmed_privacy=frozenset(confirmed_privacy),
        paths=paths,
        progress=progress,
    )
    return session.worker.submit(job)


def list_snapshots(session: VisitSession) -> Future[list[Snapshot]]:
    return session.worker.submit(snapshots)
