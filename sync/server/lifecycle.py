"""A visit after its end: the steps it reaches, approval, the final report and its publication.

docs/after-the-visit.md is the contract. Each step (``STEPS``) is recorded once, with the date it
was first reached (``visit_steps``; :func:`record_step` inserts or ignores, so a step reached
again, or by two requests at once, keeps its first date). The timeline counts from the visit's
end: ``days`` in calendar days, ``due`` in working days (Monday to Friday,
:mod:`sync.working_days`) as the programme's settings expect.

Approval, the final report and publication are one row per version each (their primary key is
the snapshot id), written with ``INSERT ... ON CONFLICT``: the same request again changes
nothing, and of two at once one makes the row and the other reads it.
"""

from __future__ import annotations

import json
import statistics
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from sync.kit_model import VisitDetails
from sync.server.accounts import ServiceError, User, record_audit
from sync.server.db import (
    STEPS,
    Database,
    approvals,
    blob_owners,
    blobs,
    final_reports,
    insert_or_ignore,
    now_iso,
    programme_settings,
    publications,
    submissions,
    visit_steps,
    visits,
)
from sync.server.kits import member_of_visit, visit_details
from sync.working_days import add_working_days

DEFAULT_EXPECTED_DAYS: dict[str, int] = {
    "feedback_sheet": 0,
    "v1_finalised": 5,
    "pack_sent": 10,
    "comments_returned": 20,
    "v2_finalised": 30,
    "approved": 45,
    "published": 50,
}
"""Working days from the visit's end to each step, unless the programme says otherwise."""
MAX_EXPECTED_DAYS = 3650


# -- steps ---------------------------------------------------------------------------------------


def record_step(conn: Connection, visit_id: str, step: str, at: str, by: str) -> bool:
    """The step's first date (True when this call recorded it; a later date is ignored).

    Not audited on its own: a step is recorded inside the write that reaches it (a kit's
    upload, a submission, staff's record), whose audit row says so."""
    if step not in STEPS:
        raise ValueError(f"{step!r} is not a step of a visit")
    added = conn.execute(
        insert_or_ignore(conn, visit_steps, visit_id=visit_id, step=step, at=at, recorded_by=by)
    ).rowcount
    return bool(added)


def record_kit_steps(conn: Connection, visit: VisitDetails, by: str) -> None:
    """A kit's upload: the visit's end (as its kit says)."""
    end = visit.end_date or visit.start_date
    if _day(end) is not None:
        record_step(conn, visit.visit_id, "visit_end", end, by)


def record_submission_steps(conn: Connection, envelope: dict[str, Any], by: str) -> None:
    """A submission's arrival: version 1 or a later one finalised, and the feedback sheet."""
    visit_id = str(envelope["visit_id"])
    step = "v1_finalised" if envelope["version"] == 1 else "v2_finalised"
    record_step(conn, visit_id, step, str(envelope["signed_off_at"]), by)
    sheet = envelope.get("feedback_sheet_at")
    if isinstance(sheet, str) and _day(sheet) is not None:
        record_step(conn, visit_id, "feedback_sheet", sheet, by)


def _day(text: str | None) -> date | None:
    """The date an ISO date or time names (its first ten characters), or None."""
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


# -- programme settings and the timeline -------------------------------------------------------


def expected_days(conn: Connection, programme: str, *, for_update: bool = False) -> dict[str, int]:
    query = select(programme_settings.c.expected_days).where(
        programme_settings.c.programme == programme
    )
    raw = conn.execute(query.with_for_update() if for_update else query).scalar()
    days = dict(DEFAULT_EXPECTED_DAYS)
    if raw is not None:
        stored = json.loads(raw)
        days.update({k: int(v) for k, v in stored.items() if k in DEFAULT_EXPECTED_DAYS})
    return days


