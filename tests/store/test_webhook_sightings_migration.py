"""Migration 0007 on a database holding a webhook from before it: the receiver's secret keeps
verifying, sighting deliveries get their key, and the downgrade gives the old secret back."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from standardwebhooks import Webhook as StandardWebhook

from store.db import make_engine
from store.schema import alembic_config, downgrade, upgrade

LEGACY_SECRET = "whsec_Xq-3_Zt0aB1cD2eF3gH4iJ5kL6mN7oP8"  # token_urlsafe(24), as issued before


def _before_0007(engine: Engine) -> str:
    revision = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0007")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _secret(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT secret FROM webhooks")).scalar_one())


def test_0007_keeps_old_secrets_working_and_keys_deliveries_by_sighting(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        previous = _before_0007(engine)
        upgrade(engine, previous)
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO agencies (id, name, jurisdiction, created_at) "
                    "VALUES (1, 'Metro PD', '', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO webhooks (id, agency_id, url, secret, enabled, floor_alert_id, "
                    "last_alert_id, created_by, created_at) VALUES (1, 1, 'https://cad.example/h', "
                    ":secret, true, 7, 9, 'test', :now)"
                ),
                {"secret": LEGACY_SECRET, "now": now},
            )
        upgrade(engine)
        migrated = _secret(engine)
        at = datetime.now(UTC)
        # What the old code signed with (the secret's own bytes) is what the new secret means.
        assert StandardWebhook(migrated).sign("msg_1", at, "{}") == StandardWebhook(
            LEGACY_SECRET.encode()
        ).sign("msg_1", at, "{}")
        with engine.connect() as conn:
            cursor = conn.execute(
                text("SELECT floor_sighting_id, last_sighting_id, last_alert_id FROM webhooks")
            ).one()
        assert tuple(cursor) == (0, 0, 9)
        (unique,) = inspect(engine).get_unique_constraints("webhook_deliveries")
        assert unique["column_names"] == ["webhook_id", "alert_id", "event", "sighting_id"]
        downgrade(engine, previous)
        assert _secret(engine) == LEGACY_SECRET
        columns = {c["name"] for c in inspect(engine).get_columns("webhook_deliveries")}
        assert "sighting_id" not in columns
    finally:
        engine.dispose()
