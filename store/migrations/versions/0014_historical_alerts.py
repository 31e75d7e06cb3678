"""historical alerts: `alerts.historical`, and reads found by their OCR-folded plate

An entry added to a list is checked against the reads already stored (hotlist.historical);
what it finds is raised as a historical alert, never a live stop. The folded-plate index lets
one query find every OCR-equivalent spelling of a batch of entries.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# store.tables.reads.plate_key as of this revision, frozen here: a later change to the folds
# is a new migration, not an edit of this one.
_FOLDS = (
    ("O", "0"),
    ("D", "0"),
    ("Q", "0"),
    ("I", "1"),
    ("L", "1"),
    ("Z", "2"),
    ("S", "5"),
    ("B", "8"),
    ("G", "6"),
)


def _plate_key() -> sa.TextClause:
    folded = "plate"
    for char, canon in _FOLDS:
        folded = f"replace({folded}, '{char}', '{canon}')"
    return sa.text(folded)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("historical", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index("ix_plate_reads_plate_key", "plate_reads", [_plate_key()], unique=False)


def downgrade() -> None:
    op.drop_index("ix_plate_reads_plate_key", table_name="plate_reads")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("historical")
