"""one read may be a sighting of several alerts

A plate on several lists, seen again inside the cooldown, is a sighting of each list's open
alert. `alert_sightings.read_id` was unique, so the second sighting failed the whole batch and
stalled the matcher; the key is now (alert_id, read_id).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_sightings") as batch:
        batch.drop_constraint("uq_alert_sightings_read_id", type_="unique")
        batch.create_unique_constraint("uq_alert_sightings_alert_id", ["alert_id", "read_id"])
        batch.create_index("ix_alert_sightings_read_id", ["read_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_sightings") as batch:
        batch.drop_index("ix_alert_sightings_read_id")
        batch.drop_constraint("uq_alert_sightings_alert_id", type_="unique")
        batch.create_unique_constraint("uq_alert_sightings_read_id", ["read_id"])
