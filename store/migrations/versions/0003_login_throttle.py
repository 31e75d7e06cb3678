"""lock rows for sign-in throttling

Counting recent failures and recording the new attempt were two steps, so concurrent wrong
passwords for one account all saw room under the limit. Every attempt now locks a row per
account and per client address first (console.accounts.throttle), and sweeps old attempts by
time, which gets an index of its own.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("touched_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(
        op.f("ix_login_throttles_touched_at"), "login_throttles", ["touched_at"], unique=False
    )
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index(op.f("ix_login_throttles_touched_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
