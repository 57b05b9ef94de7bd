"""Finalisation: the completeness check, the privacy check, sign-off and the immutable snapshot.

DESIGN.md "Finalised findings": the lead finalises; the app checks completeness (every
applicable standard has a team judgement or an explicit "not assessed" with a reason; Not met
and N/A have a reason; every immediate risk has an escalation recorded), then freezes a snapshot:
canonical ``findings.json`` (``sync.findings_format``), attachments by hash, the rendered final
report, ``snapshot_id``, version, the snapshot it supersedes, content SHA-256, who signed it off
and when, signed with the lead's device key (``reviewer_app.app.device.device_key``: an Ed25519
signature over the exact ``findings.json`` bytes, ``sync.authorship.sign_findings``). A snapshot
never changes (SQLite triggers see to it); amending is finalising again, which makes version n+1
superseding n.

"Not assessed with a reason" is recorded as a team judgement of Not yet assessed with a
rationale: the lead says, for the team, why the standard was not looked at.

:func:`finalise` takes the open ``Workspace`` first, so the window runs it on the visit's storage
worker (:func:`start_finalise`); it reads the visit afresh there rather than trusting a copy.
:func:`finalise_visit` is the same for ``reviewer-app finalise`` (no window, no worker).

Sending: the snapshot row, its signature and its outbox item are one transaction in the
workspace (``Workspace.add_snapshot``), after the report PDF is durably in the blob store, so a
crash leaves either nothing or the whole version, signed and queued. The item is then handed to the
installation's sending queue (``reviewer_app.central.service``, ``data/outbox.sqlite``) by
:func:`hand_over`, which finalising (before anything else) and :func:`unchanged_since` repeat for
any item a crash left behind: that queue takes the same envelope twice harmlessly. A snapshot an
older app finalised unsigned is signed by :func:`hand_over` with this laptop's key before it goes.

After the visit (docs/after-the-visit.md): the provider's factual accuracy comments on a version
(``reviewer_app.lead.accuracy``, stored by the sync) must each be answered before the next version
(:func:`accuracy_gaps`); that version's ``findings.json`` records every answer
(``accuracy_answers``) and its report has the version history. Beside the report PDF, finalising
renders the report as DOCX (kept in the workspace's ``local`` table as ``report_docx:<snapshot
id>``, sent as the envelope's optional ``report_docx``), and the envelope carries
``feedback_sheet_at``, the date the feedback sheet was first made on this laptop
(:data:`FEEDBACK_SHEET_KEY` in the same table).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.app.device import device_key
from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import accuracy, findings
from reviewer_app.lead.findings_document import findings_document
from reviewer_app.lead.privacy import PrivacyHit, privacy_hits, unconfirmed
from reviewer_app.lead.risks import laptop_due
from reviewer_app.lead.view import CONFIRMED_KEY
from reviewer_app.visit.model import JUDGEMENT_LABELS, NEEDS_REASON, NOT_ASSESSED
from reviewer_app.visit.read_model import VisitData, read_visit_data
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import existing_workspace, open_workspace
from storage import SnapshotRefused, SnapshotRow, Workspace
from storage.workspace import FINALISE
from sync.findings_format import canonical_bytes, check_envelope, content_sha256
from sync.progress import Progress, no_progress

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reviewer_app.report.model import VersionRecord

log = logging.getLogger(__name__)


LISTED = 8  # how many gaps or hits a refusal's sentence names before "and N more"
PAUSE_VAR = "REVIEWER_APP_TEST_PAUSE"
"""Crash tests only: the named point where finalising stops and waits to be killed
(``before_snapshot``, ``after_snapshot`` inside the transaction, ``after_commit``,
``after_handover``)."""


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


def accuracy_gaps(
    data: VisitData, paths: AppPaths | None, ws: Workspace | None = None
) -> list[Gap]:
    """Each of the provider's comments not yet answered, as a gap that goes to its finding or
    standard (none without ``paths``: the sync keeps the comments in the app's data folder).
    With the open workspace ``ws``, comments on a version that a later one superseded are not
    asked again (that round is over)."""
    if paths is None:
        return []
    return [_comment_gap(data, c) for c in accuracy.unanswered(ws or data, paths)]


def comment_gaps(data: VisitData, comments: accuracy.ProviderComments) -> list[Gap]:
    """:func:`accuracy_gaps` from comments already read (the window reads the file on a
    worker, then follows the visit's edits on the UI thread)."""
    answers = data.accuracy_answers
    return [
        _comment_gap(data, c)
        for c in comments.comments
        if not (c.comment_id in answers and answers[c.comment_id].answered)
    ]


def _comment_gap(data: VisitData, c: accuracy.Comment) -> Gap:
    message = (
        f"{accuracy.item_label(data, c)}: the provider's comment ({c.type_label.lower()}) is "
        "not answered; accept or decline it"
    )
    if c.item_kind == accuracy.FINDING_ITEM:
        return Gap(message, "finding", finding_id=c.item_id)
    ref, component = accuracy.standard_of(data, c.item_id) or ("", "")
    return Gap(message, "standard", ref=ref, component=component)


class FinaliseRefused(UserError):
    """Finalisation cannot go ahead yet; ``gaps`` and ``hits`` say what to do first."""

    def __init__(
        self, message: str, gaps: list[Gap] | None = None, hits: list[PrivacyHit] | None = None
    ) -> None:
        super().__init__(message)
        self.gaps = gaps or []
        self.hits = hits or []


class NothingChanged(FinaliseRefused):
    """The visit is exactly what version ``version`` froze: there is nothing to amend."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"Nothing has changed since version {version} was finalised; edit the findings or "
            "judgements first to amend it"
        )
        self.version = version


class FinalisedMeanwhile(FinaliseRefused):
    """Another finalisation of the visit (another window, the command line) stored its version
    first: the database refused this one rather than fork the version chain."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"Version {version} was finalised elsewhere at the same moment (another window or "
            "the command line), so this one was not stored; open Finalise again to see it"
        )
        self.version = version


class NotSignedOff(FinaliseRefused):
    """Everything is ready, but the lead has not signed off (``reviewer-app finalise`` without
    ``--sign-off``)."""


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
    report_sha256: str | None  # its report's PDF in the visit's store, when it is here
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

    @property
    def device_public_key(self) -> str | None:
        """The key (hex) of the laptop that signed it; None until an older one is signed."""
        return self.row.public_key


def _snapshot(ws: Workspace, row: SnapshotRow, queued: bool = False) -> Snapshot:
    report = row.report_sha256 if row.report_sha256 and ws.blobs.has(row.report_sha256) else None
    return Snapshot(row, json.loads(row.findings_json), report, queued)


def snapshots(ws: Workspace) -> list[Snapshot]:
    """Every finalised snapshot of the visit, version 1 first (runs on the storage worker)."""
    return [_snapshot(ws, row) for row in ws.snapshots()]


def envelope(ws: Workspace, row: SnapshotRow) -> dict[str, Any]:
    """What ``PUT /v1/submissions/{snapshot_id}`` carries for a stored, signed snapshot
    (``FindingsFormatError`` for one an older app left unsigned: :func:`hand_over` signs it)."""
    report = None
    if row.report_sha256:
        size = ws.blobs.size(row.report_sha256)
        report = {"sha256": row.report_sha256, "size": size, "format": "pdf"}
    visit_id = json.loads(row.findings_json)["visit"]["visit_id"]
    extra: dict[str, Any] = {}
    docx = report_docx(ws, row.snapshot_id)
    if docx is not None:
        size = ws.blobs.size(docx)
        extra["report_docx"] = {"sha256": docx, "size": size, "format": "docx"}
    sheet = feedback_sheet_at(ws)
    if sheet:
        extra["feedback_sheet_at"] = sheet
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
            "device_public_key": row.public_key,
            "signature": row.signature,
            **extra,
        }
    )


