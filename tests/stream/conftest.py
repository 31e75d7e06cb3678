"""Fixtures of the stream tests: a real Kafka-protocol broker and per-test topics.

One embedded Tansu broker serves the whole session on a free loopback port and is stopped by
its process id. With PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS set, the same tests run against that
cluster instead (the tests that kill the broker are then skipped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hotlist.lists import add_entry, create_hotlist
from org.registry import create_camera, create_site
from platewatch.settings import Settings, load_settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
from stream.broker import EmbeddedBroker
from stream.clients import ensure_topics

EXTERNAL_BROKER = os.environ.get("PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if EXTERNAL_BROKER:
        yield EXTERNAL_BROKER
        return
    broker = EmbeddedBroker(output=tmp_path_factory.mktemp("broker") / "tansu.log")
    broker.start()
    yield broker.bootstrap_servers
    broker.stop()


@pytest.fixture
def durable_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, durable (s3rver under tmp_path), so it can be killed."""
    if EXTERNAL_BROKER:
        pytest.skip("kills and restarts the broker: only with the embedded broker")
    broker = EmbeddedBroker(durable_dir=tmp_path / "broker", output=tmp_path / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


def settings_for(
    tmp_path: Path,
    bootstrap: str,
    database_url: str,
    *,
    matching: dict[str, object] | None = None,
    **stream: object,
) -> Settings:
    """Settings with topics and a consumer group of this test's own."""
    tag = uuid.uuid4().hex[:8]
    topics = {
        "reads_topic": f"t{tag}.reads",
        "alerts_topic": f"t{tag}.alerts",
        "dispositions_topic": f"t{tag}.dispositions",
        "dead_letter_topic": f"t{tag}.dead-letter",
        "consumer_group": f"matcher-{tag}",
    }
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        edge={"outbox_path": tmp_path / "edge-outbox.db", "image_root": tmp_path / "images"},
        stream={**topics, **stream},
        matching={"index_dir": str(tmp_path / "index"), **(matching or {})},
    )
    ensure_topics(bootstrap, settings.stream)
    return settings


CAMERAS = ["gate-north", "gate-south", "elm-st", "oak-ave"]
HOT_PLATES = ["7ABC123", "8XYZ987", "4KLM555"]


def seed_database(engine: Engine) -> None:
    """Four cameras at one site and a stolen-vehicle list with three plates."""
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        create_site(session, "Oak Hills HOA")
        for camera in CAMERAS:
            create_camera(session, camera, site="Oak Hills HOA")
        create_hotlist(session, "NCIC stolen", source="ncic")
        for plate in HOT_PLATES:
            add_entry(session, "NCIC stolen", plate=plate, reason="stolen_vehicle")


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    seed_database(engine)
    return engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A seeded SQLite database, for tests of the stream's mechanics alone."""
    eng = make_engine(f"sqlite:///{tmp_path / 'platewatch.db'}")
    Base.metadata.create_all(eng)
    seed_database(eng)
    yield eng
    eng.dispose()
