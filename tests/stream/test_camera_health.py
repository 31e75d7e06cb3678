"""Camera health end to end on the real broker: an edge reading a live MJPEG camera reports
live; killed with SIGKILL it goes offline and the operations alert reaches the database, the
ops feed API, a webhook receiver and an SMTP inbox; started again it recovers and the alert
clears. Also: heartbeats of unregistered cameras and malformed ones are dead-lettered."""

from __future__ import annotations

import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from sqlalchemy import Engine, select

from community.settings import MailSettings
from console.accounts.users import create_user, issue_token
from console.app import create_app
from console.camera_health import camera_health
from console.health_settings import HealthSettings
from console.health_worker import HealthWorker
from console.webhook_worker import WebhookWorker
from org.registry import create_agency, set_site_sharing
from platewatch.settings import Settings
from store.db import make_session_factory, transaction
from store.tables import CameraHealth, OpsAlert
from stream.broker import free_port
from stream.events import CameraHeartbeat, DeadLetter, RejectKind, parse_event
from stream.health import HeartbeatConsumer
from tests.stream.camera_feeds import mjpeg_camera, smtp_inbox, webhook_receiver
from tests.stream.conftest import settings_for
from tests.stream.helpers import read_topic, start_cli, stop_process, wait_until, write_config

CAMERA = "gate-north"
HEALTH = HealthSettings(offline_after_s=4, silent_after_s=600, failing_window_s=60, check_s=0.3)


def _settings(tmp_path: Path, bootstrap: str, engine: Engine, smtp_port: int) -> Settings:
    tag = uuid.uuid4().hex[:8]
    base = settings_for(
        tmp_path,
        bootstrap,
        str(engine.url),
        heartbeats_topic=f"t{tag}.heartbeats",
        health_consumer_group=f"health-{tag}",
    )
    return base.model_copy(
        update={
            "edge": base.edge.model_copy(update={"heartbeat_s": 0.5}),
            "health": HEALTH.model_copy(update={"alert_emails": ("ops@example.org",)}),
            "mail": MailSettings(enabled=True, host="127.0.0.1", port=smtp_port),
            "console": base.console.model_copy(
                update={"webhook_poll_s": 0.2, "media_link_key_path": tmp_path / "media.key"}
            ),
        }
    )


@contextmanager
def consuming_heartbeats(settings: Settings, engine: Engine) -> Iterator[HeartbeatConsumer]:
    consumer = HeartbeatConsumer(settings, make_session_factory(engine))
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        stop.set()
        thread.join(30)


@contextmanager
def console_workers(settings: Settings, engine: Engine) -> Iterator[HealthWorker]:
    factory = make_session_factory(engine)
    checker = HealthWorker(factory, settings)
    sender = WebhookWorker(factory, settings.console)
    checker.start()
    sender.start()
    try:
        yield checker
    finally:
        checker.stop()
        sender.stop()


def _ops_world(engine: Engine, receiver_url: str) -> tuple[str, str]:
    """An agency sharing in the cameras' site with an ops webhook; an admin's API token."""
    from console.webhooks import create_webhook

    with transaction(make_session_factory(engine)) as s:
        agency = create_agency(s, "Metro PD", state="CA")
        set_site_sharing(s, "Oak Hills HOA", agency.id, actor="test")
        hook = create_webhook(
            s, actor="test", agency_id=agency.id, url=receiver_url, ops_events=True
        )
        create_user(s, actor="test", username="ops", role="admin", password="long enough pass")
        token = issue_token(s, actor="test", username="ops", name="pytest", days=1)
    return hook.secret, token.secret


def _state(engine: Engine, settings: Settings) -> tuple[str, int, int]:
    with make_session_factory(engine)() as s:
        shown = {c.camera_id: c for c in camera_health(s, settings.health)}[CAMERA]
        stored = s.get(CameraHealth, CAMERA)
    checked = stored.state if stored else "unknown"
    return f"{shown.state}/{checked}", shown.frames, shown.reads


def _open_alert(engine: Engine) -> OpsAlert | None:
    with make_session_factory(engine)() as s:
        return s.scalar(
            select(OpsAlert).where(OpsAlert.camera_id == CAMERA, OpsAlert.cleared_at.is_(None))
        )


def _metric_state(api: TestClient) -> str | None:
    """The state the console's Prometheus gauges give the camera."""
    registry = api.app.state.metrics_registry  # type: ignore[attr-defined]
    for state in ("live", "silent", "failing", "offline"):
        labels = {"camera": CAMERA, "site": "Oak Hills HOA", "state": state}
        if registry.get_sample_value("platewatch_camera_state", labels) == 1.0:
            return state
    return None


