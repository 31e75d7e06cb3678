"""org: agencies, sites and cameras can be retired; cameras gain a region

Retiring keeps the row (reads, alerts, users and the audit log keep naming it), so each table
gains a nullable `retired_at`. A camera's `region` is the two-letter state or province it
stands in.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

_RETIRABLE = ("agencies", "sites", "cameras")


def upgrade() -> None:
    for table in _RETIRABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("retired_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("region", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("region")
    for table in _RETIRABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retired_at")
