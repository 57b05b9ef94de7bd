"""Users, their bearer tokens, their pinned device keys, and the audit log.

A token is 32 random bytes (URL-safe text) shown once when it is issued; only its SHA-256 is
stored, so a copy of the database gives nobody a way in. Revoking marks every token of a user.

A lead's findings are signed with their laptop's device key (sync/authorship.py). The first
signed submission pins that key to the lead's account; findings signed by any other key are
refused until staff reset the pin (the lead changed laptop): a stolen token alone cannot send
findings in the lead's name.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sync.authorship import fingerprint_words
from sync.server.db import (
    ROLES,
    Database,
    audit,
    device_keys,
    insert_or_ignore,
    now_iso,
    tokens,
    users,
)


class ServiceError(Exception):
    """A request the service refuses: an HTTP status and one sentence saying what to do."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def record_audit(conn: Connection, who: str, action: str, target: str, **detail: Any) -> None:
    """One row per write, inside the write's own transaction: no write without its record."""
    conn.execute(
        insert(audit).values(
            at=now_iso(),
            who=who,
            action=action,
            target=target,
            detail=json.dumps(detail, sort_keys=True, ensure_ascii=False),
        )
    )


def add_user(db: Database, name: str, role: str, *, by: str = "admin") -> User:
    name = name.strip()
    if not name:
        raise ServiceError(422, "A user needs a name.")
    if role not in ROLES:
        raise ServiceError(422, f"A role is one of {', '.join(ROLES)}, not {role!r}.")
    with db.write() as conn:
        # The unique name decides between two requests adding the same user at once.
        added = conn.execute(
            insert_or_ignore(conn, users, name=name, role=role, created_at=now_iso())
        ).rowcount
        if not added:
            raise ServiceError(409, f"There is already a user named {name!r}.")
        user = find_user(conn, name)
        assert user is not None
        record_audit(conn, by, "add_user", name, role=role)
    return user


def find_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return User(row.id, row.name, row.role) if row else None


def issue_token(db: Database, name: str, *, by: str = "admin") -> str:
    """A new token for ``name`` (earlier ones stay valid until revoked)."""
    token = secrets.token_urlsafe(32)
    with db.write() as conn:
        user = find_user(conn, name)
        if user is None:
            raise ServiceError(404, f"There is no user named {name!r}; add them first.")
        conn.execute(
            insert(tokens).values(
                user_id=user.id, token_sha256=hash_token(token), created_at=now_iso()
            )
        )
        record_audit(conn, by, "issue_token", name)
    return token


def revoke_tokens(db: Database, name: str, *, by: str = "admin") -> int:
    """Revoke every live token of ``name``; the number revoked."""
    with db.write() as conn:
        user = find_user(conn, name)
        if user is None:
            raise ServiceError(404, f"There is no user named {name!r}.")
        count = conn.execute(
            update(tokens)
            .where(tokens.c.user_id == user.id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_iso())
        ).rowcount
        record_audit(conn, by, "revoke_tokens", name, count=count)
    return int(count)


def user_for_token(db: Database, token: str) -> User | None:
    with db.read() as conn:
        row = conn.execute(
            select(users.c.id, users.c.name, users.c.role)
            .join(tokens, tokens.c.user_id == users.c.id)
            .where(tokens.c.token_sha256 == hash_token(token), tokens.c.revoked_at.is_(None))
        ).first()
    return User(row.id, row.name, row.role) if row else None


# -- pinned device keys ------------------------------------------------------------------------


def pin_device_key(conn: Connection, user: User, public_key: str, snapshot_id: str) -> None:
    """Pin ``public_key`` to ``user`` unless a key is pinned already (inside the submission's
    transaction, so a refused submission pins nothing); ServiceError 403 when another key is.

    Safe under concurrency without locks: the insert does nothing when another request pinned
    first, and the key read afterwards is whichever won.
    """
    added = conn.execute(
        insert_or_ignore(
            conn,
            device_keys,
            user_id=user.id,
            public_key=public_key,
            pinned_at=now_iso(),
            first_snapshot_id=snapshot_id,
        )
    ).rowcount
    pinned = conn.execute(
        select(device_keys.c.public_key).where(device_keys.c.user_id == user.id)
    ).scalar_one()
    if pinned != public_key:
        words = fingerprint_words(public_key)
        raise ServiceError(
            403,
            f"These findings are signed by a device this service does not know for {user.name}: "
            f"fingerprint {words}; if {user.name} changed laptop, ask programme staff to reset "
            "the device key.",
            fingerprint=words,
        )
    if added:
        record_audit(
            conn,
            user.name,
            "pin_device_key",
            user.name,
            public_key=public_key,
            fingerprint=fingerprint_words(public_key),
            snapshot_id=snapshot_id,
        )


def reset_device_key(db: Database, name: str, *, by: str = "admin") -> dict[str, str] | None:
    """Forget the device key pinned to ``name`` (they changed laptop): their next signed
    submission pins its key. The key removed (``public_key``, ``fingerprint``, ``pinned_at``),
    or None when none was pinned. Audited either way."""
    with db.write() as conn:
        user = find_user(conn, name)
        if user is None:
            raise ServiceError(404, f"There is no user named {name!r}.")
        # DELETE ... RETURNING: of two staff resetting at once, one removes the key, the
        # other is told none was pinned.
        row = conn.execute(
            delete(device_keys)
            .where(device_keys.c.user_id == user.id)
            .returning(device_keys.c.public_key, device_keys.c.pinned_at)
        ).first()
        removed = None
        if row is not None:
            removed = {
                "public_key": row.public_key,
                "fingerprint": fingerprint_words(row.public_key),
                "pinned_at": row.pinned_at,
            }
        record_audit(conn, by, "reset_device_key", name, removed=removed)
    return removed
