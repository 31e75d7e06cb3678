"""The matcher: every read stored once, alerts raised once, bad messages set aside, whatever
happens to the matcher processes. Matchers run as real `platewatch matcher` processes where
the test kills them."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine, func, select

from alpr.read import PlateRead
from hotlist.lists import add_entry
from platewatch.settings import Settings
from store.db import make_session_factory, transaction
from store.tables import Alert, AlertOutbox, AlertSighting, PlateReadRow
from stream.events import AlertEvent, DeadLetter, PlateReadEvent, RejectKind, parse_event
from stream.publisher import EdgePublisher
from tests.stream.conftest import CAMERAS, HOT_PLATES, settings_for
from tests.stream.helpers import (
    count_rows,
    read_topic,
    running_matcher,
    start_cli,
    stop_process,
    stored_read_ids,
    synthetic_reads,
    wait_until,
    write_config,
)


def _publish(settings: Settings, count: int, *, seed: int = 7) -> list[str]:
    reads = list(synthetic_reads(count, CAMERAS, hot_plates=HOT_PLATES, seed=seed))
    _send(settings, reads)
    return [r.read_id for r in reads]


def _send(settings: Settings, reads: list[PlateRead]) -> None:
    with EdgePublisher(settings) as publisher:
        for start in range(0, len(reads), 200):
            publisher.publish_many(reads[start : start + 200])
        wait_until("the edge outbox to drain", publisher.forwarder.drained, timeout=120)


def _assert_exactly_once(engine: Engine, read_ids: list[str], hot_reads: int) -> None:
    stored = stored_read_ids(engine)
    assert len(stored) == len(read_ids)
    assert set(stored) == set(read_ids)
    with engine.connect() as conn:
        alerts = conn.execute(select(Alert.entry_plate, Alert.sightings)).all()
        sightings = int(conn.scalar(select(func.count()).select_from(AlertSighting)) or 0)
    # Each listed plate passes every few seconds, inside the cooldown: one alert per plate,
    # every later pass a sighting of it.
    assert sorted(plate for plate, _ in alerts) == sorted(HOT_PLATES)
    assert sum(n for _, n in alerts) == hot_reads
    assert len(alerts) + sightings == hot_reads


def _assert_alert_events_published(engine: Engine, settings: Settings) -> None:
    with engine.connect() as conn:
        outbox = dict(conn.execute(select(AlertOutbox.id, AlertOutbox.kind)).all())
        wait_until(
            "every alert event to be published",
            lambda: (
                count_rows(engine, AlertOutbox)
                == conn.scalar(
                    select(func.count())
                    .select_from(AlertOutbox)
                    .where(AlertOutbox.published_at.is_not(None))
                )
            ),
            timeout=30,
        )
    values = read_topic(
        settings.kafka_bootstrap_servers or "", settings.stream.alerts_topic, expect=len(outbox)
    )
    events = [parse_event(v, AlertEvent, max_bytes=10**7) for v in values]
    assert all(isinstance(e, AlertEvent) for e in events)
    # At least once on the topic, exactly once after de-duplication by event id.
    assert {e.event_id: e.kind.value for e in events if isinstance(e, AlertEvent)} == outbox


@pytest.mark.kafka
@pytest.mark.slow
def test_a_matcher_killed_mid_batch_loses_no_read_and_doubles_no_alert(
    tmp_path: Path, kafka_bootstrap: str, db_url: str, seeded_engine: Engine
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, db_url)
    config = write_config(settings, tmp_path / "platewatch.yaml")
    read_ids = _publish(settings, 5_000)
    first = start_cli(["matcher", "--name", "first"], config, tmp_path / "first.log")
    wait_until(
        "the first matcher to store 1,500 reads",
        lambda: count_rows(seeded_engine, PlateReadRow) >= 1500,
        timeout=120,
    )
    stop_process(first, signal.SIGKILL)
    killed_at = count_rows(seeded_engine, PlateReadRow)
    assert killed_at < 5_000, "the kill came too late to interrupt anything"
    second = start_cli(["matcher", "--name", "second"], config, tmp_path / "second.log")
    try:
        wait_until(
            "every read to be stored",
            lambda: count_rows(seeded_engine, PlateReadRow) >= 5_000,
            timeout=180,
        )
        _assert_exactly_once(seeded_engine, read_ids, hot_reads=5_000 // 50)
        _assert_alert_events_published(seeded_engine, settings)
    finally:
        assert stop_process(second) == 0, (tmp_path / "second.log").read_text()[-3000:]


@pytest.mark.kafka
@pytest.mark.slow
def test_two_matchers_share_the_reads_and_one_stopping_hands_over_its_partitions(
    tmp_path: Path, kafka_bootstrap: str, db_url: str, seeded_engine: Engine
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, db_url, batch_max=100)
    config = write_config(settings, tmp_path / "platewatch.yaml")
    one = start_cli(["matcher", "--name", "one"], config, tmp_path / "one.log")
    two = start_cli(["matcher", "--name", "two"], config, tmp_path / "two.log")
    try:
        time.sleep(4)  # let both join the group so the partitions are split between them
        reads = list(synthetic_reads(6_000, CAMERAS, hot_plates=HOT_PLATES, seed=7))
        _send(settings, reads[:4_000])
        wait_until(
            "a third of the reads to be stored",
            lambda: count_rows(seeded_engine, PlateReadRow) >= 1300,
            timeout=120,
        )
        assert stop_process(one) == 0, (tmp_path / "one.log").read_text()[-3000:]
        # The rest lands on every partition, the stopped matcher's too: only a handover
        # gets them stored, however fast the first part went.
        _send(settings, reads[4_000:])
        wait_until(
            "the remaining matcher to store every read",
            lambda: count_rows(seeded_engine, PlateReadRow) >= 6_000,
            timeout=180,
        )
        _assert_exactly_once(seeded_engine, [r.read_id for r in reads], hot_reads=6_000 // 50)
    finally:
        assert stop_process(two) == 0, (tmp_path / "two.log").read_text()[-3000:]
    logs = (tmp_path / "one.log").read_text() + (tmp_path / "two.log").read_text()
    assert "consuming" in logs


def _poison(read_json: dict[str, object]) -> list[tuple[bytes, RejectKind, str]]:
    wrong_version = {**read_json, "schema_version": 2}
    missing = json.loads(json.dumps(read_json))
    del missing["read"]["plate"]
    return [
        (b"GET / HTTP/1.1\r\n\r\n", RejectKind.UNPARSEABLE, "not JSON"),
        (
            json.dumps(wrong_version).encode(),
            RejectKind.UNSUPPORTED_VERSION,
            "schema_version 2 is not supported",
        ),
        (json.dumps(missing).encode(), RejectKind.INVALID, "read.plate: Field required"),
        (
            b"\x89PNG" + b"\x00" * (2 * 1024 * 1024),
            RejectKind.UNPARSEABLE,
            "message is 2,097,156 bytes",
        ),
    ]


@pytest.mark.kafka
def test_poison_messages_land_in_the_dead_letter_topic_and_the_stream_flows_on(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, str(sqlite_engine.url))
    stream = settings.stream
    reads = list(synthetic_reads(300, CAMERAS, seed=3))
    unknown_camera = next(synthetic_reads(1, ["camera-nobody-registered"], seed=4))
    poison = _poison(json.loads(PlateReadEvent(read=reads[0]).to_bytes()))
    poison.append(
        (
            PlateReadEvent(read=unknown_camera).to_bytes(),
            RejectKind.UNPROCESSABLE,
            "camera 'camera-nobody-registered' is not registered",
        )
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=8 * 2**20)
    for read in reads[:150]:
        producer.send(
            stream.reads_topic, key=b"gate-north", value=PlateReadEvent(read=read).to_bytes()
        )
    for value, _, _ in poison:
        producer.send(stream.reads_topic, key=b"gate-north", value=value)
    for read in reads[150:]:
        producer.send(
            stream.reads_topic, key=b"gate-north", value=PlateReadEvent(read=read).to_bytes()
        )
    producer.flush()
    producer.close()
    with running_matcher(settings, sqlite_engine):
        wait_until(
            "every good read to be stored",
            lambda: count_rows(sqlite_engine, PlateReadRow) >= 300,
            timeout=60,
        )
    assert set(stored_read_ids(sqlite_engine)) == {r.read_id for r in reads}
    letters = [
        parse_event(v, DeadLetter, max_bytes=10**8)
        for v in read_topic(kafka_bootstrap, stream.dead_letter_topic, expect=5)
    ]
    assert all(isinstance(letter, DeadLetter) for letter in letters)
    assert len(letters) == 5
    by_original = {
        letter.original(): letter for letter in letters if isinstance(letter, DeadLetter)
    }
    for value, kind, message in poison:
        letter = by_original[value]
        assert letter.reason is kind
        assert message in letter.error
        assert letter.source_topic == stream.reads_topic
        assert letter.consumer_group == stream.consumer_group


@pytest.mark.kafka
def test_a_hotlist_change_reaches_a_running_matcher(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine
) -> None:
    settings = settings_for(
        tmp_path, kafka_bootstrap, str(sqlite_engine.url), matching={"index_check_interval_s": 0.0}
    )
    plate = "5NEW321"
    before, after = synthetic_reads(2, ["elm-st"], hot_plates=[plate], every=1, seed=9)
    factory = make_session_factory(sqlite_engine)
    with running_matcher(settings, sqlite_engine), EdgePublisher(settings) as edge:
        edge.publish(before)
        wait_until("the first read", lambda: count_rows(sqlite_engine, PlateReadRow) == 1)
        assert count_rows(sqlite_engine, Alert) == 0
        with transaction(factory) as session:
            add_entry(session, "NCIC stolen", plate=plate, reason="stolen_vehicle")
        edge.publish(after)
        wait_until(
            "an alert for the newly listed plate",
            lambda: count_rows(sqlite_engine, Alert) == 1,
            timeout=30,
        )
    with sqlite_engine.connect() as conn:
        assert conn.scalar(select(Alert.read_id)) == after.read_id
