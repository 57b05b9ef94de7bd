"""Finalised findings arriving at the service, exactly once, and what staff say about them.

``PUT /v1/submissions/{snapshot_id}`` is idempotent by snapshot id: the first arrival is stored
with a receipt in one transaction (201); the same envelope again gets that stored receipt (200),
so a laptop whose response was lost simply sends again; another envelope under the same id is a
409 and changes nothing. "Same" means the same canonical envelope bytes (sorted keys, UTF-8),
so a resend that differs in any field, not only in the findings, is refused.

The findings are signed by the lead's device key (``device_public_key``, ``signature``):
``check_envelope`` verifies the signature (a forged one is a 422), and the key must be the one
pinned to the lead's account by their first submission (``accounts.pin_device_key``; another
key is a 403 until staff reset it). A repeat of a stored submission is answered before the pin
is looked at: a stored submission keeps its receipt whatever happens to the pin afterwards.

Who may send is settled before anything else (issue 17): only the visit's lead, signing the
findings off as the lead (``signed_off_by``), is told whether the id is taken (409) or given a
stored receipt; anyone else gets 403 for an exact copy of someone's submission too. The
envelope's shape and bounds were checked by the route (:mod:`sync.server.request_models`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.findings_format import (
    FindingsFormatError,
    canonical_bytes,
    check_envelope,
    envelope_blob_hashes,
)
from sync.server.accounts import ServiceError, User, pin_device_key, record_audit
from sync.server.db import (
    SUBMISSION_STATES,
    Database,
    blobs,
    comments,
    now_iso,
    submission_signatures,
    submissions,
)
from sync.server.kits import can_see_visit, member_of_visit, visit_details
from sync.server.lifecycle import after_the_visit, record_submission_steps


def submit(db: Database, user: User, snapshot_id: str, envelope: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, receipt) for one submission; ServiceError when refused."""
    try:
        envelope = check_envelope(envelope)
    except FindingsFormatError as exc:
        raise ServiceError(422, f"{exc}.") from exc
    if envelope["snapshot_id"] != snapshot_id:
        raise ServiceError(422, "The snapshot id in the address is not the one in the envelope.")
    body = canonical_bytes(envelope)
    envelope_sha = hashlib.sha256(body).hexdigest()
    visit_id = str(envelope["visit_id"])
    needed = envelope_blob_hashes(envelope)
    try:
        with db.write() as conn:
            # Who may send comes first: an outsider learns nothing from a 409 or a receipt.
            _check_sender(conn, user, visit_id, envelope)
            existing = conn.execute(
                select(submissions).where(submissions.c.snapshot_id == snapshot_id)
            ).first()
            if existing is not None:
                return _again(existing, envelope_sha)
            public_key = str(envelope["device_public_key"])
            pin_device_key(conn, user, public_key, snapshot_id)
            _check_supersedes(conn, envelope, visit_id)
            have = (
                set(
                    conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(needed))).scalars()
                )
                if needed
                else set()
            )
            missing = [sha for sha in needed if sha not in have]
            if missing:
                raise ServiceError(
                    422, "Some attachments have not arrived; send them first.", missing=missing
                )
            at = now_iso()
            receipt = {
                "receipt_id": str(uuid.uuid4()),
                "snapshot_id": snapshot_id,
                "visit_id": visit_id,
                "version": envelope["version"],
                "content_sha256": envelope["content_sha256"],
                "envelope_sha256": envelope_sha,
                "received_at": at,
                "received_by": user.name,
                "attachments": len(needed),
            }
            conn.execute(
                insert(submissions).values(
                    snapshot_id=snapshot_id,
                    visit_id=visit_id,
                    version=envelope["version"],
                    supersedes=envelope["supersedes"],
                    content_sha256=envelope["content_sha256"],
                    envelope_sha256=envelope_sha,
                    envelope=body.decode("utf-8"),
                    state="received",
                    receipt=json.dumps(receipt, sort_keys=True),
                    submitted_by=user.name,
                    created_at=at,
                    updated_at=at,
                    has_report=envelope.get("report") is not None,
                )
            )
            conn.execute(
                insert(submission_signatures).values(
                    snapshot_id=snapshot_id,
                    public_key=public_key,
                    signature=str(envelope["signature"]),
                )
            )
            record_submission_steps(conn, envelope, user.name)
            record_audit(
                conn,
                user.name,
                "submit",
                snapshot_id,
                visit_id=visit_id,
                version=envelope["version"],
                envelope_sha256=envelope_sha,
                device_public_key=public_key,
            )
            return 201, receipt
    except IntegrityError:
        # Another request stored this snapshot between our read and our insert.
        with db.read() as conn:
            existing = conn.execute(
                select(submissions).where(submissions.c.snapshot_id == snapshot_id)
            ).first()
        if existing is None:
            raise
        return _again(existing, envelope_sha)


def _check_sender(conn: Any, user: User, visit_id: str, envelope: dict[str, Any]) -> None:
    """ServiceError unless ``user`` is the visit's lead here and signed the findings off as it."""
    details = visit_details(conn, visit_id)
    member = member_of_visit(conn, user, visit_id) if details is not None else None
    if details is None or member is None:
        raise ServiceError(
            403, "You are not on this visit's team here; ask programme staff to assign you."
        )
    lead = details.lead
    if lead is None or lead.member_id != member:
        raise ServiceError(403, "Only the visit's lead reviewer may send its findings.")
    if envelope["signed_off_by"] != lead.member_id:
        raise ServiceError(
            422, "The findings are signed off by someone other than the visit's lead reviewer."
        )


