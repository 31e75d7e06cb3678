"""org: agencies, sites and cameras can be retired; cameras gain a region

Retiring keeps the row (reads, alerts, users and the audit log keep naming it), so each table
gains a nullable `retired_at`. A camera's `region` is the two-letter state or province it
stands in.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RETIRABLE = ("agencies", "sites", "cameras")


def upgrade() -> None:
    for table in _RETIRABLE:
        op.add_column(table, sa.Column("retired_at", UTCDateTime(), nullable=True))
    op.add_column("cameras", sa.Column("region", sa.String(length=2), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never batch mode: batch mode rebuilds
    # the table, and dropping the old copy of `agencies` or `sites` with foreign keys on would
    # cascade-delete their webhooks, sharing and cameras.
    op.drop_column("cameras", "region")
    for table in _RETIRABLE:
        op.drop_column(table, "retired_at")
