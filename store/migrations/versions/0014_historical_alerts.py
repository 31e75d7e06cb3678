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
    # Plain ALTER TABLE ... ADD COLUMN, never batch mode: on SQLite batch mode rebuilt `alerts`,
    # and dropping the old copy with foreign keys on cascade-deleted every sighting, outbox row
    # and webhook delivery (tests/store/test_alert_migrations.py).
    op.add_column(
        "alerts", sa.Column("historical", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index("ix_plate_reads_plate_key", "plate_reads", [_plate_key()], unique=False)


def downgrade() -> None:
    op.drop_index("ix_plate_reads_plate_key", table_name="plate_reads")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never batch mode: a rebuilt `alerts`
    # dropped with foreign keys on would cascade-delete every sighting, outbox row and webhook
    # delivery (tests/store/test_alert_migrations.py).
    op.drop_column("alerts", "historical")