def _again(existing: Any, envelope_sha: str) -> tuple[int, dict[str, Any]]:
    if existing.envelope_sha256 != envelope_sha:
        raise ServiceError(
            409,
            "A different snapshot was already sent with this id; nothing was changed. "
            "Amend the findings as a new version instead.",
        )
    return 200, json.loads(existing.receipt)


def _check_supersedes(conn: Any, envelope: dict[str, Any], visit_id: str) -> None:
    older = envelope["supersedes"]
    if older is None:
        return
    if not isinstance(older, str):
        raise ServiceError(422, "The submission's 'supersedes' must be a snapshot id or null.")
    row = conn.execute(
        select(submissions.c.visit_id, submissions.c.version).where(
            submissions.c.snapshot_id == older
        )
    ).first()
    # An older version that has not arrived yet is fine (outboxes may deliver out of order).
    if row is not None and (row.visit_id != visit_id or row.version >= envelope["version"]):
        raise ServiceError(
            422,
            "The submission supersedes a snapshot that is not an earlier "
            "version of the same visit.",
        )


def _listing(
    row: Any, notes: list[dict[str, Any]], superseded_by: str | None, after: dict[str, Any]
) -> dict[str, Any]:
    return {
        "snapshot_id": row.snapshot_id,
        "visit_id": row.visit_id,
        "version": row.version,
        "supersedes": row.supersedes,
        "superseded_by": superseded_by,
        "content_sha256": row.content_sha256,
        "state": row.state,
        "submitted_by": row.submitted_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "receipt": json.loads(row.receipt),
        "comments": notes,
        **after,  # approval, final_report, publication (docs/after-the-visit.md)
    }


def visit_submissions(db: Database, user: User, visit_id: str) -> list[dict[str, Any]]:
    """Every submission of a visit, oldest version first, with its state and staff comments."""
    with db.read() as conn:
        if not can_see_visit(conn, user, visit_id):
            raise ServiceError(404, "There is no visit with that id that you are on.")
        rows = conn.execute(
            select(submissions)
            .where(submissions.c.visit_id == visit_id)
            .order_by(submissions.c.version, submissions.c.created_at)
        ).all()
        ids = [r.snapshot_id for r in rows]
        notes: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for c in conn.execute(
                select(comments).where(comments.c.snapshot_id.in_(ids)).order_by(comments.c.id)
            ):
                notes[c.snapshot_id].append(
                    {"author": c.author, "text": c.text, "created_at": c.created_at}
                )
        after = after_the_visit(conn, ids)
    newer = {r.supersedes: r.snapshot_id for r in rows if r.supersedes}
    return [
        _listing(r, notes[r.snapshot_id], newer.get(r.snapshot_id), after[r.snapshot_id])
        for r in rows
    ]


def submission_envelope(db: Database, user: User, snapshot_id: str) -> dict[str, Any]:
    with db.read() as conn:
        row = conn.execute(
            select(submissions.c.visit_id, submissions.c.envelope).where(
                submissions.c.snapshot_id == snapshot_id
            )
        ).first()
        if row is None or not can_see_visit(conn, user, row.visit_id):
            raise ServiceError(404, "There is no submission with that id that you may see.")
    result: dict[str, Any] = json.loads(row.envelope)
    return result


def set_state(
    db: Database, user: User, snapshot_id: str, state: str, comment: str | None
) -> dict[str, Any]:
    """Staff move a submission to ``state``; "has_issues" needs a comment the lead will read."""
    if state not in SUBMISSION_STATES:
        raise ServiceError(422, f"A state is one of {', '.join(SUBMISSION_STATES)}.")
    text = (comment or "").strip()
    if state == "has_issues" and not text:
        raise ServiceError(422, "Say what the issues are: 'has_issues' needs a comment.")
    with db.write() as conn:
        row = conn.execute(
            select(submissions.c.visit_id).where(submissions.c.snapshot_id == snapshot_id)
        ).first()
        if row is None:
            raise ServiceError(404, "There is no submission with that id.")
        at = now_iso()
        conn.execute(
            update(submissions)
            .where(submissions.c.snapshot_id == snapshot_id)
            .values(state=state, updated_at=at)
        )
        if text:
            conn.execute(
                insert(comments).values(
                    snapshot_id=snapshot_id, author=user.name, text=text, created_at=at
                )
            )
        record_audit(conn, user.name, "set_state", snapshot_id, state=state, comment=text)
        visit_id = row.visit_id
    return next(s for s in visit_submissions(db, user, visit_id) if s["snapshot_id"] == snapshot_id)


def add_comment(db: Database, user: User, snapshot_id: str, text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        raise ServiceError(422, "A comment needs some text.")
    with db.write() as conn:
        if (
            conn.execute(
                select(submissions.c.snapshot_id).where(submissions.c.snapshot_id == snapshot_id)
            ).first()
            is None
        ):
            raise ServiceError(404, "There is no submission with that id.")
        at = now_iso()
        conn.execute(
            insert(comments).values(
                snapshot_id=snapshot_id, author=user.name, text=text, created_at=at
            )
        )
        record_audit(conn, user.name, "comment", snapshot_id, text=text)
    return {"author": user.name, "text": text, "created_at": at}