def set_expected_days(
    db: Database, user: User, programme: str, changes: dict[str, int]
) -> dict[str, Any]:
    """Staff: the working days expected from the visit's end to each step named."""
    unknown = sorted(set(changes) - set(DEFAULT_EXPECTED_DAYS))
    if unknown:
        raise ServiceError(
            422,
            f"{', '.join(unknown)} is not a step with an expected time; use "
            f"{', '.join(DEFAULT_EXPECTED_DAYS)}.",
        )
    if any(not 0 <= v <= MAX_EXPECTED_DAYS for v in changes.values()):
        raise ServiceError(422, f"Expected days are whole numbers from 0 to {MAX_EXPECTED_DAYS}.")
    with db.write() as conn:
        # The row first (of two requests at once, one makes it), then read it locked
        # (FOR UPDATE: PostgreSQL holds it to the commit; SQLite's BEGIN IMMEDIATE already
        # did), so that two staff changing different steps at once both keep their change.
        at = now_iso()
        conn.execute(
            insert_or_ignore(
                conn,
                programme_settings,
                programme=programme,
                expected_days=json.dumps(DEFAULT_EXPECTED_DAYS, sort_keys=True),
                updated_by=user.name,
                updated_at=at,
            )
        )
        days = {**expected_days(conn, programme, for_update=True), **changes}
        conn.execute(
            update(programme_settings)
            .where(programme_settings.c.programme == programme)
            .values(
                expected_days=json.dumps(days, sort_keys=True), updated_by=user.name, updated_at=at
            )
        )
        record_audit(conn, user.name, "programme_settings", programme, expected_days=changes)
    return {"programme": programme, "expected_days": days}


def timeline(db: Database, programme: str, today: date | None = None) -> dict[str, Any]:
    """Every visit of ``programme`` with its steps: when reached, days since the visit's end,
    when due and whether overdue; and per step the median days of the visits that reached it."""
    today = today or date.today()
    with db.read() as conn:
        expected = expected_days(conn, programme)
        rows = conn.execute(
            select(visits.c.visit_id, visits.c.title, visits.c.details)
            .where(visits.c.programme == programme)
            .order_by(visits.c.visit_id)
        ).all()
        ids = [r.visit_id for r in rows]
        reached: dict[str, dict[str, str]] = {i: {} for i in ids}
        if ids:
            for s in conn.execute(select(visit_steps).where(visit_steps.c.visit_id.in_(ids))):
                reached[s.visit_id][s.step] = s.at
    listed = [_visit_line(r, reached[r.visit_id], expected, today) for r in rows]
    listed.sort(key=lambda v: (v["steps"]["visit_end"]["at"] or "9999", v["title"]))
    medians: dict[str, float | None] = {}
    for step in STEPS:
        days = [v["steps"][step]["days"] for v in listed if v["steps"][step]["days"] is not None]
        medians[step] = statistics.median(days) if days else None
    return {
        "programme": programme,
        "steps": list(STEPS),
        "expected_days": expected,
        "visits": listed,
        "median_days": medians,
    }


def _visit_line(
    row: Any, reached: dict[str, str], expected: dict[str, int], today: date
) -> dict[str, Any]:
    details = json.loads(row.details)
    if "visit_end" not in reached:  # a kit uploaded before the service recorded steps
        kit_end = str(details.get("end_date") or details.get("start_date") or "")
        if _day(kit_end) is not None:
            reached = {**reached, "visit_end": kit_end}
    end = _day(reached.get("visit_end"))
    steps: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        at = reached.get(step)
        day = _day(at)
        due = (
            add_working_days(end, expected[step]) if end is not None and step in expected else None
        )
        steps[step] = {
            "at": at,
            "days": (day - end).days if day is not None and end is not None else None,
            "due": due.isoformat() if due is not None else None,
            "overdue": at is None and due is not None and due < today,
        }
    state = next((s for s in reversed(STEPS) if s in reached), "planned")
    return {
        "visit_id": row.visit_id,
        "title": row.title,
        "organisations": [
            str(o.get("name", "")) for o in details.get("organisations", []) if isinstance(o, dict)
        ],
        "state": state,
        "steps": steps,
    }


