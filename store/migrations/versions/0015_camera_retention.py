"""cameras: an image retention of their own

`cameras.image_retention_days` is a camera's override of its site's image retention (None: the
site's, or the deployment default); org.admin only lets it shorten the site's period.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, never batch mode: a rebuild of `cameras` with foreign keys on would
    # cascade-delete the rows that point at it.
    op.add_column("cameras", sa.Column("image_retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_column("cameras", "image_retention_days")
