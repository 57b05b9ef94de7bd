"""Who may upload blobs, who may know a blob exists, and what each user's uploads take.

DESIGN.md "Central service": only a visit's lead (or staff) uploads; a per-user quota bounds
what one token can store (stored plus unfinished bytes; the files are :mod:`sync.server.blobs`).
A blob's existence and size are told only to staff and to users who have uploaded it
(``blob_owners``): anyone else is answered as if it were absent, and proves they hold the
content by sending it, which then makes them an owner too.
"""

from __future__ import annotations

from sqlalchemy import func, select

from sync.server.accounts import User, record_audit
from sync.server.db import Database, assignments, blob_owners, blobs, insert_or_ignore, now_iso
from sync.server.kits import visit_details

GiB = 1024**3
DEFAULT_QUOTA = 20 * GiB  # a lead's photos and reports of many visits; a staff member's too


def may_upload(db: Database, user: User) -> bool:
    """Staff, or the lead reviewer of a visit the user is assigned to."""
    return user.is_staff or leads_a_visit(db, user)


def leads_a_visit(db: Database, user: User) -> bool:
    """Whether the user is assigned, on some visit, as its lead reviewer."""
    with db.read() as conn:
        rows = conn.execute(
            select(assignments.c.visit_id, assignments.c.member_id)
            .where(assignments.c.user_id == user.id)
            .order_by(assignments.c.assigned_at.desc())
        ).all()
        newest: dict[str, str] = {}
        for r in rows:
            newest.setdefault(r.visit_id, r.member_id)
        for visit_id, member in newest.items():
            details = visit_details(conn, visit_id)
            lead = details.lead if details is not None else None
            if lead is not None and lead.member_id == member:
                return True
    return False


def may_read(db: Database, user: User, sha: str) -> bool:
    """Whether ``user`` may be told that blob ``sha`` exists (and its size)."""
    if user.is_staff:
        return True
    with db.read() as conn:
        owned = conn.execute(
            select(blob_owners.c.sha256).where(
                blob_owners.c.sha256 == sha, blob_owners.c.user_id == user.id
            )
        ).first()
    return owned is not None


def upload_allowance(db: Database, user: User) -> int | None:
    """What the user's finished uploads already take of their quota, or None when they may not
    upload (one worker-thread trip for both, before every upload)."""
    return stored_bytes(db, user) if may_upload(db, user) else None


def stored_bytes(db: Database, user: User) -> int:
    """What the user's finished uploads count against their quota."""
    with db.read() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(blob_owners.c.size), 0)).where(
                blob_owners.c.user_id == user.id
            )
        ).scalar()
    return int(total or 0)


def record_blob(db: Database, sha: str, size: int, user: User, *, uploaded: bool) -> None:
    """The ``blobs`` row of a complete file (once, whoever gets there first) and, when
    ``uploaded``, the user as one of its owners. Safe when several processes do it at once."""
    if not uploaded:  # asked by a HEAD, which mostly finds the row there: no write then
        with db.read() as conn:
            if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first():
                return
    with db.write() as conn:
        at = now_iso()
        row = insert_or_ignore(conn, blobs, sha256=sha, size=size, created_at=at)
        if conn.execute(row).rowcount:
            record_audit(conn, user.name, "store_blob", sha, size=size)
        if uploaded:
            conn.execute(
                insert_or_ignore(
                    conn, blob_owners, sha256=sha, user_id=user.id, size=size, uploaded_at=at
                )
            )


__all__ = [
    "DEFAULT_QUOTA",
    "leads_a_visit",
    "may_read",
    "may_upload",
    "record_blob",
    "stored_bytes",
    "upload_allowance",
]