# -- versions ------------------------------------------------------------------------------------


def submission_row(conn: Connection, snapshot_id: str) -> Any:
    row = conn.execute(
        select(
            submissions.c.snapshot_id,
            submissions.c.visit_id,
            submissions.c.version,
            submissions.c.state,
        ).where(submissions.c.snapshot_id == snapshot_id)
    ).first()
    if row is None:
        raise ServiceError(404, "There is no submission with that id; check the snapshot id.")
    return row


def latest_version(conn: Connection, visit_id: str) -> Any:
    """The visit's newest submission staff have not rejected, or None."""
    return conn.execute(
        select(submissions.c.snapshot_id, submissions.c.version)
        .where(submissions.c.visit_id == visit_id, submissions.c.state != "rejected")
        .order_by(submissions.c.version.desc(), submissions.c.created_at.desc())
        .limit(1)
    ).first()


def is_lead(conn: Connection, user: User, visit_id: str) -> bool:
    details = visit_details(conn, visit_id)
    lead = details.lead if details is not None else None
    return lead is not None and member_of_visit(conn, user, visit_id) == lead.member_id


# -- approval ------------------------------------------------------------------------------------


def approve(
    db: Database,
    user: User,
    snapshot_id: str,
    *,
    approved_by: str,
    approved_at: str,
    conditions: str,
) -> tuple[int, dict[str, Any]]:
    """Staff record the approval of the visit's latest version; (201 or 200, the approval)."""
    if _day(approved_at) is None:
        raise ServiceError(422, "Give the approval's date as an ISO date, like 2027-02-01.")
    with db.write() as conn:
        row = submission_row(conn, snapshot_id)
        latest = latest_version(conn, row.visit_id)
        if row.state == "rejected" or latest is None or latest.snapshot_id != snapshot_id:
            raise ServiceError(
                409,
                f"Version {row.version} is not the visit's latest version"
                f"{f' ({latest.version})' if latest is not None else ''}; approve that one.",
            )
        values = {
            "approved_by": approved_by,
            "approved_at": approved_at,
            "conditions": conditions,
        }
        added = conn.execute(
            insert_or_ignore(
                conn,
                approvals,
                snapshot_id=snapshot_id,
                visit_id=row.visit_id,
                recorded_by=user.name,
                recorded_at=now_iso(),
                **values,
            )
        ).rowcount
        stored = _approval(conn, snapshot_id)
        assert stored is not None
        if not added:
            if {k: stored[k] for k in values} != values:
                raise ServiceError(
                    409, "This version's approval is already recorded with other details."
                )
            return 200, stored
        record_step(conn, row.visit_id, "approved", approved_at, user.name)
        record_audit(conn, user.name, "approve", snapshot_id, **values)
        return 201, stored


def _approval(conn: Connection, snapshot_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(approvals).where(approvals.c.snapshot_id == snapshot_id)).first()
    return _approval_dict(row) if row is not None else None


def _approval_dict(row: Any) -> dict[str, Any]:
    return {
        "snapshot_id": row.snapshot_id,
        "approved_by": row.approved_by,
        "approved_at": row.approved_at,
        "conditions": row.conditions,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at,
    }


# -- the final report ----------------------------------------------------------------------------