DOCX_KEY = "report_docx:"  # + snapshot id: the SHA-256 of the version's report as DOCX


def report_docx(ws: Workspace, snapshot_id: str) -> str | None:
    """The SHA-256 of the snapshot's report as DOCX, when it was rendered and is here."""
    sha = ws.get_local(DOCX_KEY + snapshot_id)
    return sha if isinstance(sha, str) and ws.blobs.has(sha) else None


FEEDBACK_SHEET_KEY = "feedback_sheet_at"  # ISO date, the first kept (report.feedback.record_made)


def feedback_sheet_at(ws: Workspace) -> str:
    """The date (ISO) the visit's feedback sheet was first made on this laptop; "" if never."""
    value = ws.get_local(FEEDBACK_SHEET_KEY)
    return value if isinstance(value, str) else ""


def blob_files(ws: Workspace, env: dict[str, Any]) -> dict[str, Path]:
    """Every blob the submission needs, by hash, where it is on this laptop: the findings'
    photos, the report and (sent with them, though the service does not insist) its DOCX.
    The files are sealed with the visit's key: whoever sends them reads them through a
    ``BlobStore`` of the visit's (``open``), never as they are on disk."""
    from sync.findings_format import envelope_blob_hashes  # noqa: PLC0415

    hashes = set(envelope_blob_hashes(env))
    docx = env.get("report_docx")
    if isinstance(docx, dict) and isinstance(docx.get("sha256"), str):
        hashes.add(docx["sha256"])
    return {sha: ws.blobs.path(sha) for sha in sorted(hashes)}


