"""webhooks: re-sightings (alert.seen_again) and Standard Webhooks secrets

Deliveries gain `sighting_id` (0 for alert.raised) in their unique key, and webhooks a cursor
over alert_sightings that starts at the newest sighting, so existing endpoints get no backlog.
Secrets issued before were `whsec_` + URL-safe text used as the HMAC key byte for byte; they
are rewritten to `whsec_` + base64 of those same bytes, the Standard Webhooks form, so the key
and every receiver's copy of the secret keep working.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_webhooks = sa.table(
    "webhooks", sa.column("id", sa.Integer()), sa.column("secret", sa.String(length=100))
)


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(
            sa.Column("sighting_id", sa.Integer(), server_default="0", nullable=False)
        )
        batch.drop_constraint("uq_webhook_deliveries_webhook_id", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_deliveries_webhook_id", ["webhook_id", "alert_id", "event", "sighting_id"]
        )
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(
            sa.Column("floor_sighting_id", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("last_sighting_id", sa.Integer(), server_default="0", nullable=False)
        )
    connection = op.get_bind()
    newest = connection.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM alert_sightings"))
    connection.execute(
        sa.text("UPDATE webhooks SET floor_sighting_id = :n, last_sighting_id = :n"), {"n": newest}
    )
    for webhook_id, secret in connection.execute(sa.select(_webhooks.c.id, _webhooks.c.secret)):
        standard = "whsec_" + base64.b64encode(secret.encode()).decode()
        connection.execute(
            _webhooks.update().where(_webhooks.c.id == webhook_id).values(secret=standard)
        )


def downgrade() -> None:
    connection = op.get_bind()
    for webhook_id, secret in connection.execute(sa.select(_webhooks.c.id, _webhooks.c.secret)):
        try:
            raw = base64.b64decode(secret.removeprefix("whsec_")).decode()
        except (ValueError, UnicodeDecodeError):
            # Issued after the upgrade: random key bytes have no text form; re-issue it.
            continue
        connection.execute(_webhooks.update().where(_webhooks.c.id == webhook_id).values(secret=raw))
    op.execute("DELETE FROM webhook_deliveries WHERE sighting_id <> 0")
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("last_sighting_id")
        batch.drop_column("floor_sighting_id")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint("uq_webhook_deliveries_webhook_id", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_deliveries_webhook_id", ["webhook_id", "alert_id", "event"]
        )
        batch.drop_column("sighting_id")
