"""Migration 0012 on a database holding agencies, sites, sharing, cameras and a webhook: the
new columns arrive empty, and the downgrade drops them without losing a row (a rebuilt table
would have cascade-deleted the rows that point at it)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from store.db import make_engine
from store.schema import alembic_config, downgrade, upgrade

COUNTED = ("agencies", "sites", "site_sharing", "cameras", "webhooks")


def _before_0012(engine: Engine) -> str:
    revision = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0012")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED}


def _seed(engine: Engine) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    statements = [
        "INSERT INTO agencies (id, name, jurisdiction, created_at) "
        "VALUES (1, 'Metro PD', '', :now)",
        "INSERT INTO sites (id, name, kind, safelist_version, created_at) "
        "VALUES (1, 'Oak', 'hoa', 1, :now)",
        "INSERT INTO site_sharing (id, site_id, agency_id, enabled, changed_at) "
        "VALUES (1, 1, 1, true, :now)",
        "INSERT INTO cameras (id, site_id, name, location, direction, created_at) "
        "VALUES ('gate-1', 1, 'Gate', '', '', :now)",
        "INSERT INTO webhooks (id, agency_id, url, secret, enabled, floor_alert_id, "
        "last_alert_id, floor_sighting_id, last_sighting_id, created_by, created_at) "
        "VALUES (1, 1, 'https://cad.example/h', 'whsec_eA==', true, 0, 0, 0, 0, 'test', :now)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"now": now})


def test_0012_adds_empty_columns_and_its_downgrade_keeps_every_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        previous = _before_0012(engine)
        upgrade(engine, previous)
        _seed(engine)
        upgrade(engine)
        with engine.connect() as conn:
            retired = conn.execute(text("SELECT retired_at, region FROM cameras")).one()
        assert tuple(retired) == (None, None)
        assert _counts(engine) == dict.fromkeys(COUNTED, 1)
        downgrade(engine, previous)
        assert _counts(engine) == dict.fromkeys(COUNTED, 1)
        columns = {c["name"] for c in inspect(engine).get_columns("cameras")}
        assert not {"retired_at", "region"} & columns
    finally:
        engine.dispose()
