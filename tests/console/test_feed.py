"""The live feed over a real server: new alerts and changes arrive, in scope only, and a
stream ends when its session does."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from console.app import create_app
from store.base import utcnow
from store.tables import Alert, AlertOutbox, LoginSession
from tests.console.conftest import LiveServer, World, session_headers, settings_for

WAIT_S = 15  # generous: a failure here means never, not slow


@dataclass(frozen=True)
class Event:
    name: str
    id: str | None
    data: dict[str, Any]


class Stream:
    """Reads one event stream in a thread, so a test can wait for the next event."""

    def __init__(self, base: str, headers: dict[str, str], path: str = "/api/alerts/stream"):
        self.events: queue.Queue[Event | None] = queue.Queue()
        self._client = httpx.Client(base_url=base, headers=headers, timeout=None)
        self._path = path
        self.status: int | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(WAIT_S), "the stream did not open"

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._path) as response:
                self.status = response.status_code
                self._ready.set()
                name, event_id, data = "message", None, ""
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif not line and data:
                        self.events.put(Event(name, event_id, json.loads(data)))
                        name, event_id, data = "message", None, ""
        except httpx.HTTPError:
            pass
        finally:
            self._ready.set()
            self.events.put(None)

    def next(self) -> Event | None:
        return self.events.get(timeout=WAIT_S)

    def close(self) -> None:
        self._client.close()


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[LiveServer]:
    settings = settings_for(world.url, world.image_root, feed_heartbeat_s=0.5)
    with LiveServer(create_app(settings, webhooks=False)) as server:
        yield server


def test_new_alerts_reach_only_the_agency_that_may_see_them(world: World, live: LiveServer) -> None:
    metro = Stream(live.url, session_headers(world, "officer_a"))
    county = Stream(live.url, session_headers(world, "officer_b"))
    try:
        oak_alert = world.new_alert("cam-oak-1")
        event = metro.next()
        assert event is not None and event.name == "alert" and event.id == str(oak_alert)
        assert event.data["alert"]["id"] == oak_alert
        assert event.data["alert"]["camera"]["name"] == "Oak gate north"
        pine_alert = world.new_alert("cam-pine-1")
        # Events come in id order: County's first event being Pine's proves Oak's never came.
        first = county.next()
        assert first is not None and first.data["alert"]["id"] == pine_alert
    finally:
        metro.close()
        county.close()


def test_the_feed_starts_following_before_the_server_takes_connections(world: World) -> None:
    # Started later, by the poller's first round, a change committed between a browser's
    # replay and that round fell below the starting point and never reached the browser.
    alert_id = world.new_alert()
    with world.session() as session:
        outbox_id = session.scalar(select(func.max(AlertOutbox.id)))
    app = create_app(world.settings, webhooks=False)
    with TestClient(app):
        assert app.state.feed.following_from == (alert_id, outbox_id)


def test_a_disposition_updates_the_open_feeds(world: World, live: LiveServer) -> None:
    alert_id = world.new_alert()
    headers = session_headers(world, "officer_a")
    stream = Stream(
        live.url, session_headers(world, "officer_a"), f"/api/alerts/stream?after={alert_id - 1}"
    )
    try:
        replayed = stream.next()
        assert replayed is not None and replayed.data["alert"]["id"] == alert_id
        response = httpx.post(
            f"{live.url}/api/alerts/{alert_id}/disposition",
            headers=headers,
            json={"choice": "correct_read", "note": "dispatch confirmed"},
        )
        assert response.status_code == 200
        update_event = stream.next()
        while update_event is not None and update_event.name != "update":
            update_event = stream.next()
        assert update_event is not None
        assert update_event.data["alert"]["status"] == "confirmed"
        assert update_event.data["alert"]["status_note"] == "dispatch confirmed"
    finally:
        stream.close()


def test_last_event_id_replays_what_a_dropped_connection_missed(
    world: World, live: LiveServer
) -> None:
    first = world.new_alert()
    second = world.new_alert()
    headers = {**session_headers(world, "officer_a"), "Last-Event-ID": str(first)}
    stream = Stream(live.url, headers)
    try:
        event = stream.next()
        assert event is not None and event.data["alert"]["id"] == second
    finally:
        stream.close()


def test_the_stream_ends_when_the_session_expires(world: World, live: LiveServer) -> None:
    headers = session_headers(world, "officer_a")
    stream = Stream(live.url, headers)
    try:
        with world.session() as s:
            s.execute(
                update(LoginSession)
                .where(LoginSession.csrf_token == headers["X-CSRF-Token"])
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            s.commit()
        event = stream.next()
        while event is not None and event.name != "signed_out":
            event = stream.next()
        assert event is not None and event.name == "signed_out"
        assert stream.next() is None  # and the server closed it
    finally:
        stream.close()


def test_other_roles_cannot_open_the_stream(world: World, live: LiveServer) -> None:
    response = httpx.get(
        f"{live.url}/api/alerts/stream", headers=session_headers(world, "hoa_oak"), timeout=WAIT_S
    )
    assert response.status_code == 403


def test_open_streams_do_not_hold_database_connections(world: World, live: LiveServer) -> None:
    """More streams than the connection pool has connections, and the server still answers."""
    streams = [Stream(live.url, session_headers(world, "officer_a")) for _ in range(20)]
    try:
        response = httpx.get(
            f"{live.url}/api/me", headers=session_headers(world, "officer_b"), timeout=WAIT_S
        )
        assert response.status_code == 200
        alert_id = world.new_alert()
        for stream in streams:
            event = stream.next()
            assert event is not None and event.data["alert"]["id"] == alert_id
    finally:
        for stream in streams:
            stream.close()


def test_a_confirmed_stolen_car_seen_again_is_announced_again(
    world: World, live: LiveServer
) -> None:
    """The sighting folds into the confirmed alert (one car, one stop), but the officers hear
    of it: a quiet update would hide the car they are looking for."""
    headers = session_headers(world, "officer_a")
    stream = Stream(live.url, headers)
    try:
        alert_id = world.new_alert()
        raised = _next_named(stream, "alert")
        assert raised.data["alert"]["id"] == alert_id
        confirmed = httpx.post(
            f"{live.url}/api/alerts/{alert_id}/disposition",
            headers=headers,
            json={"choice": "correct_read", "note": "dispatch confirmed, stolen"},
        )
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
        assert _next_named(stream, "update").data["alert"]["status"] == "confirmed"
        with world.session() as s:
            plate = s.scalar(select(Alert.entry_plate).where(Alert.id == alert_id))
            outcome = world.ingest(s, f"r-{plate}-again", "cam-oak-2", plate, minutes_ago=0)
            s.commit()
        assert outcome.alert_ids == (alert_id,)  # folded, not a second alert
        again = _next_named(stream, "seen_again", "update")
        assert again.name == "seen_again"
        assert again.data["alert"]["id"] == alert_id
        assert again.data["alert"]["status"] == "confirmed"
        assert again.data["alert"]["sightings"] == 2
    finally:
        stream.close()


def _next_named(stream: Stream, *names: str) -> Event:
    """The next event with one of these names (other alerts of the shared world pass by)."""
    while True:
        event = stream.next()
        assert event is not None, f"the stream ended before a {names} event"
        if event.name in names and (event.name != "update" or "update" in names):
            return event


def test_a_new_alert_wakes_the_feed_instead_of_waiting_for_its_poll(world: World) -> None:
    """With a 5 s poll, an alert arriving well inside it came by the wake-up: the matcher's
    notification on PostgreSQL, the database's changed data_version on SQLite."""
    app = create_app(settings_for(world.url, world.image_root, feed_poll_ms=5000), webhooks=False)
    with LiveServer(app) as server:
        stream = Stream(server.url, session_headers(world, "officer_a"))
        try:
            time.sleep(0.5)  # the listener is connected and the first poll is done
            started = time.monotonic()
            alert_id = world.new_alert()
            event = stream.next()
            waited = time.monotonic() - started
            assert event is not None and event.data["alert"]["id"] == alert_id
            assert app.state.wakeup.wakes >= 1
            assert waited < 4.5, f"{waited:.2f} s: it waited for the 5 s poll, not the push"
        finally:
            stream.close()