def put_final_report(
    db: Database,
    user: User,
    snapshot_id: str,
    pdf: dict[str, Any],
    docx: dict[str, Any] | None,
) -> tuple[int, dict[str, Any]]:
    """The visit's lead registers the final report of an approved version (its blobs, which
    they uploaded). Until it is published, a report made again replaces it."""
    with db.write() as conn:
        row = submission_row(conn, snapshot_id)
        if not is_lead(conn, user, row.visit_id):
            raise ServiceError(403, "Only the visit's lead reviewer may send its final report.")
        if _approval(conn, snapshot_id) is None:
            raise ServiceError(
                409,
                f"Version {row.version} is not approved; only an approved version has a "
                "final report.",
            )
        files = [pdf] + ([docx] if docx is not None else [])
        _check_blobs(conn, user, files)
        values = {
            "pdf_sha256": pdf["sha256"],
            "pdf_size": pdf["size"],
            "docx_sha256": docx["sha256"] if docx else None,
            "docx_size": docx["size"] if docx else None,
        }
        at = now_iso()
        added = conn.execute(
            insert_or_ignore(
                conn,
                final_reports,
                snapshot_id=snapshot_id,
                visit_id=row.visit_id,
                uploaded_by=user.name,
                uploaded_at=at,
                **values,
            )
        ).rowcount
        if not added:
            stored = _final_report(conn, snapshot_id)
            assert stored is not None
            if all(stored[k] == v for k, v in values.items()):
                return 200, stored
            if _publication(conn, snapshot_id) is not None:
                raise ServiceError(
                    409, "This version's final report is published already; it cannot change."
                )
            conn.execute(
                update(final_reports)
                .where(final_reports.c.snapshot_id == snapshot_id)
                .values(uploaded_by=user.name, uploaded_at=at, **values)
            )
        record_audit(conn, user.name, "final_report", snapshot_id, **values)
        result = _final_report(conn, snapshot_id)
        assert result is not None
        return 201 if added else 200, result


def _check_blobs(conn: Connection, user: User, files: list[dict[str, Any]]) -> None:
    """Each file is a complete blob of that size that ``user`` uploaded (so nobody publishes
    content they were never given by naming its hash)."""
    missing = []
    for f in files:
        row = conn.execute(
            select(blobs.c.size)
            .join(blob_owners, blob_owners.c.sha256 == blobs.c.sha256)
            .where(blobs.c.sha256 == f["sha256"], blob_owners.c.user_id == user.id)
        ).first()
        if row is None:
            missing.append(f["sha256"])
        elif row.size != f["size"]:
            raise ServiceError(422, "A final report's size is not the size of the file sent.")
    if missing:
        raise ServiceError(
            422, "The final report's files have not arrived; send them first.", missing=missing
        )


def _final_report(conn: Connection, snapshot_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(final_reports).where(final_reports.c.snapshot_id == snapshot_id)
    ).first()
    return _final_report_dict(row) if row is not None else None


def _final_report_dict(row: Any) -> dict[str, Any]:
    return {
        "snapshot_id": row.snapshot_id,
        "pdf_sha256": row.pdf_sha256,
        "pdf_size": row.pdf_size,
        "docx_sha256": row.docx_sha256,
        "docx_size": row.docx_size,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at,
    }


# -- publication ---------------------------------------------------------------------------------


def publish(db: Database, user: User, snapshot_id: str) -> tuple[int, dict[str, Any]]:
    """Staff publish a version's final report: one publication a visit, the newest version's."""
    with db.write() as conn:
        row = submission_row(conn, snapshot_id)
        report = _final_report(conn, snapshot_id)
        if report is None:
            raise ServiceError(
                409,
                f"Version {row.version} has no final report yet; the lead's app sends it "
                "after approval, then publish.",
            )
        at = now_iso()
        values = {"pdf_sha256": report["pdf_sha256"], "published_by": user.name, "published_at": at}
        added = conn.execute(
            insert_or_ignore(
                conn, publications, snapshot_id=snapshot_id, visit_id=row.visit_id, **values
            )
        ).rowcount
        if not added:
            current = conn.execute(
                select(publications.c.snapshot_id, submissions.c.version)
                .join(submissions, submissions.c.snapshot_id == publications.c.snapshot_id)
                .where(publications.c.visit_id == row.visit_id)
            ).first()
            if current is not None and current.snapshot_id == snapshot_id:
                stored = _publication(conn, snapshot_id)
                assert stored is not None
                return 200, stored
            if current is not None and current.version > row.version:
                raise ServiceError(
                    409,
                    f"Version {current.version} of this visit is published already; "
                    "an older version cannot replace it.",
                )
            # A newer version's report replaces the older one's (one publication a visit),
            # unless another request replaced it meanwhile.
            replaced = conn.execute(
                update(publications)
                .where(
                    publications.c.visit_id == row.visit_id,
                    publications.c.snapshot_id == (current.snapshot_id if current else None),
                )
                .values(snapshot_id=snapshot_id, **values)
            ).rowcount
            if not replaced:
                raise ServiceError(
                    409,
                    "Another version of this visit was published at the same moment; "
                    "look at the visit and publish again if need be.",
                )
        record_step(conn, row.visit_id, "published", at, user.name)
        record_audit(conn, user.name, "publish", snapshot_id, pdf_sha256=report["pdf_sha256"])
        stored = _publication(conn, snapshot_id)
        assert stored is not None
        return 201, stored


