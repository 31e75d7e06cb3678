"""Migrations 0013 (camera health, webhook deliveries of ops alerts) and 0014 (historical
alerts) on a database holding alerts, their sightings and outbox rows, and a webhook with a
delivery: down to 0012 and up again, no row is lost. A rebuilt `alerts` or `webhooks` table,
dropped with foreign keys on, would cascade-delete every row that points at it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from store.db import make_engine
from store.schema import downgrade, upgrade
from store.tables import (
    Agency,
    Alert,
    AlertOutbox,
    AlertSighting,
    Camera,
    PlateReadRow,
    Site,
    Webhook,
    WebhookDelivery,
)

COUNTED = (Alert, AlertSighting, AlertOutbox, Webhook, WebhookDelivery, PlateReadRow)
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _seed(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        agency, site = Agency(name="Metro PD"), Site(name="Oak")
        s.add_all([agency, site])
        s.flush()
        s.add(Camera(id="gate-1", site_id=site.id, name="Gate"))
        for read_id in ("r1", "r2"):
            s.add(
                PlateReadRow(
                    read_id=read_id,
                    camera_id="gate-1",
                    site_id=site.id,
                    captured_at=AT,
                    plate="7ABC123",
                    confidence=0.97,
                )
            )
        s.flush()
        alert = Alert(
            read_id="r1",
            camera_id="gate-1",
            site_id=site.id,
            decision="alert",
            match_kind="exact",
            score=1.0,
            plate_read="7ABC123",
            read_confidence=0.97,
            entry_plate="7ABC123",
            list_name="NCIC",
            reason="stolen_vehicle",
            first_seen_at=AT,
            last_seen_at=AT,
        )
        s.add(alert)
        s.flush()
        s.add(AlertSighting(alert_id=alert.id, read_id="r2", camera_id="gate-1", seen_at=AT))
        s.add(AlertOutbox(alert_id=alert.id, payload="{}"))
        hook = Webhook(
            agency_id=agency.id, url="https://cad.example/h", secret="whsec_eA==", created_by="test"
        )
        s.add(hook)
        s.flush()
        s.add(WebhookDelivery(webhook_id=hook.id, alert_id=alert.id, payload="{}"))


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in COUNTED
        }


def test_0013_and_0014_go_down_and_up_again_without_losing_a_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        _seed(engine)
        before = _counts(engine)
        assert set(before.values()) == {1, 2} and before["plate_reads"] == 2
        downgrade(engine, "0012")
        assert _counts_raw(engine) == before
        alert_columns = {c["name"] for c in inspect(engine).get_columns("alerts")}
        hook_columns = {c["name"] for c in inspect(engine).get_columns("webhooks")}
        assert "historical" not in alert_columns and "ops_events" not in hook_columns
        # Up again with the rows in place, as a deployment upgrading from 0012 does.
        upgrade(engine)
        assert _counts(engine) == before
    finally:
        engine.dispose()


def _counts_raw(engine: Engine) -> dict[str, int]:
    """Row counts by table name, for a schema older than the models."""
    with engine.connect() as conn:
        return {
            t.__tablename__: conn.scalar(select(func.count()).select_from(t.__table__)) or 0
            for t in COUNTED
        }
