"""camera health: each edge's latest heartbeat, operations alerts, ops webhooks

Webhook deliveries may now carry a camera operations alert instead of a plate alert
(`alert_id` becomes nullable, `ops_alert_id` is new), and webhooks choose whether they also
receive operations alerts (`ops_events`, off for existing ones).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_health",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("heard_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("last_read_at", UTCDateTime(), nullable=True),
        sa.Column("model_pack", sa.String(length=100), nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_health_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_health")),
    )
    op.create_table(
        "ops_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_ops_alerts_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_alerts")),
    )
    op.create_index("ix_ops_alerts_open", "ops_alerts", ["camera_id", "cleared_at"], unique=False)
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("ops_events", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("ops_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_webhook_deliveries_ops_alert_id_ops_alerts"),
            "ops_alerts",
            ["ops_alert_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(
            op.f("ix_webhook_deliveries_ops_alert_id"), ["ops_alert_id"], unique=False
        )


def downgrade() -> None:
    op.execute("DELETE FROM webhook_deliveries WHERE alert_id IS NULL")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index(op.f("ix_webhook_deliveries_ops_alert_id"))
        batch.drop_constraint(
            op.f("fk_webhook_deliveries_ops_alert_id_ops_alerts"), type_="foreignkey"
        )
        batch.drop_column("ops_alert_id")
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    # Plain ALTER TABLE ... DROP COLUMN, never batch mode: a rebuilt `webhooks` dropped with
    # foreign keys on would cascade-delete its deliveries and sightings. (`webhook_deliveries`
    # above may be rebuilt: nothing points at it.)
    op.drop_column("webhooks", "ops_events")
    op.drop_index("ix_ops_alerts_open", table_name="ops_alerts")
    op.drop_table("ops_alerts")
    op.drop_table("camera_health")