def _publication(conn: Connection, snapshot_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(publications).where(publications.c.snapshot_id == snapshot_id)
    ).first()
    return _publication_dict(row) if row is not None else None


def _publication_dict(row: Any) -> dict[str, Any]:
    return {
        "snapshot_id": row.snapshot_id,
        "visit_id": row.visit_id,
        "pdf_sha256": row.pdf_sha256,
        "published_by": row.published_by,
        "published_at": row.published_at,
    }


def published(db: Database, programme: str | None = None) -> list[dict[str, Any]]:
    """Every published final report (of ``programme``), newest first."""
    query = (
        select(
            publications.c.visit_id,
            publications.c.published_at,
            publications.c.pdf_sha256,
            visits.c.title,
            visits.c.programme,
            submissions.c.version,
        )
        .join(visits, visits.c.visit_id == publications.c.visit_id)
        .join(submissions, submissions.c.snapshot_id == publications.c.snapshot_id)
        .order_by(publications.c.published_at.desc(), publications.c.visit_id)
    )
    if programme is not None:
        query = query.where(visits.c.programme == programme)
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "visit_id": r.visit_id,
            "title": r.title,
            "programme": r.programme,
            "version": r.version,
            "published_at": r.published_at,
            "pdf_sha256": r.pdf_sha256,
        }
        for r in rows
    ]


def published_file(db: Database, visit_id: str, fmt: str) -> tuple[str, int]:
    """(SHA-256, size) of a visit's published final report as ``fmt`` ("pdf" or "docx")."""
    with db.read() as conn:
        row = conn.execute(
            select(final_reports)
            .join(publications, publications.c.snapshot_id == final_reports.c.snapshot_id)
            .where(publications.c.visit_id == visit_id)
        ).first()
    sha, size = (
        ((row.pdf_sha256, row.pdf_size) if fmt == "pdf" else (row.docx_sha256, row.docx_size))
        if row is not None
        else (None, None)
    )
    if sha is None or size is None:
        raise ServiceError(404, f"That visit has no published final report as {fmt.upper()}.")
    return str(sha), int(size)


# -- per submission, for the lead's and staff's listing ----------------------------------------


def after_the_visit(conn: Connection, snapshot_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per snapshot id: its ``approval``, ``final_report`` and ``publication`` (each or None)."""
    out: dict[str, dict[str, Any]] = {
        i: {"approval": None, "final_report": None, "publication": None} for i in snapshot_ids
    }
    if not snapshot_ids:
        return out
    for key, table, as_dict in (
        ("approval", approvals, _approval_dict),
        ("final_report", final_reports, _final_report_dict),
        ("publication", publications, _publication_dict),
    ):
        for row in conn.execute(select(table).where(table.c.snapshot_id.in_(snapshot_ids))):
            out[row.snapshot_id][key] = as_dict(row)
    return out
