"""The final report of an approved version (docs/after-the-visit.md, "Approval and publication").

Staff record a version's approval on the central service; the lead's laptop then renders the
**final report**: no DRAFT, "Final" on every page, the approval (who, when, conditions) and the
version history, as PDF and DOCX, from the workspace. It may only do so while the workspace is
still exactly what that version froze (:func:`reviewer_app.lead.finalise.unchanged_since`): the
report is rendered from the visit, not from the snapshot, so a visit edited since would print
words nobody approved.

:func:`make_final_report` runs where the workspace is open (the storage worker in the window,
the sync's own connection otherwise). What it made is kept in the workspace's ``local`` table
(``final_report:<snapshot id>``: both hashes and the approval they print), so a sync after the
window's "Make the final report" uploads the same files rather than rendering again; a
different approval (staff corrected it) renders again. The sync
(:mod:`reviewer_app.central.service`) uploads both blobs and registers them with
``PUT /v1/submissions/{snapshot_id}/final-report``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import finalise as fin
from reviewer_app.visit.outside import PdfInMemory
from reviewer_app.visit.read_model import read_visit_data
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_workspace
from storage import BlobStore, Workspace, WorkspaceError
from storage.visit_keys import VisitKeyError
from sync.kit_model import VisitDetails
from sync.progress import Progress, no_progress

log = logging.getLogger(__name__)

FINAL_KEY = "final_report:"  # + snapshot id, in the workspace's local table
WORKSPACE_FILE = "workspace.sqlite"


@dataclass(frozen=True, slots=True)
class Approval:
    """A version's approval as the service records it."""

    approved_by: str
    approved_at: str
    conditions: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Approval:
        return cls(
            str(d.get("approved_by") or ""),
            str(d.get("approved_at") or ""),
            str(d.get("conditions") or ""),
        )


@dataclass(frozen=True, slots=True)
class FinalReport:
    """The final report of one version, its two files stored by hash in the workspace's store
    (sealed: read them through ``store``, which needs no open connection)."""

    snapshot_id: str
    version: int
    pdf_sha256: str
    pdf_size: int
    docx_sha256: str
    docx_size: int
    store: BlobStore = field(compare=False, repr=False)

    def hashes(self) -> tuple[str, str]:
        """The SHA-256 of the PDF, then of the DOCX."""
        return self.pdf_sha256, self.docx_sha256

    def body(self) -> dict[str, Any]:
        """What ``PUT /v1/submissions/{snapshot_id}/final-report`` carries."""
        return {
            "pdf": {"sha256": self.pdf_sha256, "size": self.pdf_size},
            "docx": {"sha256": self.docx_sha256, "size": self.docx_size},
        }


class NotAsApproved(UserError):
    """The workspace is no longer what the approved version froze (or is not that version)."""


def not_as_approved(version: int, title: str) -> NotAsApproved:
    return NotAsApproved(
        f"Version {version} of {title} is approved, but the visit has changed on this laptop "
        f"since it was finalised, so its final report cannot be made from it. Undo the changes "
        f"made since version {version}, then make the final report (or sync again); or finalise "
        "a new version and ask programme staff to approve that one."
    )


def made(ws: Workspace, snapshot_id: str, approval: Approval | None = None) -> FinalReport | None:
    """The final report already made for the snapshot (with ``approval``, when given), if its
    files are still here."""
    kept = ws.get_local(FINAL_KEY + snapshot_id)
    if not isinstance(kept, dict):
        return None
    pdf, docx = kept.get("pdf"), kept.get("docx")
    if not (isinstance(pdf, str) and isinstance(docx, str)):
        return None
    if not (ws.blobs.has(pdf) and ws.blobs.has(docx)):
        return None
    if approval is not None and kept.get("approval") != asdict(approval):
        return None
    return FinalReport(
        snapshot_id,
        int(kept.get("version", 0) or 0),
        pdf,
        ws.blobs.size(pdf),
        docx,
        ws.blobs.size(docx),
        ws.blobs,
    )


