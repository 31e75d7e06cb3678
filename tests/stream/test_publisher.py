"""The edge's store-and-forward: with the broker killed, or away for 30 s, while an edge
publishes 10,000 reads, every read reaches the database exactly once."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from alpr.read import PlateRead
from store.tables import PlateReadRow
from stream.broker import EmbeddedBroker
from stream.publisher import EdgePublisher
from tests.stream.conftest import CAMERAS, settings_for
from tests.stream.helpers import (
    count_rows,
    running_matcher,
    start_cli,
    stored_read_ids,
    synthetic_reads,
    wait_until,
    write_config,
)

READS = 10_000


def _publish_steadily(
    publisher: EdgePublisher,
    reads: list[PlateRead],
    *,
    per_batch: int,
    pause_s: float,
    queued: threading.Event,
) -> None:
    for start in range(0, len(reads), per_batch):
        publisher.publish_many(reads[start : start + per_batch])
        time.sleep(pause_s)
    queued.set()


def _run_with_broker_outage(
    tmp_path: Path, broker: EmbeddedBroker, engine: Engine, *, down_s: float
) -> tuple[int, bool]:
    """Publish READS while the broker is killed at a third of the way and restarted after
    `down_s`; the outbox depth at the end of the outage, and whether the edge saw it."""
    settings = settings_for(tmp_path, broker.bootstrap_servers, str(engine.url))
    reads = list(synthetic_reads(READS, CAMERAS, seed=21))
    queued = threading.Event()
    with running_matcher(settings, engine), EdgePublisher(settings) as publisher:
        feeder = threading.Thread(
            target=_publish_steadily,
            args=(publisher, reads),
            kwargs={"per_batch": 50, "pause_s": 0.02 if down_s < 5 else 0.1, "queued": queued},
        )
        feeder.start()
        wait_until(
            "a third of the reads to be forwarded",
            lambda: publisher.metrics.reads_forwarded._value.get() >= READS // 3,
        )
        broker.kill()
        killed = time.monotonic()
        broker_seen_down = False
        while time.monotonic() - killed < down_s:
            broker_seen_down |= publisher.metrics.broker_up._value.get() == 0
            time.sleep(0.1)
        depth_during_outage = publisher.outbox.depth().reads
        broker.start()
        feeder.join()
        wait_until("the outbox to drain", publisher.forwarder.drained, timeout=120)
        wait_until(
            "every read in the database",
            lambda: count_rows(engine, PlateReadRow) >= READS,
            timeout=180,
        )
    stored = stored_read_ids(engine)
    assert len(stored) == READS
    assert set(stored) == {r.read_id for r in reads}
    return depth_during_outage, broker_seen_down


@pytest.mark.kafka
@pytest.mark.slow
def test_broker_killed_and_restarted_while_the_edge_publishes(
    tmp_path: Path, durable_broker: EmbeddedBroker, sqlite_engine: Engine
) -> None:
    _run_with_broker_outage(tmp_path, durable_broker, sqlite_engine, down_s=0.5)


@pytest.mark.kafka
@pytest.mark.slow
def test_broker_unreachable_for_30_s_while_the_edge_publishes(
    tmp_path: Path, durable_broker: EmbeddedBroker, sqlite_engine: Engine
) -> None:
    depth, seen_down = _run_with_broker_outage(tmp_path, durable_broker, sqlite_engine, down_s=30.0)
    assert depth > 1000, "the edge should have queued reads while the broker was away"
    assert seen_down, "platewatch_edge_broker_up should have dropped to 0 during the outage"


@pytest.mark.kafka
@pytest.mark.models
@pytest.mark.slow
def test_platewatch_edge_on_a_real_clip_delivers_every_pass_to_the_database(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine, shared_data: Path
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, str(sqlite_engine.url))
    config = write_config(settings, tmp_path / "platewatch.yaml")
    clip = shared_data / "samples" / "license_plate.mp4"
    with running_matcher(settings, sqlite_engine):
        edge = start_cli(
            ["edge", "--camera", "gate-north", "--source", str(clip)], config, tmp_path / "edge.log"
        )
        assert edge.wait(600) == 0, (tmp_path / "edge.log").read_text()[-3000:]
        summary = (tmp_path / "edge.log").read_text()
        match = re.search(r"edge: (\d+) read\(s\) queued", summary)
        assert match, summary[-3000:]
        passes = int(match.group(1))
        assert passes >= 1
        wait_until(
            "every pass in the database",
            lambda: count_rows(sqlite_engine, PlateReadRow) >= passes,
            timeout=60,
        )
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            select(PlateReadRow.camera_id, PlateReadRow.plate, PlateReadRow.crop_path)
        ).all()
    assert len(rows) == passes
    assert {camera for camera, _, _ in rows} == {"gate-north"}
    assert all(plate and crop for _, plate, crop in rows)
    for _, _, crop in rows:
        assert crop is not None
        assert (settings.edge.image_root / crop).is_file()
