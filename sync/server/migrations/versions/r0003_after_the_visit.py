"""After the visit (issue 18): steps, the factual accuracy round, approval, publication.

Revision ID: 0003
Revises: 0002

New tables only; nothing already stored changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_steps",
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), primary_key=True),
        sa.Column("step", sa.String(30), primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "accuracy_packs",
        sa.Column(
            "snapshot_id", sa.String(64), sa.ForeignKey("submissions.snapshot_id"), primary_key=True
        ),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False),
        sa.Column("sent_at", sa.String(40), nullable=False),
        sa.Column("sent_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_accuracy_packs_visit_id", "accuracy_packs", ["visit_id"])
    op.create_table(
        "accuracy_comments",
        sa.Column("comment_id", sa.String(64), primary_key=True),
        sa.Column(
            "snapshot_id", sa.String(64), sa.ForeignKey("submissions.snapshot_id"), nullable=False
        ),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False),
        sa.Column("item_kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.String(400), nullable=False),
        sa.Column("item_label", sa.Text, nullable=False),
        sa.Column("comment_type", sa.String(30), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("proposed", sa.Text, nullable=False),
        sa.Column("form_row", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
    )
    op.create_index("accuracy_comments_snapshot", "accuracy_comments", ["snapshot_id"])
    op.create_table(
        "approvals",
        sa.Column(
            "snapshot_id", sa.String(64), sa.ForeignKey("submissions.snapshot_id"), primary_key=True
        ),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("approved_at", sa.String(40), nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_approvals_visit_id", "approvals", ["visit_id"])
    op.create_table(
        "final_reports",
        sa.Column(
            "snapshot_id", sa.String(64), sa.ForeignKey("submissions.snapshot_id"), primary_key=True
        ),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("pdf_size", sa.BigInteger, nullable=False),
        sa.Column("docx_sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=True),
        sa.Column("docx_size", sa.BigInteger, nullable=True),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_final_reports_visit_id", "final_reports", ["visit_id"])
    op.create_table(
        "publications",
        sa.Column(
            "snapshot_id", sa.String(64), sa.ForeignKey("submissions.snapshot_id"), primary_key=True
        ),
        sa.Column(
            "visit_id", sa.String(64), sa.ForeignKey("visits.visit_id"), nullable=False, unique=True
        ),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "programme_settings",
        sa.Column("programme", sa.String(400), primary_key=True),
        sa.Column("expected_days", sa.Text, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "programme_settings",
        "publications",
        "final_reports",
        "approvals",
        "accuracy_comments",
        "accuracy_packs",
        "visit_steps",
    ):
        op.drop_table(name)