# -- finalising --------------------------------------------------------------------------------


def finalise(
    ws: Workspace,
    *,
    signed_off_by: str,
    confirmed_privacy: set[str] | frozenset[str],
    paths: AppPaths | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    key: Ed25519PrivateKey | None = None,
) -> Snapshot:
    """Check, sign off and store the next snapshot, signed, with its outbox item (one
    transaction); then hand it to the installation's sending queue.

    The snapshot's ``findings.json`` is signed with ``key``, by default this laptop's device
    key (that of ``paths``); with neither, ``ValueError`` (a finalised snapshot is always
    signed). Refuses (``FinaliseRefused``, a user error listing what to do) while completeness
    gaps or unconfirmed privacy hits remain, and when nothing changed since the latest
    snapshot; ``LeadOnly`` unless ``signed_off_by`` is the visit's lead. Runs on the storage
    worker.
    """
    report_progress = progress or no_progress  # called on the storage worker's thread
    report_progress(0, 1, "Checking")
    data = read_visit_data(ws)
    findings.require_lead(data.visit, signed_off_by, "signs off the findings")
    if key is None:
        if paths is None:
            raise ValueError("finalise needs paths (this laptop's device key) or a key to sign")
        key = device_key(paths)
    hand_over(ws, paths, key)  # a version a crash left queued only here goes first
    gaps = completeness(data) + accuracy_gaps(data, paths, ws)
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
    if previous is not None and same_findings(previous, doc):
        raise NothingChanged(previous.version)
    ws.backup(FINALISE)  # kept apart from the rolling five: the visit as it was before
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
    report_progress(1, 1, "Checking")
    due = laptop_due(data, paths) if paths is not None else None
    history = [*version_records(ws), _record(row, doc)]
    report_sha, docx_sha = _render_final_report(
        ws, data, row, report_progress, due=due, history=history
    )
    public_key, signature = _sign(key, body)
    row = SnapshotRow(
        **{
            **_fields(row),
            "report_sha256": report_sha,
            "public_key": public_key,
            "signature": signature,
        }
    )
    # The report is already durably in the blob store (fsynced, renamed, folder fsynced), and
    # findings.json is the row itself: the commit below is the one moment the version exists.
    _pause_for_tests("before_snapshot")
    # Before the snapshot: a crash between the two leaves a key naming no version (harmless),
    # never a version whose DOCX is forgotten.
    ws.set_local(DOCX_KEY + row.snapshot_id, docx_sha)
    try:
        ws.add_snapshot(row, before_commit=lambda: _pause_for_tests("after_snapshot"))
    except SnapshotRefused:
        raise FinalisedMeanwhile(row.version) from None
    _pause_for_tests("after_commit")
    queued = row.snapshot_id in hand_over(ws, paths, key)
    _pause_for_tests("after_handover")
    return _snapshot(ws, row, queued)


