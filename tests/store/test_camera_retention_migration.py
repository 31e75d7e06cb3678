"""Migration 0015 on a database holding sites, cameras and what points at a camera (reads, its
health row and an ops alert, the last two deleted with it): the new column arrives empty, takes
a value, and the downgrade drops it without losing a row (a rebuilt `cameras` would have
cascade-deleted the rows that point at it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from store.db import make_engine
from store.schema import downgrade, upgrade

COUNTED = ("sites", "cameras", "plate_reads", "camera_health", "ops_alerts")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED}


def _seed(engine: Engine) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    statements = [
        "INSERT INTO sites (id, name, kind, image_retention_days, safelist_version, created_at) "
        "VALUES (1, 'Oak', 'hoa', 14, 1, :now)",
        "INSERT INTO cameras (id, site_id, name, location, direction, created_at) "
        "VALUES ('gate-1', 1, 'Gate', '', '', :now)",
        "INSERT INTO plate_reads (read_id, camera_id, site_id, captured_at, received_at, plate, "
        "confidence, detail, resident, has_hit) "
        "VALUES ('r1', 'gate-1', 1, :now, :now, 'ABC123', 0.9, '{}', false, false)",
        "INSERT INTO camera_health (camera_id, heard_at, sent_at, started_at, frames, reads, "
        "errors, state, state_since) "
        "VALUES ('gate-1', :now, :now, :now, 10, 1, 0, 'live', :now)",
        "INSERT INTO ops_alerts (id, camera_id, state, detail, raised_at) "
        "VALUES (1, 'gate-1', 'silent', '', :now)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"now": now})


def test_0015_adds_an_empty_column_and_its_downgrade_keeps_every_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0014")
        _seed(engine)
        upgrade(engine, "0015")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT image_retention_days FROM cameras")).scalar() is None
            conn.execute(text("UPDATE cameras SET image_retention_days = 7"))
        assert _counts(engine) == dict.fromkeys(COUNTED, 1)
        downgrade(engine, "0014")
        assert _counts(engine) == dict.fromkeys(COUNTED, 1)
        columns = {c["name"] for c in inspect(engine).get_columns("cameras")}
        assert "image_retention_days" not in columns
        upgrade(engine, "0015")  # and back up again, empty
        with engine.connect() as conn:
            assert conn.execute(text("SELECT image_retention_days FROM cameras")).scalar() is None
    finally:
        engine.dispose()
