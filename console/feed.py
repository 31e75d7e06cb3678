"""The live alert feed: one poller per server reads new alerts and fans them out to browsers.

Polling the alerts table by primary key needs no broker in the web server, works the same
with several servers behind a balancer, and costs one indexed query per interval. The
matcher's commit wakes the poller at once (console/wakeup.py: its NOTIFY on PostgreSQL, the
changed data_version on SQLite): push, with the poll as the safety net. Each event goes only
to subscribers whose agency may see it (`agencies_seeing_alerts`).

The same poller re-checks, every `recheck_s`, that each subscriber's session or API token still
signs its user in (one query for all streams, not one per stream): a revoked, expired or
disabled credential's stream is told `signed_out` and closed before the next fan-out reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.accounts.logins import Credential, live_credentials
from console.alerts import alert_cards_by_id
from console.cursor import IdCursor
from console.schemas.alerts import FeedEvent
from console.scope import agencies_seeing_alerts
from store.tables import Alert, AlertOutbox

logger = logging.getLogger(__name__)

QUEUE_SIZE = 200
BATCH = 200


@dataclass(eq=False)
class Subscriber:
    agency_id: int
    credential: Credential = field(default_factory=Credential)
    queue: asyncio.Queue[FeedEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: bool = False
    # Its session or token no longer signs the user in; the stream says so and ends.
    signed_out: bool = False


@dataclass(frozen=True)
class _Routed:
    event: FeedEvent
    agency_id: int


def _feed_kind(status: str, change: str | None) -> Literal["alert", "update", "seen_again"]:
    """New alerts are announced; a sighting of a confirmed alert is announced again (the car
    the officers are after was just seen); other changes update the card quietly."""
    if change is None:
        return "alert"
    if change == "sighting" and status == "confirmed":
        return "seen_again"
    return "update"


class AlertFeed:
    def __init__(
        self, session_factory: sessionmaker[Session], poll_s: float, recheck_s: float = 1.5
    ) -> None:
        self._factory = session_factory
        self._poll_s = poll_s
        self._recheck_s = recheck_s
        self._recheck_at = 0.0
        self._subscribers: set[Subscriber] = set()
        self._alerts = IdCursor()
        self._outbox = IdCursor()
        self._started = False
        self.polls = 0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self, agency_id: int, credential: Credential | None = None) -> Subscriber:
        subscriber = Subscriber(agency_id, credential or Credential())
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def following_from(self) -> tuple[int, int] | None:
        """The alert id and outbox id the feed follows from; None until it has started."""
        return (self._alerts.floor, self._outbox.floor) if self._started else None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def start_from_now(self) -> None:
        """Follow alerts and changes committed from now on (earlier ones are replayed by the
        stream route). Called before the server takes connections, so nothing committed
        after a browser's replay can fall below the starting point."""
        with self._factory() as session:
            self._alerts = IdCursor(session.scalar(select(func.max(Alert.id))) or 0)
            self._outbox = IdCursor(session.scalar(select(func.max(AlertOutbox.id))) or 0)
        self._started = True

    def wake(self) -> None:
        """Poll now (from any thread): a notification said an alert changed."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Poll until cancelled; a failed poll is logged and retried, never fatal."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            try:
                if not self._started:
                    await asyncio.to_thread(self.start_from_now)
                # Snapshot on the loop: the set changes as browsers come and go.
                listening = frozenset(s.agency_id for s in self._subscribers)
                routed = await asyncio.to_thread(self.poll, listening)
                # Before the fan-out: a stream whose credential lapsed gets none of this batch.
                if time.monotonic() >= self._recheck_at:
                    await self.recheck()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("alert feed poll failed; retrying")
                routed = []
            self._fan_out(routed)
            self.polls += 1
            await self._idle(self._poll_s)

    async def _idle(self, seconds: float) -> None:
        """Wait between polls (or until woken), still re-checking credentials on time if polls
        are far apart."""
        until = time.monotonic() + seconds
        wake = self._wake
        while (left := until - time.monotonic()) > 0:
            wait = min(left, max(0.0, self._recheck_at - time.monotonic()))
            if wake is not None:
                # Not asyncio.wait_for: on Python 3.11 a cancel that lands as its timeout
                # fires is swallowed, and the console's shutdown then waits forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
                if wake.is_set():
                    wake.clear()
                    return
            else:
                await asyncio.sleep(wait)
            if time.monotonic() < self._recheck_at:
                continue
            try:
                await self.recheck()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("alert feed credential re-check failed; retrying")

    def poll(self, listening: frozenset[int]) -> list[_Routed]:
        """New and changed alerts, each as one card per listening agency that may see it."""
        with self._factory() as session:
            ids, changed = self._new_and_changed(session)
            if not ids:
                return []
            seen_by = {
                alert_id: agencies & listening
                for alert_id, agencies in agencies_seeing_alerts(session, ids).items()
            }
            # Cards per agency in one batch each (a constant number of queries), not per alert.
            cards = {
                agency: {
                    card.id: card
                    for card in alert_cards_by_id(
                        session, [i for i in ids if agency in seen_by[i]], agency
                    )
                }
                for agency in set().union(*seen_by.values())
            }
        return [
            _Routed(
                FeedEvent(kind=_feed_kind(card.status, changed.get(alert_id)), alert=card), agency
            )
            for alert_id in ids
            for agency in sorted(seen_by[alert_id])
            if (card := cards[agency].get(alert_id)) is not None
        ]

    def _new_and_changed(self, session: Session) -> tuple[list[int], dict[int, str]]:
        """Ids of alerts new since the last poll, then of older ones changed since (with what
        changed: a disposition or a repeat sighting)."""
        new_ids = self._alerts.take(
            session.scalars(
                select(Alert.id)
                .where(Alert.id > self._alerts.low)
                .order_by(Alert.id)
                .limit(self._alerts.window(BATCH))
            )
        )
        # Dispositions and repeat sightings are written to the outbox with their alert.
        changes = session.execute(
            select(AlertOutbox.id, AlertOutbox.alert_id, AlertOutbox.kind)
            .where(AlertOutbox.id > self._outbox.low, AlertOutbox.kind != "raised")
            .order_by(AlertOutbox.id)
            .limit(self._outbox.window(BATCH * 5))
        ).all()
        fresh = set(self._outbox.take(row_id for row_id, _, _ in changes))
        changed = {a: kind for row_id, a, kind in changes if row_id in fresh}
        for alert_id in new_ids:
            changed.pop(alert_id, None)
        return [*new_ids, *sorted(changed)], changed

    async def recheck(self) -> None:
        """End the streams whose credential no longer signs their user in."""
        self._recheck_at = time.monotonic() + self._recheck_s
        watched = [s for s in self._subscribers if s.credential.watched]
        if not watched:
            return
        try:
            live = await asyncio.to_thread(self._live, frozenset(s.credential for s in watched))
        except SQLAlchemyError:
            # Unverifiable counts as ended: browsers reconnect and sign in afresh if need be.
            logger.warning("could not re-check stream credentials; closing them", exc_info=True)
            for subscriber in watched:
                self._end(subscriber, signed_out=False)
            return
        for subscriber in watched:
            if subscriber.credential not in live:
                self._end(subscriber, signed_out=True)

    def _live(self, credentials: frozenset[Credential]) -> frozenset[Credential]:
        with self._factory() as session:
            return live_credentials(session, credentials)

    def _end(self, subscriber: Subscriber, *, signed_out: bool) -> None:
        subscriber.signed_out = signed_out
        subscriber.dropped = True
        self._subscribers.discard(subscriber)
        # A full queue is being read: the stream sees the flags at its next item.
        with contextlib.suppress(asyncio.QueueFull):
            subscriber.queue.put_nowait(None)

    def _fan_out(self, routed: list[_Routed]) -> None:
        for item in routed:
            for subscriber in list(self._subscribers):
                if subscriber.agency_id != item.agency_id:
                    continue
                try:
                    subscriber.queue.put_nowait(item.event)
                except asyncio.QueueFull:
                    # A stalled browser is cut off; it reconnects and replays what it missed.
                    logger.warning("feed subscriber too slow; disconnecting it")
                    subscriber.dropped = True
                    self._subscribers.discard(subscriber)

    def close(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.dropped = True
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(None)
        self._subscribers.clear()