def make_final_report(
    ws: Workspace,
    snapshot_id: str,
    approval: Approval,
    *,
    paths: AppPaths | None,
    progress: Progress | None = None,
    today: date | None = None,
) -> FinalReport:
    """Render (or find, when already made with this approval) the final report of the
    snapshot: ``NotAsApproved`` unless the workspace is unchanged since it and it is the
    latest version; a UserError when the version is not on this laptop."""
    row = ws.snapshot(snapshot_id)
    if row is None:
        raise UserError(
            f"The approved version ({snapshot_id}) was not finalised on this laptop; make the "
            "final report on the lead's laptop that finalised it."
        )
    done = made(ws, snapshot_id, approval)
    if done is not None:
        return done
    data = read_visit_data(ws)
    latest = ws.latest_snapshot()
    if latest is not None and latest.version != row.version:
        raise NotAsApproved(
            f"Version {row.version} of {data.visit.title} is approved, but version "
            f"{latest.version} was finalised since, so its final report is not made; ask "
            f"programme staff to approve version {latest.version}."
        )
    if fin.unchanged_since(ws, paths) != row.version:
        raise not_as_approved(row.version, data.visit.title)
    from reviewer_app.lead.risks import laptop_due  # noqa: PLC0415
    from reviewer_app.report import (  # noqa: PLC0415 (reportlab, python-docx)
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
        approved_by=approval.approved_by,
        approved_at=approval.approved_at,
        conditions=approval.conditions,
    )
    model = build_report_model(
        data,
        open_blob=ws.blobs.open,
        final=final,
        report_date=today or date.today(),
        confirmation_due=laptop_due(data, paths) if paths is not None else None,
        history=fin.version_records(ws, upto=row.version),
    )
    # Rendered in memory and sealed into the store: the report is never on disk in the clear.
    shown = progress or no_progress
    pdf_sha = ws.blobs.put_bytes(render_pdf_bytes(model, fin.progress_part(shown, 0, 2 / 3)))
    docx_sha = ws.blobs.put_bytes(render_docx_bytes(model, fin.progress_part(shown, 2 / 3, 1 / 3)))
    kept = {"version": row.version, "pdf": pdf_sha, "docx": docx_sha, "approval": asdict(approval)}
    ws.set_local(FINAL_KEY + snapshot_id, kept)
    report = made(ws, snapshot_id, approval)
    assert report is not None  # just stored
    return report


def viewable(report: FinalReport, visit_id: str) -> PdfInMemory:
    """The final report's PDF, decrypted into memory for the app's preview (which writes a
    copy only when the lead asks for the system's PDF viewer)."""
    name = f"approved-report-v{report.version}-{visit_id}.pdf"
    return PdfInMemory(name, report.store.read_bytes(report.pdf_sha256))


def start_final_report(
    session: VisitSession,
    snapshot_id: str,
    approval: Approval,
    paths: AppPaths,
    progress: Progress | None = None,
) -> Future[FinalReport]:
    """:func:`make_final_report` on the session's storage worker (the window)."""
    return session.worker.submit(
        lambda ws: make_final_report(ws, snapshot_id, approval, paths=paths, progress=progress)
    )


def approved_version(
    submissions: list[dict[str, Any]],
) -> tuple[dict[str, Any], Approval] | None:
    """The approved submission of a visit (the service approves only its latest non-rejected
    version) and its approval, from ``GET /v1/visits/{visit_id}/submissions``; None if none."""
    for sub in sorted(submissions, key=lambda s: int(s.get("version") or 0), reverse=True):
        approval = sub.get("approval")
        if isinstance(approval, Mapping):
            return sub, Approval.from_dict(approval)
    return None


def remembered_approval(paths: AppPaths, visit_id: str) -> tuple[dict[str, Any], Approval] | None:
    """The visit's approved version as the last sync saw it (the window, offline)."""
    from reviewer_app.central.status import remembered  # noqa: PLC0415

    visits = remembered(paths).get("visits", {})
    subs = visits.get(visit_id) if isinstance(visits, dict) else None
    return approved_version(subs) if isinstance(subs, list) else None


def make_from_last_sync(
    ws: Workspace, visit_id: str, paths: AppPaths, progress: Progress | None = None
) -> FinalReport:
    """The window's "Make the final report": of the version the last sync saw approved (run on
    the visit's storage worker: ``session.worker.submit(make_from_last_sync, ...)``)."""
    found = remembered_approval(paths, visit_id)
    if found is None:
        raise UserError(
            "No version of this visit is approved yet, as far as the last sync knows: sync "
            "with the central service once programme staff have recorded the approval."
        )
    sub, approval = found
    return make_final_report(ws, str(sub["snapshot_id"]), approval, paths=paths, progress=progress)


# -- the visits this laptop leads ---------------------------------------------------------------


def led_visits(paths: AppPaths) -> list[tuple[str, Path]]:
    """(visit id, workspace file) of each visit whose workspace here is the lead's."""
    out: list[tuple[str, Path]] = []
    if not paths.visits.is_dir():
        return out
    for file in sorted(paths.visits.glob(f"*/{WORKSPACE_FILE}")):
        try:
            with open_workspace(paths, file, backup=False) as ws:
                info = ws.kit_info()
                member = str(ws.get_local("member_id") or "")
        except (WorkspaceError, VisitKeyError, OSError) as exc:
            log.warning("visit %s not looked at: %s", file.parent.name, exc)
            continue
        if info is None:
            continue
        try:
            visit = VisitDetails.from_dict(json.loads(info["manifest_json"])["visit"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("visit %s: its kit cannot be read: %s", file.parent.name, exc)
            continue
        lead = visit.lead
        if lead is not None and lead.member_id == member:
            out.append((visit.visit_id, file))
    return out
