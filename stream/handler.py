"""What the matcher does with each read, behind a small interface.

The stream needs three things from the matching stage: a per-batch preparation (so a changed
hotlist or safe list is picked up without a restart), an idempotent step for a batch of reads
in the caller's transaction, and which of its errors mean "this read can never be processed".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from alpr.read import PlateRead
from hotlist.ingest import IndexCache, ingest_reads
from hotlist.matcher import Matcher
from hotlist.settings import MatchSettings
from store.errors import DomainError


class ReadHandler(Protocol):
    #: Errors from `handle` that say the read itself is unusable: it goes to the dead letters.
    unprocessable: tuple[type[Exception], ...]

    def prepare(self, session: Session) -> None:
        """Called once per batch, inside the batch's transaction, before any `handle`."""

    def handle(self, session: Session, reads: Sequence[PlateRead]) -> int:
        """Store and match reads without committing; how many were not stored before."""


class HotlistHandler:
    """The real matcher: hotlist and safe-list matching, alerts and their outbox rows."""

    unprocessable: tuple[type[Exception], ...] = (DomainError,)

    def __init__(self, settings: MatchSettings) -> None:
        self.settings = settings
        self._cache = IndexCache(settings=settings)
        self._matcher: Matcher | None = None

    def prepare(self, session: Session) -> None:
        # One small version query (at most every index_check_interval_s); the index is
        # rebuilt or re-opened only when a list or a safe list changed.
        self._matcher = self._cache.current(session)

    def handle(self, session: Session, reads: Sequence[PlateRead]) -> int:
        if self._matcher is None:
            self.prepare(session)
        assert self._matcher is not None
        outcomes = ingest_reads(session, reads, self._matcher, self.settings)
        return sum(outcome.stored for outcome in outcomes)
