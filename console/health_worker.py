"""The background thread that checks every camera's health and raises operations alerts.

It runs beside the web server (with the webhook worker: a console that leaves deliveries to
another process leaves this too) and shares nothing with the feed but the database.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.community_mail import deliver
from console.ops_alerts import OpsChange, check_cameras, ops_mail
from console.settings import ConsoleSections
from store.db import write_transaction

logger = logging.getLogger(__name__)


class HealthWorker:
    def __init__(self, session_factory: sessionmaker[Session], settings: ConsoleSections) -> None:
        self._factory = session_factory
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-health", daemon=True)
        self.checks = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except SQLAlchemyError:
                logger.warning("camera health check failed; retrying", exc_info=True)
            self.checks += 1
            self._stop.wait(self._settings.health.check_s)

    def check_once(self) -> list[OpsChange]:
        """One check of every camera; the alerts it raised or cleared (their mail is sent)."""
        health = self._settings.health
        with write_transaction(self._factory) as session:
            changes = check_cameras(session, health)
        for change in changes:
            logger.warning(
                "camera %s: %s %s (%s)",
                change.alert.camera_id,
                "now" if change.event == "camera.alert_raised" else "no longer",
                change.alert.state,
                change.alert.detail,
            )
        outgoing = ops_mail(changes, health, self._settings.console.public_base_url())
        if outgoing:
            deliver(self._settings, outgoing)
        return changes
