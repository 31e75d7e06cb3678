"""signed checkpoints of the audit log and receipt chains; receipts hash their journal rows

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_checkpoints_chain")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_checkpoints_hash")),
    )
    with op.batch_alter_table("retention_receipts") as batch:
        batch.add_column(sa.Column("items_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retention_receipts") as batch:
        batch.drop_column("items_digest")
    op.drop_table("audit_checkpoints")
