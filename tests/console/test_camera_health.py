"""Camera health in the console: the states, who sees which camera, and the checker that
raises and clears operations alerts (feed, webhook deliveries, mail), on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import delete, select

from console.camera_health import CameraHealthCollector, verdict
from console.health_settings import HealthSettings
from console.ops_alerts import CLEARED, RAISED, check_cameras, ops_mail
from console.webhooks import create_webhook
from store.base import utcnow
from store.tables import AuditEvent, CameraHealth, OpsAlert, Webhook, WebhookDelivery
from stream.events import CameraHeartbeat
from stream.health import record_heartbeats
from tests.console.conftest import Caller, World

HEALTH = HealthSettings(offline_after_s=60, silent_after_s=600, failing_window_s=120)
CAMERAS = ("cam-oak-1", "cam-oak-2", "cam-pine-1", "cam-elm-1")


def beat(camera_id: str, at: datetime, **kw: object) -> CameraHeartbeat:
    fields: dict[str, object] = {
        "camera_id": camera_id,
        "sent_at": at,
        "started_at": at - timedelta(minutes=5),
        "frames": 900,
        "reads": 12,
        "last_read_at": at - timedelta(seconds=30),
        "model_pack": "fused",
        "errors": 0,
        **kw,
    }
    return CameraHeartbeat.model_validate(fields)


def heartbeats(world: World, beats: list[CameraHeartbeat], heard_at: datetime) -> None:
    with world.session() as s:
        assert record_heartbeats(s, beats, heard_at=heard_at) == []
        s.commit()


@pytest.fixture
def fresh(world: World) -> Iterator[datetime]:
    """Every seeded camera reporting now; no alerts or ops webhooks left afterwards."""
    now = utcnow()
    with world.session() as s:
        s.execute(delete(OpsAlert))
        s.execute(delete(CameraHealth))
        s.commit()
    heartbeats(world, [beat(c, now) for c in CAMERAS], now)
    yield now
    with world.session() as s:
        s.execute(delete(Webhook).where(Webhook.ops_events.is_(True)))
        s.execute(delete(OpsAlert))
        s.execute(delete(CameraHealth))
        s.commit()


def test_states_from_heartbeat_age_and_counters(world: World, fresh: datetime) -> None:
    with world.session() as s:
        row = s.get(CameraHealth, "cam-oak-1")
        assert row is not None
        assert verdict(row, fresh, HEALTH).state == "live"
        assert verdict(row, fresh + timedelta(seconds=59), HEALTH).state == "live"
        offline = verdict(row, fresh + timedelta(seconds=60), HEALTH)
        assert (offline.state, offline.reason) == ("offline", "no heartbeat for 60 s")
        row.last_read_at = fresh - timedelta(minutes=11)
        silent = verdict(row, fresh, HEALTH)
        assert (silent.state, silent.reason) == ("silent", "no read for 11 min")
        row.last_read_at, row.started_at = None, fresh - timedelta(minutes=12)
        assert verdict(row, fresh, HEALTH).reason == "no read since its start for 12 min"
        row.last_error, row.last_error_at = "rtsp://cam: dropped; reconnecting", fresh
        failing = verdict(row, fresh, HEALTH)
        assert failing.state == "failing" and "dropped" in failing.reason
        assert verdict(None, fresh, HEALTH).state == "offline"
        s.rollback()


def test_an_older_heartbeat_never_overwrites_a_newer_one(world: World, fresh: datetime) -> None:
    heartbeats(world, [beat("cam-oak-1", fresh - timedelta(seconds=10), frames=5)], fresh)
    with world.session() as s:
        row = s.get(CameraHealth, "cam-oak-1")
        assert row is not None and row.frames == 900
    with world.session() as s:
        unknown = record_heartbeats(s, [beat("cam-nowhere", fresh)], heard_at=fresh)
        s.commit()
        assert [b.camera_id for b in unknown] == ["cam-nowhere"]
        assert s.get(CameraHealth, "cam-nowhere") is None


def _cameras(caller: Caller) -> set[str]:
    response = caller.get("/api/cameras/health")
    assert response.status_code == 200, response.text
    return {c["camera_id"] for c in response.json()}


def test_each_role_sees_its_own_cameras(
    fresh: datetime, as_user: dict[str, Caller], by_token: dict[str, Caller]
) -> None:
    del fresh
    assert _cameras(as_user["admin"]) == set(CAMERAS)
    # Metro PD shares in Oak Ridge; its sharing of Elm Court is switched off.
    assert _cameras(as_user["officer_a"]) == {"cam-oak-1", "cam-oak-2"}
    assert _cameras(by_token["officer_a"]) == {"cam-oak-1", "cam-oak-2"}
    assert _cameras(as_user["supervisor"]) == {"cam-oak-1", "cam-oak-2"}
    assert _cameras(as_user["officer_b"]) == {"cam-pine-1"}
    assert _cameras(as_user["hoa_pine"]) == {"cam-pine-1"}
    for refused in ("auditor", "resident_a"):
        response = as_user[refused].get("/api/cameras/health")
        assert response.status_code == 403
        assert "needs the admin or officer or supervisor or hoa admin role" in response.text
    shown = {c["camera_id"]: c for c in as_user["admin"].get("/api/cameras/health").json()}
    assert shown["cam-oak-1"]["state"] == "live"
    assert shown["cam-oak-1"]["model_pack"] == "fused"
    assert shown["cam-oak-1"]["reads"] == 12


def test_offline_raises_one_alert_and_recovery_clears_it(
    world: World, fresh: datetime, as_user: dict[str, Caller]
) -> None:
    with world.session() as s:
        metro = create_webhook(
            s,
            actor="admin",
            agency_id=world.ids["metro"],
            url="http://127.0.0.1:9/ops",
            ops_events=True,
        ).webhook
        county = create_webhook(
            s,
            actor="admin",
            agency_id=world.ids["county"],
            url="http://127.0.0.1:9/ops",
            ops_events=True,
        ).webhook
        s.commit()
        assert check_cameras(s, HEALTH, now=fresh) == []  # unknown -> live: nothing to say
        s.commit()
    # Only cam-oak-1 keeps silent past offline_after_s; the others report again.
    later = fresh + timedelta(seconds=90)
    heartbeats(world, [beat(c, later) for c in CAMERAS if c != "cam-oak-1"], later)
    with world.session() as s:
        changes = check_cameras(s, HEALTH, now=later)
        s.commit()
        assert [(c.event, c.alert.camera_id, c.alert.state) for c in changes] == [
            (RAISED, "cam-oak-1", "offline")
        ]
        assert check_cameras(s, HEALTH, now=later) == []  # raised once, not every check
        s.commit()
        deliveries = s.scalars(
            select(WebhookDelivery).where(WebhookDelivery.ops_alert_id.is_not(None))
        ).all()
        # Metro PD shares in the camera's site; County SO does not.
        assert [(d.webhook_id, d.event) for d in deliveries] == [(metro.id, RAISED)]
        body = json.loads(deliveries[0].payload)
        assert body["type"] == RAISED
        assert body["data"]["ops_alert"]["camera_id"] == "cam-oak-1"
        assert county.id not in {d.webhook_id for d in deliveries}
    alert_id = changes[0].alert.id
    feed = as_user["officer_a"].get("/api/ops-alerts", params={"open": "true"}).json()
    assert [(a["id"], a["state"], a["kind"]) for a in feed] == [(alert_id, "offline", "camera")]
    assert as_user["officer_b"].get("/api/ops-alerts").json() == []
    for sees in ("admin", "hoa_oak", "supervisor"):
        assert [a["id"] for a in as_user[sees].get("/api/ops-alerts").json()] == [alert_id]
    assert as_user["hoa_pine"].get("/api/ops-alerts").json() == []
    assert as_user["auditor"].get("/api/ops-alerts").status_code == 403
    mail = ops_mail(
        changes, HEALTH.model_copy(update={"alert_emails": ("ops@example.org",)}), "http://c"
    )
    assert [(m.to, m.subject) for m in mail] == [
        ("ops@example.org", "platewatch: camera cam-oak-1 is offline")
    ]
    assert "no heartbeat for 90 s" in mail[0].body and "http://c/cameras/health" in mail[0].body

    back = later + timedelta(seconds=5)
    heartbeats(world, [beat("cam-oak-1", back)], back)
    with world.session() as s:
        cleared = check_cameras(s, HEALTH, now=back)
        s.commit()
    assert [(c.event, c.alert.id) for c in cleared] == [(CLEARED, alert_id)]
    assert as_user["officer_a"].get("/api/ops-alerts", params={"open": "true"}).json() == []
    with world.session() as s:
        events = s.scalars(
            select(WebhookDelivery.event).where(WebhookDelivery.ops_alert_id == alert_id)
        ).all()
        assert sorted(events) == sorted([RAISED, CLEARED])


def test_acknowledging_is_audited_and_scoped(
    world: World, fresh: datetime, as_user: dict[str, Caller]
) -> None:
    with world.session() as s:
        check_cameras(s, HEALTH, now=fresh)
        changes = check_cameras(s, HEALTH, now=fresh + timedelta(seconds=61))
        s.commit()
    alert = next(c.alert for c in changes if c.alert.camera_id == "cam-oak-1")
    url = f"/api/ops-alerts/{alert.id}/acknowledge"
    refused = as_user["officer_b"].post(url)
    assert refused.status_code == 404
    assert "among the cameras you may see" in refused.text
    done = as_user["officer_a"].post(url)
    assert done.status_code == 200, done.text
    assert done.json()["acknowledged_by"] == "officer_a"
    assert (
        as_user["officer_a"].post(url).json()["acknowledged_at"] == done.json()["acknowledged_at"]
    )
    with world.session() as s:
        audits = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "ops_alert.acknowledge", AuditEvent.subject == str(alert.id)
            )
        ).all()
        assert [(a.actor, a.detail) for a in audits] == [
            ("officer_a", {"camera_id": "cam-oak-1", "state": "offline"})
        ]


def test_prometheus_gauges_per_camera(world: World, fresh: datetime) -> None:
    registry = CollectorRegistry()
    registry.register(CameraHealthCollector(world.factory, HEALTH))
    text = generate_latest(registry).decode()
    assert (
        'platewatch_camera_state{camera="cam-oak-1",site="Oak Ridge HOA",state="live"} 1.0' in text
    )
    assert (
        'platewatch_camera_state{camera="cam-oak-1",site="Oak Ridge HOA",state="offline"} 0.0'
        in text
    )
    assert 'platewatch_camera_reads{camera="cam-pine-1"} 12.0' in text
    assert 'platewatch_camera_heartbeat_age_seconds{camera="cam-oak-1"}' in text
    del fresh


def test_the_health_page_lists_the_cameras(fresh: datetime, as_user: dict[str, Caller]) -> None:
    del fresh
    page = as_user["hoa_pine"].get("/cameras/health")
    assert page.status_code == 200
    assert "Pine entrance" in page.text and "Oak gate north" not in page.text


def test_an_admin_subscribes_a_webhook_to_camera_alerts(
    world: World, fresh: datetime, as_user: dict[str, Caller]
) -> None:
    del fresh
    made = as_user["admin"].post(
        "/api/webhooks",
        json={"agency_id": world.ids["county"], "url": "http://127.0.0.1:9/a", "ops_events": True},
    )
    assert made.status_code == 201, made.text
    assert made.json()["webhook"]["ops_events"] is True
    page = as_user["admin"].post(
        "/admin/webhooks",
        data={
            "op": "add",
            "agency_id": str(world.ids["county"]),
            "url": "http://127.0.0.1:9/b",
            "ops_events": "true",
        },
    )
    assert page.status_code == 200, page.text
    assert "camera alerts" in page.text
    with world.session() as s:
        hooks = s.scalars(select(Webhook).where(Webhook.url.like("http://127.0.0.1:9/%"))).all()
        assert {(h.url, h.ops_events) for h in hooks} == {
            ("http://127.0.0.1:9/a", True),
            ("http://127.0.0.1:9/b", True),
        }


def test_a_changing_problem_clears_the_old_alert_and_raises_the_new(
    world: World, fresh: datetime
) -> None:
    with world.session() as s:
        check_cameras(s, HEALTH, now=fresh)
        s.commit()
    erring = fresh + timedelta(seconds=5)
    error = "rtsp://10.0.0.7/stream: unreachable; retrying in 4 s"
    heartbeats(
        world,
        [beat("cam-pine-1", erring, errors=3, last_error=error, last_error_at=erring)],
        erring,
    )
    with world.session() as s:
        failing = check_cameras(s, HEALTH, now=erring)
        s.commit()
    assert [(c.event, c.alert.camera_id, c.alert.state) for c in failing] == [
        (RAISED, "cam-pine-1", "failing")
    ]
    assert failing[0].alert.detail == f"source error: {error}"
    # The errors stop but so do the reads: failing gives way to silent.
    quiet = erring + timedelta(seconds=HEALTH.failing_window_s + 1)
    heartbeats(
        world,
        [
            beat(
                "cam-pine-1",
                quiet,
                errors=3,
                last_error=error,
                last_error_at=erring,
                last_read_at=quiet - timedelta(hours=1),
            )
        ],
        quiet,
    )
    with world.session() as s:
        silent = check_cameras(s, HEALTH, now=quiet)
        s.commit()
        states = {r.camera_id: r.state for r in s.scalars(select(CameraHealth))}
    assert [(c.event, c.alert.state) for c in silent if c.alert.camera_id == "cam-pine-1"] == [
        (CLEARED, "failing"),
        (RAISED, "silent"),
    ]
    assert states["cam-pine-1"] == "silent"
    with world.session() as s:
        open_alerts = s.scalars(select(OpsAlert).where(OpsAlert.cleared_at.is_(None))).all()
    pine = [a for a in open_alerts if a.camera_id == "cam-pine-1"]
    assert [(a.state, a.detail) for a in pine] == [("silent", "no read for 60 min")]
