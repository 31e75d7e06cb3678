"""The background thread that queues and sends webhook deliveries.

It runs beside the web server and shares nothing with the feed but the database, so a slow or
failing endpoint costs this thread time and never delays an alert on an officer's screen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from console.settings import ConsoleSettings
from console.webhooks import (
    SIGNATURE_HEADER,
    WebhookError,
    check_target,
    claim_due,
    queue_all,
    record_attempt,
    sign,
)
from store.base import utcnow
from store.tables import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

SEND_PARALLEL = 4


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    url: str
    secret: str
    event: str
    payload: str


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    status_code: int | None
    error: str | None


class WebhookWorker:
    def __init__(self, session_factory: sessionmaker[Session], settings: ConsoleSettings) -> None:
        self._factory = session_factory
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-worker", daemon=True)
        self.cycles = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        timeout = self._settings.webhook_timeout_s
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            ThreadPoolExecutor(SEND_PARALLEL, thread_name_prefix="webhook-send") as pool,
        ):
            while not self._stop.is_set():
                try:
                    self.run_once(client, pool)
                except Exception:
                    logger.exception("webhook cycle failed; retrying")
                self.cycles += 1
                self._stop.wait(self._settings.webhook_poll_s)

    def run_once(self, client: httpx.Client, pool: ThreadPoolExecutor) -> int:
        """Queue new alerts, send what is due; returns how many deliveries were attempted."""
        with self._write() as session:
            queue_all(session)
        jobs = self._claim()
        outcomes = list(pool.map(lambda job: self._send(client, job), jobs))
        if outcomes:
            self._record(outcomes)
        return len(outcomes)

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A transaction that will write. On SQLite it takes the write lock first: a read
        transaction that later writes cannot wait for the lock and fails as "locked"."""
        with self._factory() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                session.execute(text("BEGIN IMMEDIATE"))
            yield session

    def _claim(self) -> list[_Job]:
        lease = timedelta(seconds=self._settings.webhook_timeout_s * 3)
        with self._write() as session:
            due = claim_due(session, limit=SEND_PARALLEL * 4, lease=lease)
            jobs = []
            for delivery in due:
                webhook = session.get(Webhook, delivery.webhook_id)
                if webhook is None or not webhook.enabled:
                    delivery.status = "failed"
                    delivery.last_error = "webhook disabled or removed before delivery"
                    continue
                try:
                    # Registered before the policy changed: refuse now rather than leak.
                    check_target(webhook.url, self._settings.webhook_allow_hosts)
                except WebhookError as exc:
                    delivery.status = "failed"
                    delivery.last_error = str(exc)
                    continue
                jobs.append(
                    _Job(delivery.id, webhook.url, webhook.secret, delivery.event, delivery.payload)
                )
            return jobs

    def _send(self, client: httpx.Client, job: _Job) -> _Outcome:
        body = job.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "platewatch-webhook/1",
            "X-Platewatch-Event": job.event,
            "X-Platewatch-Delivery": str(job.delivery_id),
            SIGNATURE_HEADER: sign(job.secret, int(time.time()), body),
        }
        try:
            response = client.post(job.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("webhook delivery %s failed: %s", job.delivery_id, exc)
            return _Outcome(job.delivery_id, None, f"{type(exc).__name__}: {exc}")
        error = None if response.is_success else f"HTTP {response.status_code}"
        return _Outcome(job.delivery_id, response.status_code, error)

    def _record(self, outcomes: list[_Outcome]) -> None:
        now = utcnow()
        settings = self._settings
        with self._write() as session:
            for outcome in outcomes:
                delivery = session.get(WebhookDelivery, outcome.delivery_id)
                if delivery is None:
                    continue
                record_attempt(
                    delivery,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    at=now,
                    base_s=settings.webhook_backoff_s,
                    max_s=settings.webhook_backoff_max_s,
                    max_attempts=settings.webhook_max_attempts,
                )
