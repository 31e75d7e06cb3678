"""The background thread that queues and sends webhook deliveries.

It runs beside the web server and shares nothing with the feed but the database, so a slow or
failing endpoint costs this thread time and never delays an alert on an officer's screen.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from console.media_links import ImageKind, LinkSigner, MediaKeyError, load_or_create_link_key
from console.settings import ConsoleSettings
from console.webhook_payloads import MediaLinks, WebhookPayload, message_id, signed_headers
from console.webhooks import (
    WebhookError,
    check_target,
    claim_due,
    image_read_id,
    queue_all,
    record_attempt,
)
from store.base import utcnow
from store.db import write_transaction
from store.tables import PlateReadRow, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

SEND_PARALLEL = 4


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    url: str
    secret: str
    event: str
    body: bytes


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
        if self._settings.public_url is None:
            logger.warning(
                "console.public_url is unset: webhook image links point at %s; set it to the "
                "address receivers reach",
                self._settings.public_base_url(),
            )
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
        with write_transaction(self._factory) as session:
            queue_all(session)
        jobs = self._claim()
        outcomes = list(pool.map(lambda job: self._send(client, job), jobs))
        if outcomes:
            self._record(outcomes)
        return len(outcomes)

    def _signer(self) -> LinkSigner:
        settings = self._settings
        return LinkSigner(
            key=load_or_create_link_key(settings.media_link_key_path),
            base_url=settings.public_base_url(),
            ttl=timedelta(minutes=settings.webhook_link_ttl_minutes),
        )

    def _claim(self) -> list[_Job]:
        lease = timedelta(seconds=self._settings.webhook_timeout_s * 3)
        with write_transaction(self._factory) as session:
            due = claim_due(session, limit=SEND_PARALLEL * 4, lease=lease)
            if not due:
                return []
            try:
                signer = self._signer()
            except (MediaKeyError, OSError):
                # Nothing is sent without its links; the deliveries wait for the next cycle.
                logger.exception("webhook image links cannot be signed; deliveries wait")
                return []
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
                try:
                    # A camera alert names no read, so it has no image links to sign.
                    body = (
                        delivery.payload.encode()
                        if delivery.ops_alert_id is not None
                        else _with_links(session, delivery, signer)
                    )
                except ValidationError:
                    delivery.status = "failed"
                    delivery.last_error = "queued in the payload format before Standard Webhooks"
                    continue
                jobs.append(_Job(delivery.id, webhook.url, webhook.secret, delivery.event, body))
            return jobs

    def _send(self, client: httpx.Client, job: _Job) -> _Outcome:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "platewatch-webhook/1",
            "X-Platewatch-Event": job.event,
            "X-Platewatch-Delivery": str(job.delivery_id),
            **signed_headers(job.secret, message_id(job.delivery_id), job.body, utcnow()),
        }
        try:
            response = client.post(job.url, content=job.body, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("webhook delivery %s failed: %s", job.delivery_id, exc)
            return _Outcome(job.delivery_id, None, f"{type(exc).__name__}: {exc}")
        error = None if response.is_success else f"HTTP {response.status_code}"
        return _Outcome(job.delivery_id, response.status_code, error)

    def _record(self, outcomes: list[_Outcome]) -> None:
        now = utcnow()
        settings = self._settings
        with write_transaction(self._factory) as session:
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


def _with_links(session: Session, delivery: WebhookDelivery, signer: LinkSigner) -> bytes:
    """The stored payload with links to its read's images, signed for this attempt."""
    now = utcnow()
    read_id = image_read_id(session, delivery)
    read = session.get(PlateReadRow, read_id) if read_id is not None else None

    def link(kind: ImageKind) -> str | None:
        if read is None or read.images_purged_at is not None:
            return None
        if (read.crop_path if kind == "crop" else read.frame_path) is None:
            return None
        return signer.link(read.read_id, kind, delivery.webhook_id, now)

    links = MediaLinks(
        crop_url=link("crop"), frame_url=link("frame"), expires_at=signer.expiry(now)
    )
    payload = WebhookPayload.model_validate_json(delivery.payload).with_links(links)
    return payload.model_dump_json().encode()
