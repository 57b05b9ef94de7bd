"""The schema of the release before Alembic (what ``create_all`` made), as the first revision.

Revision ID: 0001
Revises: (none)

A database made by that release has these tables and no ``alembic_version``: each table is
made only when it is missing, so the same revision brings a fresh database, a database of that
release, and one of an older release that lacked a later table (``submission_signatures``,
``device_keys``) to the same place without touching the rows already there.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[tuple[str, list[sa.Column[Any]]]]:
    """The tables as that release declared them (frozen here: db.py moves on)."""
    return [
        (
            "users",
            [
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("name", sa.String(200), nullable=False, unique=True),
                sa.Column("role", sa.String(20), nullable=False),
                sa.Column("created_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "tokens",
            [
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
                sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
                sa.Column("created_at", sa.String(40), nullable=False),
                sa.Column("revoked_at", sa.String(40), nullable=True),
            ],
        ),
        (
            "trusted_keys",
            [
                sa.Column("key_id", sa.String(16), primary_key=True),
                sa.Column("pem", sa.Text, nullable=False),
                sa.Column("added_by", sa.String(200), nullable=False),
                sa.Column("added_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "visits",
            [
                sa.Column("visit_id", sa.String(64), primary_key=True),
                sa.Column("programme", sa.Text, nullable=False),
                sa.Column("title", sa.Text, nullable=False),
                sa.Column("details", sa.Text, nullable=False),
                sa.Column("latest_kit_id", sa.String(64), nullable=False),
                sa.Column("updated_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "kits",
            [
                sa.Column("kit_id", sa.String(64), primary_key=True),
                sa.Column(
                    "visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False
                ),
                sa.Column("sha256", sa.String(64), nullable=False),
                sa.Column("size", sa.BigInteger, nullable=False),
                sa.Column("created_at", sa.String(40), nullable=False),
                sa.Column("uploaded_by", sa.String(200), nullable=False),
                sa.Column("uploaded_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "assignments",
            [
                sa.Column("kit_id", sa.String(64), sa.ForeignKey("kits.kit_id"), primary_key=True),
                sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
                sa.Column("visit_id", sa.String(64), nullable=False),
                sa.Column("member_id", sa.String(200), nullable=False),
                sa.Column("assigned_by", sa.String(200), nullable=False),
                sa.Column("assigned_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "blobs",
            [
                sa.Column("sha256", sa.String(64), primary_key=True),
                sa.Column("size", sa.BigInteger, nullable=False),
                sa.Column("created_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "submissions",
            [
                sa.Column("snapshot_id", sa.String(64), primary_key=True),
                sa.Column(
                    "visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False
                ),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("supersedes", sa.String(64), nullable=True),
                sa.Column("content_sha256", sa.String(64), nullable=False),
                sa.Column("envelope_sha256", sa.String(64), nullable=False),
                sa.Column("envelope", sa.Text, nullable=False),
                sa.Column("state", sa.String(20), nullable=False),
                sa.Column("receipt", sa.Text, nullable=False),
                sa.Column("submitted_by", sa.String(200), nullable=False),
                sa.Column("created_at", sa.String(40), nullable=False),
                sa.Column("updated_at", sa.String(40), nullable=False),
                sa.Column("has_report", sa.Boolean, nullable=False),
            ],
        ),
        (
            "submission_signatures",
            [
                sa.Column(
                    "snapshot_id",
                    sa.String(64),
                    sa.ForeignKey("submissions.snapshot_id"),
                    primary_key=True,
                ),
                sa.Column("public_key", sa.String(64), nullable=False),
                sa.Column("signature", sa.String(128), nullable=False),
            ],
        ),
        (
            "device_keys",
            [
                sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
                sa.Column("public_key", sa.String(64), nullable=False),
                sa.Column("pinned_at", sa.String(40), nullable=False),
                sa.Column("first_snapshot_id", sa.String(64), nullable=False),
            ],
        ),
        (
            "comments",
            [
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column(
                    "snapshot_id",
                    sa.String(64),
                    sa.ForeignKey("submissions.snapshot_id"),
                    nullable=False,
                ),
                sa.Column("author", sa.String(200), nullable=False),
                sa.Column("text", sa.Text, nullable=False),
                sa.Column("created_at", sa.String(40), nullable=False),
            ],
        ),
        (
            "audit",
            [
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("at", sa.String(40), nullable=False),
                sa.Column("who", sa.String(200), nullable=False),
                sa.Column("action", sa.String(60), nullable=False),
                sa.Column("target", sa.Text, nullable=False),
                sa.Column("detail", sa.Text, nullable=False),
            ],
        ),
    ]


# (index, table, columns)
_INDEXES = [
    ("ix_kits_visit_id", "kits", ["visit_id"]),
    ("ix_assignments_visit_id", "assignments", ["visit_id"]),
    ("submissions_visit", "submissions", ["visit_id", "version"]),
    ("comments_snapshot", "comments", ["snapshot_id"]),
]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables():
        if name not in existing:
            op.create_table(name, *columns)
    for index, table, indexed in _INDEXES:
        if table not in existing:
            op.create_index(index, table, indexed)


def downgrade() -> None:
    for name, _items in reversed(_tables()):
        op.drop_table(name)