def hand_over(
    ws: Workspace, paths: AppPaths | None, key: Ed25519PrivateKey | None = None
) -> list[str]:
    """Put every snapshot whose outbox item is not yet in the installation's sending queue
    there, oldest first, and record it; the ids handed over. Nothing without ``paths`` (or in a
    build with no outbox): the items wait, durable, for a call that has them.

    A snapshot finalised by an older app has no signature: it is signed here, before it goes,
    with this laptop's device key (``key``, by default that of ``paths``): only the lead's
    laptop finalises, so the laptop holding the snapshot is the one that signed it off. One an
    older app already handed over unsigned is handed over again, signed; the sending queue
    puts the signed envelope in place of the unsigned one unless the service already has it
    (``sync.outbox.Outbox.enqueue``).
    """
    if paths is None:
        return []
    unsigned = ws.unsigned_snapshots()
    if unsigned:
        signer = key or device_key(paths)
        for snapshot_id in unsigned:
            _sign_stored(ws, snapshot_id, signer)
    todo = {e.snapshot_id for e in ws.snapshot_outbox(pending=True)} | set(unsigned)
    if not todo:
        return []
    handed = []
    for row in ws.snapshots():  # version 1 first
        if row.snapshot_id not in todo:
            continue
        env = envelope(ws, row)
        if not _enqueue(paths, env, blob_files(ws, env)):
            break
        ws.mark_handed_over(row.snapshot_id)
        handed.append(row.snapshot_id)
    return handed


def _sign(key: Ed25519PrivateKey, findings_json: bytes) -> tuple[str, str]:
    """(public key, signature), both hex, of ``findings_json`` signed with ``key``."""
    from sync.authorship import public_hex, sign_findings  # noqa: PLC0415 (cryptography)

    return public_hex(key), sign_findings(key, findings_json)


def _sign_stored(ws: Workspace, snapshot_id: str, key: Ed25519PrivateKey) -> None:
    row = ws.snapshot(snapshot_id)
    if row is None or row.signature is not None:
        return
    ws.sign_snapshot(snapshot_id, *_sign(key, row.findings_json))
    log.info("finalise: signed version %d (%s), finalised unsigned", row.version, snapshot_id)


def _pause_for_tests(point: str) -> None:
    """With ``REVIEWER_APP_TEST_PAUSE=point``: say so on stderr and wait to be killed."""
    if os.environ.get(PAUSE_VAR) == point:
        sys.stderr.write(f"paused at {point}\n")
        sys.stderr.flush()
        time.sleep(3600)


def _document(ws: Workspace, data: VisitData, paths: AppPaths | None) -> dict[str, Any]:
    """The next version's ``findings.json``: the visit, and (while a round of the provider's
    comments on the latest version is being answered) every answer, ``accuracy_answers``."""
    kit = ws.kit_info() or {}
    doc = findings_document(
        data,
        kit_id=str(kit.get("kit_id", "")),
        blob_size=ws.blobs.size,
        paths=paths,
    )
    answers = accuracy.answers_for_findings(ws, paths) if paths is not None else []
    if answers:
        doc["accuracy_answers"] = answers
    return doc


def same_findings(previous: SnapshotRow, doc: dict[str, Any]) -> bool:
    """Whether ``doc`` (the next version's findings) says nothing ``previous`` did not.

    The answers to a round of comments are recorded once, by the version that answers them:
    once it exists the round is over and the visit's document has no answers, so that version
    is compared without its own (else it would never be "unchanged" again, and a final report
    could never be made from the workspace)."""
    if doc.get("accuracy_answers"):
        return content_sha256(doc) == previous.content_sha256
    before = json.loads(previous.findings_json)
    before.pop("accuracy_answers", None)
    return content_sha256(before) == content_sha256(doc)


def version_records(ws: Workspace, upto: int | None = None) -> list[VersionRecord]:
    """The finalised versions (up to version ``upto``) as the report's version history needs
    them, version 1 first."""
    return [_record(row) for row in ws.snapshots() if upto is None or row.version <= upto]


def _record(row: SnapshotRow, doc: dict[str, Any] | None = None) -> VersionRecord:
    from reviewer_app.report.model import VersionRecord  # noqa: PLC0415

    findings_doc = doc if doc is not None else json.loads(row.findings_json)
    answers = findings_doc.get("accuracy_answers") or []
    return VersionRecord(
        row.version,
        row.signed_off_by,
        row.signed_off_at,
        tuple(a for a in answers if isinstance(a, dict)),
    )


