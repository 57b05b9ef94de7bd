"""Trusted keys, kits and who is assigned to them.

A kit is checked with the same reader the laptops use (:func:`sync.kit_reader.verify_kit`)
against the keys staff trust on the service, so the service never hands out a kit a laptop would
refuse. Access follows assignment: a user sees a visit when they are assigned to any of its kits,
as a member of its team; the member id is what makes "only the lead submits" checkable.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select, update

from sync.keys import TrustStore, key_id
from sync.kit_archive import KitRefused
from sync.kit_model import KitManifest, VisitDetails
from sync.kit_reader import verify_kit
from sync.server.accounts import ServiceError, User, find_user, record_audit
from sync.server.db import (
    Database,
    assignments,
    insert_or_ignore,
    kits,
    now_iso,
    trusted_keys,
    upsert,
    visits,
)


def parse_public_key(pem: bytes) -> Ed25519PublicKey:
    if b"PRIVATE KEY" in pem:
        raise ServiceError(422, "That is a private key; upload only the public half (.pub).")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ServiceError(422, "That is not a PEM public key; upload the .pub file.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ServiceError(422, "Kit keys are Ed25519; that key is another kind.")
    return key


def add_trusted_key(db: Database, pem: bytes, by: str) -> str:
    key = parse_public_key(pem)
    kid = key_id(key)
    text = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    with db.write() as conn:
        added = conn.execute(
            insert_or_ignore(
                conn, trusted_keys, key_id=kid, pem=text, added_by=by, added_at=now_iso()
            )
        ).rowcount
        if added:
            record_audit(conn, by, "trust_key", kid)
    return kid


def trust_store(db: Database) -> TrustStore:
    with db.read() as conn:
        pems = conn.execute(select(trusted_keys.c.pem)).scalars().all()
    return TrustStore.of([parse_public_key(p.encode("ascii")) for p in pems])


def list_trusted_keys(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(trusted_keys.c.key_id).order_by("key_id")).scalars())


def check_kit(path: Path, trust: TrustStore) -> KitManifest:
    try:
        return verify_kit(path, trust=trust)
    except KitRefused as exc:
        raise ServiceError(422, exc.message, reason=exc.reason) from exc


def record_kit(
    db: Database, manifest: KitManifest, sha: str, size: int, by: str
) -> tuple[dict[str, Any], bool]:
    """Register a checked kit; (its listing, True if new). Same id, other bytes: 409."""
    visit = manifest.visit
    values = {
        "programme": visit.programme,
        "title": visit.title,
        "details": json.dumps(visit.to_dict(), sort_keys=True, ensure_ascii=False),
        "latest_kit_id": manifest.kit_id,
        "updated_at": now_iso(),
    }
    with db.write() as conn:
        # The visit row first (the kit refers to it), made only if missing; then the kit, whose
        # id decides between two uploads of it at once; the visit takes the newest kit's
        # details only when this upload made the kit.
        conn.execute(insert_or_ignore(conn, visits, visit_id=visit.visit_id, **values))
        added = conn.execute(
            insert_or_ignore(
                conn,
                kits,
                kit_id=manifest.kit_id,
                visit_id=visit.visit_id,
                sha256=sha,
                size=size,
                created_at=manifest.created_at,
                uploaded_by=by,
                uploaded_at=now_iso(),
            )
        ).rowcount
        if not added:
            row = conn.execute(select(kits.c.sha256).where(kits.c.kit_id == manifest.kit_id)).one()
            if row.sha256 != sha:
                # Rolls back the visit row this transaction may have made for it.
                raise ServiceError(409, "A different kit with this kit id is already uploaded.")
            return kit_listing(conn, manifest.kit_id), False
        conn.execute(update(visits).where(visits.c.visit_id == visit.visit_id).values(**values))
        # The visit's end, as this kit says (sync.server.lifecycle imports this module).
        from sync.server.lifecycle import record_kit_steps  # noqa: PLC0415

        record_kit_steps(conn, visit, by)
        record_audit(conn, by, "upload_kit", manifest.kit_id, visit_id=visit.visit_id, sha256=sha)
        return kit_listing(conn, manifest.kit_id), True


def visit_details(conn: Connection, visit_id: str) -> VisitDetails | None:
    raw = conn.execute(select(visits.c.details).where(visits.c.visit_id == visit_id)).scalar()
    return _details(raw) if raw is not None else None


@functools.lru_cache(maxsize=256)
def _details(raw: str) -> VisitDetails:
    """The visit read from its stored JSON, kept by that text: every submission and upload
    asks, and reading a visit with its team and timetable was a fifth of a submission's time.
    Keyed by the text, not the id, so a newer kit's details are never answered from the cache
    (and VisitDetails is frozen, so sharing one is safe)."""
    return VisitDetails.from_dict(json.loads(raw))


def kit_listing(conn: Connection, kit_id: str, member_id: str | None = None) -> dict[str, Any]:
    row = conn.execute(
        select(kits, visits.c.programme, visits.c.title, visits.c.details)
        .join(visits, visits.c.visit_id == kits.c.visit_id)
        .where(kits.c.kit_id == kit_id)
    ).one()
    details = json.loads(row.details)
    return {
        "kit_id": row.kit_id,
        "visit_id": row.visit_id,
        "programme": row.programme,
        "title": row.title,
        "start_date": details.get("start_date", ""),
        "sha256": row.sha256,
        "size": row.size,
        "created_at": row.created_at,
        "uploaded_at": row.uploaded_at,
        "member_id": member_id,
    }


def assign(db: Database, kit_id: str, user_name: str, member_id: str, by: str) -> dict[str, Any]:
    with db.write() as conn:
        kit = conn.execute(select(kits).where(kits.c.kit_id == kit_id)).first()
        if kit is None:
            raise ServiceError(404, "There is no kit with that id; upload it first.")
        user = find_user(conn, user_name)
        if user is None:
            raise ServiceError(404, f"There is no user named {user_name!r}; add them first.")
        details = visit_details(conn, kit.visit_id)
        assert details is not None
        if details.member(member_id) is None:
            raise ServiceError(
                422, f"{member_id!r} is not in this visit's team; use a member id from the kit."
            )
        # One row per (kit, user): of two assignments at once, the later one wins, whole.
        conn.execute(
            upsert(
                conn,
                assignments,
                ("kit_id", "user_id"),
                kit_id=kit_id,
                user_id=user.id,
                visit_id=kit.visit_id,
                member_id=member_id,
                assigned_by=by,
                assigned_at=now_iso(),
            )
        )
        record_audit(conn, by, "assign", kit_id, user=user_name, member_id=member_id)
        return kit_listing(conn, kit_id, member_id)


def my_kits(db: Database, user: User) -> list[dict[str, Any]]:
    with db.read() as conn:
        if user.is_staff:
            ids = [(k, None) for k in conn.execute(select(kits.c.kit_id)).scalars()]
        else:
            rows = conn.execute(
                select(assignments.c.kit_id, assignments.c.member_id).where(
                    assignments.c.user_id == user.id
                )
            ).all()
            ids = [(r.kit_id, r.member_id) for r in rows]
        listed = [kit_listing(conn, k, m) for k, m in ids]
    return sorted(listed, key=lambda k: (k["start_date"], k["uploaded_at"], k["kit_id"]))


def member_of_visit(conn: Connection, user: User, visit_id: str) -> str | None:
    """The member id ``user`` is assigned as on ``visit_id`` (its newest assignment), or None."""
    return conn.execute(
        select(assignments.c.member_id)
        .where(assignments.c.user_id == user.id, assignments.c.visit_id == visit_id)
        .order_by(assignments.c.assigned_at.desc())
    ).scalar()


def can_see_visit(conn: Connection, user: User, visit_id: str) -> bool:
    return user.is_staff or member_of_visit(conn, user, visit_id) is not None


def kit_for_download(db: Database, user: User, kit_id: str) -> str:
    """The kit's SHA-256 (its file's name in the blob folder) if ``user`` may have it."""
    with db.read() as conn:
        row = conn.execute(select(kits).where(kits.c.kit_id == kit_id)).first()
        allowed = row is not None and (
            user.is_staff
            or conn.execute(
                select(assignments.c.kit_id).where(
                    assignments.c.kit_id == kit_id, assignments.c.user_id == user.id
                )
            ).first()
            is not None
        )
    if row is None or not allowed:
        # The same answer whether the kit exists or not: nothing leaks about other visits.
        raise ServiceError(404, "There is no kit with that id assigned to you.")
    return str(row.sha256)
