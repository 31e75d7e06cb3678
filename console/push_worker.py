"""The background thread that pushes new alerts to officers' subscribed browsers.

Like the webhook worker it shares only the database with the feed: a slow push service costs
this thread time, never an alert on a screen. It follows alerts from its own start (a push
for an alert raised while no console ran would arrive too late to be a live stop).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy.orm import Session, sessionmaker

from console.push_queue import claim_pushes, newest_alert_id, queue_pushes, record_push
from console.settings import ConsoleSettings
from console.webpush import load_or_create_vapid
from store.db import write_transaction
from store.tables import PushDelivery, PushSubscription, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Push:
    delivery_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: str


class PushWorker:
    def __init__(
        self, factory: sessionmaker[Session], settings: ConsoleSettings, key_path: Path
    ) -> None:
        self._factory = factory
        self._settings = settings
        self._key_path = key_path
        self._vapid: Vapid02 | None = None
        self._cursor: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                logger.exception("push cycle failed; retrying")
            self._stop.wait(self._settings.push_poll_s)

    def run_once(self) -> int:
        """Queue pushes for new alerts and send what is due; returns how many were sent."""
        if self._vapid is None:
            self._vapid = load_or_create_vapid(self._key_path)
        with write_transaction(self._factory) as session:
            if self._cursor is None:
                self._cursor = newest_alert_id(session)
            self._cursor = queue_pushes(session, self._cursor)
        with write_transaction(self._factory) as session:
            lease = timedelta(seconds=self._settings.webhook_timeout_s * 3)
            due = claim_pushes(session, limit=16, lease=lease)
            pushes = [self._job(session, d) for d in due]
        outcomes = [(push.delivery_id, *self._send(push)) for push in pushes if push]
        with write_transaction(self._factory) as session:
            for delivery_id, status, error in outcomes:
                delivery = session.get(PushDelivery, delivery_id)
                if delivery is not None:
                    record_push(session, delivery, status_code=status, error=error)
        return len(outcomes)

    def _job(self, session: Session, delivery: PushDelivery) -> _Push | None:
        subscription = session.get(PushSubscription, delivery.subscription_id)
        user = session.get(User, subscription.user_id) if subscription else None
        if subscription is None or user is None or user.disabled:
            # Revoked between queueing and sending: nothing goes to that browser.
            delivery.status, delivery.last_error = "failed", "officer disabled or unsubscribed"
            return None
        return _Push(
            delivery.id,
            subscription.endpoint,
            subscription.p256dh,
            subscription.auth,
            delivery.payload,
        )

    def _send(self, push: _Push) -> tuple[int | None, str | None]:
        assert self._vapid is not None
        try:
            response = webpush(
                subscription_info={
                    "endpoint": push.endpoint,
                    "keys": {"p256dh": push.p256dh, "auth": push.auth},
                },
                data=push.payload,
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._settings.push_contact},
                ttl=300,
                timeout=self._settings.webhook_timeout_s,
            )
        except WebPushException as exc:
            code = exc.response.status_code if exc.response is not None else None
            logger.warning("push %s refused: %s", push.delivery_id, code)
            return code, f"push service refused: HTTP {code}"
        except requests.RequestException as exc:
            logger.warning("push %s failed: %s", push.delivery_id, type(exc).__name__)
            return None, f"{type(exc).__name__}: {exc}"
        code = int(response.status_code)
        return code, None if 200 <= code < 300 else f"HTTP {code}"