def unchanged_since(ws: Workspace, paths: AppPaths | None = None) -> int | None:
    """The version of the latest snapshot if the visit's findings are still exactly what it
    froze (finalising again would refuse: nothing to amend); else None. Runs on the worker.

    It first hands over any version a crash left queued only in the workspace, so "nothing has
    changed since version N" is said only of a version that is on its way.
    """
    hand_over(ws, paths)
    previous = ws.latest_snapshot()
    if previous is None:
        return None
    data = read_visit_data(ws)
    try:
        same = same_findings(previous, _document(ws, data, paths))
    except (OSError, ValueError):  # a photo not on this laptop, a value out of format: changed
        return None
    return previous.version if same else None


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
    ws: Workspace,
    data: VisitData,
    row: SnapshotRow,
    progress: Progress,
    *,
    due: date | None,
    history: list[VersionRecord],
) -> tuple[str, str]:
    """The version's report (no DRAFT, its version and hash, its version history) as PDF and
    DOCX, each stored by hash; their SHA-256s. One model, rendered twice; the DOCX after the
    PDF, with its own progress (the PDF is what the service needs; the DOCX is for editing)."""
    from reviewer_app.report import (  # noqa: PLC0415
        FinalInfo,
        build_report_model,
        render_docx_bytes,
        render_pdf_bytes,
    )

    final = FinalInfo(
        version=row.version,
        snapshot_id=row.snapshot_id,
        content_sha256=row.content_sha256,
        signed_off_by=row.signed_off_by,
        signed_off_at=row.signed_off_at,
    )
    signed = date.fromisoformat(row.signed_off_at[:10])
    model = build_report_model(
        data,
        open_blob=ws.blobs.open,
        final=final,
        report_date=signed,
        confirmation_due=due,
        history=history,
    )
    # Rendered in memory and sealed into the store: the report is never on disk in the clear.
    pdf = ws.blobs.put_bytes(render_pdf_bytes(model, progress_part(progress, 0, 2 / 3)))
    docx = ws.blobs.put_bytes(render_docx_bytes(model, progress_part(progress, 2 / 3, 1 / 3)))
    return pdf, docx


def progress_part(progress: Progress, first: float, share: float) -> Progress:
    """``progress`` for one step of several: a step's counts become the fraction ``first`` to
    ``first + share`` of the whole (the PDF, then the DOCX: one bar that never goes back)."""

    def part(done: int, total: int, what: str) -> None:
        progress(round(1000 * (first + share * done / max(total, 1))), 1000, what)

    return part


def _enqueue(paths: AppPaths | None, env: dict[str, Any], blobs: dict[str, Path]) -> bool:
    """Hand the snapshot to the outbox (reviewer_app.central.service) when this build has one."""
    if paths is None:
        return False
    try:
        central = importlib.import_module("reviewer_app.central.service")
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


# -- from the command line (reviewer-app finalise) ----------------------------------------------


def privacy_id(hit: PrivacyHit) -> str:
    """A short, stable name for a possible piece of personal data, to confirm it by
    (``--confirm-privacy ID``): the first 10 hex digits of the SHA-256 of its key."""
    return hashlib.sha256(hit.key.encode("utf-8")).hexdigest()[:10]


def finalise_visit(
    paths: AppPaths,
    visit_id: str,
    *,
    sign_off: bool,
    confirm: Iterable[str] = (),
    progress: Progress | None = None,
) -> Snapshot:
    """Finalise the visit headlessly, with the window's checks, as the workspace's member.

    ``confirm`` names possible personal data (:func:`privacy_id`) the lead confirms is not
    patient-identifying; they are kept with the window's confirmations. Raises ``LeadOnly``
    unless the workspace's member is the lead, ``FinaliseRefused`` (with ``gaps`` and ``hits``)
    while something is missing, ``NothingChanged``, and ``NotSignedOff`` without ``sign_off``.
    """
    with open_workspace(paths, existing_workspace(paths, visit_id)) as ws:
        member = str(ws.get_local("member_id") or "")
        data = read_visit_data(ws)
        findings.require_lead(data.visit, member, "finalises the findings")
        confirmed = _confirm(ws, data, confirm)
        gaps = completeness(data) + accuracy_gaps(data, paths, ws)
        hits = unconfirmed(privacy_hits(data), confirmed)
        if gaps or hits:
            raise _refusal(gaps, hits)
        version = unchanged_since(ws, paths)
        if version is not None:
            raise NothingChanged(version)
        if not sign_off:
            lead = data.visit.lead
            name = lead.name if lead is not None else member
            raise NotSignedOff(
                f"Ready to finalise; run again with --sign-off to sign off as {name}"
            )
        return finalise(
            ws, signed_off_by=member, confirmed_privacy=confirmed, paths=paths, progress=progress
        )