def test_a_wake_up_landing_with_the_shutdown_does_not_keep_the_feed_running(world: World) -> None:
    """A notification that wakes the feed in the same loop turn as the console's shutdown
    cancels it: the cancel must win (asyncio.wait_for on Python 3.11 swallowed it, and the
    console's shutdown waited forever)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from console.feed import AlertFeed

    async def run_then_stop(feed: AlertFeed) -> list[bool]:
        ended = []
        for _ in range(20):
            task = asyncio.create_task(feed.run())
            while feed.polls == 0:  # first poll done: the feed now idles on its wake event
                await asyncio.sleep(0.01)
            feed.polls = 0
            feed.wake()
            await asyncio.sleep(0)  # the wake-up's call_soon_threadsafe has set the event
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=2)
            ended.append(bool(done))
            if not done:  # a second cancel gets through; the test still fails
                task.cancel()
                await asyncio.wait({task}, timeout=2)
        return ended

    feed = AlertFeed(world.factory, poll_s=30)
    with ThreadPoolExecutor(1) as pool:  # Playwright keeps a loop running in this thread
        ended = pool.submit(asyncio.run, run_then_stop(feed)).result(timeout=120)
    assert all(ended), f"{ended.count(False)} of {len(ended)} shutdowns never ended the feed"