def _start_edge(url: str, config: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_cli(["edge", "--camera", CAMERA, "--source", url], config, log)


@pytest.mark.kafka
@pytest.mark.models
@pytest.mark.slow
def test_a_killed_edge_raises_the_offline_alert_everywhere_and_recovers(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine, shared_data: Path
) -> None:
    clip = shared_data / "samples" / "license_plate.mp4"
    with (
        smtp_inbox() as (smtp_port, inbox),
        webhook_receiver() as (receiver_url, received),
        mjpeg_camera(clip) as camera_url,
    ):
        settings = _settings(tmp_path, kafka_bootstrap, sqlite_engine, smtp_port)
        config = write_config(settings, tmp_path / "platewatch.yaml")
        received.secret, token = _ops_world(sqlite_engine, receiver_url)
        api = TestClient(create_app(settings, webhooks=False))
        headers = {"Authorization": f"Bearer {token}"}
        log = tmp_path / "edge.log"
        with (
            consuming_heartbeats(settings, sqlite_engine),
            console_workers(settings, sqlite_engine),
        ):
            edge = _start_edge(camera_url, config, log)
            try:
                wait_until(
                    "the camera to be live with reads",
                    lambda: (s := _state(sqlite_engine, settings))[0] == "live/live" and s[2] > 0,
                    timeout=300,
                )
                assert edge.poll() is None, log.read_text()[-3000:]
                assert _open_alert(sqlite_engine) is None
                edge.send_signal(signal.SIGKILL)
                edge.wait(10)

                wait_until("the offline alert", lambda: _open_alert(sqlite_engine) is not None)
                alert = _open_alert(sqlite_engine)
                assert alert is not None and alert.state == "offline"
                assert _state(sqlite_engine, settings)[0] == "offline/offline"
                assert _metric_state(api) == "offline"
                feed = api.get("/api/ops-alerts", params={"open": "true"}, headers=headers)
                assert [(a["id"], a["camera_id"], a["state"]) for a in feed.json()] == [
                    (alert.id, CAMERA, "offline")
                ]
                wait_until("the webhook", lambda: "camera.alert_raised" in received.types())
                wait_until("the email", lambda: len(inbox.messages) >= 1)
                assert inbox.subjects() == [f"platewatch: camera {CAMERA} is offline"]
                assert inbox.messages[0]["To"] == "ops@example.org"

                edge = _start_edge(camera_url, config, log)
                wait_until("the alert to clear", lambda: _open_alert(sqlite_engine) is None)
                assert _state(sqlite_engine, settings)[0] == "live/live"
                wait_until(
                    "platewatch_camera_state live in the console's metrics",
                    lambda: _metric_state(api) == "live",
                )
                wait_until("the clearing webhook", lambda: len(received.bodies) >= 2)
                wait_until("the clearing email", lambda: len(inbox.messages) >= 2)
            finally:
                stop_process(edge, signal.SIGKILL)
    assert received.types() == ["camera.alert_raised", "camera.alert_cleared"]
    assert received.bad_signatures == 0
    cleared = received.bodies[1]["data"]["ops_alert"]
    assert (cleared["id"], cleared["state"]) == (alert.id, "offline")
    assert cleared["cleared_at"] is not None
    assert inbox.subjects()[1] == f"platewatch: camera {CAMERA} no longer offline"


@pytest.mark.kafka
def test_heartbeats_of_unknown_cameras_and_bad_ones_are_dead_lettered(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine
) -> None:
    settings = _settings(tmp_path, kafka_bootstrap, sqlite_engine, smtp_port=25)
    now = datetime.now(UTC)
    known = CameraHeartbeat(
        camera_id=CAMERA, sent_at=now, started_at=now, frames=3, reads=0, errors=0
    )
    unknown = known.model_copy(update={"camera_id": "gate-west"})
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    topic = settings.stream.heartbeats_topic
    for value in (known.to_bytes(), unknown.to_bytes(), b'{"schema_version": 2}'):
        producer.send(topic, key=b"k", value=value)
    producer.flush()
    producer.close()
    with consuming_heartbeats(settings, sqlite_engine) as consumer:
        wait_until("the known camera's heartbeat", lambda: consumer.written >= 1)
        letters = read_topic(kafka_bootstrap, settings.stream.dead_letter_topic, expect=2)
    with make_session_factory(sqlite_engine)() as s:
        row = s.get(CameraHealth, CAMERA)
        assert row is not None and row.frames == 3
        assert s.get(CameraHealth, "gate-west") is None
    dead = [parse_event(value, DeadLetter) for value in letters]
    assert all(isinstance(d, DeadLetter) for d in dead)
    reasons = sorted((d.reason, d.error) for d in dead if isinstance(d, DeadLetter))
    assert reasons[0][0] is RejectKind.UNPROCESSABLE
    assert "camera 'gate-west' is not registered" in reasons[0][1]
    assert reasons[1][0] is RejectKind.UNSUPPORTED_VERSION
    assert {d.source_topic for d in dead if isinstance(d, DeadLetter)} == {topic}


@pytest.mark.kafka
@pytest.mark.models
@pytest.mark.slow
def test_an_edge_whose_camera_is_unreachable_raises_the_failing_alert(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine
) -> None:
    settings = _settings(tmp_path, kafka_bootstrap, sqlite_engine, smtp_port=25)
    settings = settings.model_copy(update={"health": HEALTH})  # no mail for this one
    config = write_config(settings, tmp_path / "platewatch.yaml")
    dead_camera = f"http://127.0.0.1:{free_port()}/camera.mjpg"  # nothing listens there
    log = tmp_path / "edge.log"
    with consuming_heartbeats(settings, sqlite_engine), console_workers(settings, sqlite_engine):
        edge = _start_edge(dead_camera, config, log)
        try:
            wait_until(
                "the failing alert", lambda: _open_alert(sqlite_engine) is not None, timeout=300
            )
            assert edge.poll() is None, log.read_text()[-3000:]
        finally:
            stop_process(edge)
    alert = _open_alert(sqlite_engine)
    assert alert is not None and alert.state == "failing"
    assert alert.detail.startswith(f"source error: {dead_camera}: unreachable; retrying in")
    with make_session_factory(sqlite_engine)() as s:
        row = s.get(CameraHealth, CAMERA)
        assert row is not None and row.errors >= 1 and row.frames == 0
