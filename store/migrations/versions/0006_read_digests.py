"""signed digests of the live reads: checkpoints carry them, reads are found by arrival

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
# 0005 (import jobs) is written in parallel; its id follows 0004's style.
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.add_column(sa.Column("reads", sa.Text(), nullable=True))
    op.create_index("ix_plate_reads_received", "plate_reads", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_plate_reads_received", table_name="plate_reads")
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_column("reads")