def _confirm(ws: Workspace, data: VisitData, ids: Iterable[str]) -> frozenset[str]:
    """The stored privacy confirmations, plus those named by ``ids`` (stored too, as the
    window stores a tick)."""
    stored: Any = ws.get_local(CONFIRMED_KEY, [])
    keys = {str(k) for k in stored} if isinstance(stored, list) else set()
    wanted = set(ids)
    if not wanted:
        return frozenset(keys)
    by_id = {privacy_id(h): h.key for h in privacy_hits(data)}
    unknown = sorted(wanted - set(by_id))
    if unknown:
        raise UserError(
            f"No possible personal data has the id {', '.join(unknown)}; run "
            "`reviewer-app finalise` without --sign-off to list them with their ids."
        )
    keys |= {by_id[i] for i in wanted}
    ws.set_local(CONFIRMED_KEY, sorted(keys))
    return frozenset(keys)


def snapshot_dict(snap: Snapshot) -> dict[str, Any]:
    """A new snapshot as ``reviewer-app finalise --json`` prints it."""
    return {
        "status": "finalised",
        "visit_id": snap.findings["visit"]["visit_id"],
        "version": snap.version,
        "snapshot_id": snap.snapshot_id,
        "supersedes": snap.supersedes,
        "content_sha256": snap.content_sha256,
        "report_sha256": snap.row.report_sha256,
        "signed_off_by": snap.signed_off_by,
        "signed_off_at": snap.signed_off_at,
        "device_public_key": snap.device_public_key,
        "queued": snap.queued,
    }


def refusal_lines(refused: FinaliseRefused) -> list[str]:
    """What stands in the way, one line each: ``gap: ...`` and ``privacy ID: ...``."""
    return [f"gap: {g.message}" for g in refused.gaps] + [
        f"privacy {privacy_id(h)}: {h.message()}" for h in refused.hits
    ]


def refusal_dict(refused: FinaliseRefused) -> dict[str, Any]:
    """A refusal as ``reviewer-app finalise --json`` prints it: ``status`` is "refused"
    (gaps or privacy hits), "unchanged" (with ``version``) or "not_signed_off"."""
    status = "refused"
    if isinstance(refused, NothingChanged):
        status = "unchanged"
    elif isinstance(refused, NotSignedOff):
        status = "not_signed_off"
    out: dict[str, Any] = {
        "status": status,
        "message": refusal_sentence(refused),
        "gaps": [
            {
                "kind": g.kind,
                "message": g.message,
                "ref": g.ref,
                "component": g.component,
                "finding_id": g.finding_id,
            }
            for g in refused.gaps
        ],
        "privacy": [
            {
                "id": privacy_id(h),
                "key": h.key,
                "kind": h.kind,
                "label": h.label,
                "match": h.match,
                "message": h.message(),
            }
            for h in refused.hits
        ],
    }
    if isinstance(refused, NothingChanged):
        out["version"] = refused.version
    return out


def refusal_sentence(refused: FinaliseRefused) -> str:
    """One sentence for the refusal; the gaps and hits themselves are listed apart."""
    if not (refused.gaps or refused.hits):
        return f"{refused}."
    parts = []
    if refused.gaps:
        parts.append(f"{len(refused.gaps)} thing(s) to finish")
    if refused.hits:
        parts.append(
            f"{len(refused.hits)} possible piece(s) of personal data to edit, or to confirm "
            "(--confirm-privacy ID) if not patient-identifying"
        )
    return f"Not finalised: {' and '.join(parts)}."
