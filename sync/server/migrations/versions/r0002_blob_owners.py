"""Who uploaded which blob (``blob_owners``): blob existence for its uploaders, per-user quota.

Revision ID: 0002
Revises: 0001

Blobs stored before this revision have no owner: only staff are told they exist until a lead
uploads them again (which costs the bytes once more, and records the lead as an owner).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_owners",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("uploaded_at", sa.String(40), nullable=False),
    )
    op.create_index("blob_owners_user", "blob_owners", ["user_id"])


def downgrade() -> None:
    op.drop_index("blob_owners_user", "blob_owners")
    op.drop_table("blob_owners")
