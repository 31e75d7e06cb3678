"""historical alerts: `alerts.historical`, and reads found by their OCR-folded plate

An entry added to a list is checked against the reads already stored (hotlist.historical);
what it finds is raised as a historical alert, never a live stop. The folded-plate index lets
one query find every OCR-equivalent spelling of a batch of entries.

Revision ID: 0015
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.tables.reads import plate_key

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("historical", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        "ix_plate_reads_plate_key", "plate_reads", [plate_key(sa.column("plate"))], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_plate_reads_plate_key", table_name="plate_reads")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("historical")
