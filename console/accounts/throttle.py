"""Sign-in throttling: which client may have a password checked for which account, and when.

Everything is counted over `login_attempts`, one row per password check, written *before* the
check, so an attempt still being checked already counts as a failure. Three rules:

* Client and account together: after `limit` failures in a row of one client against one
  account, that client may try that account again only WINDOW * 2**(failures - limit) after
  its last failure (1, 2, 4, 8, then at most BACKOFF_CAP = 15 min). A success from that client
  starts the count again; failures older than HORIZON are forgotten.
* Client: `limit * CLIENT_FACTOR` failures across all accounts in one WINDOW, and the client
  waits until the oldest of them leaves the window (a password sprayer; a shared station may
  try a few names before it is slowed).
* Account: once `limit * ACCOUNT_FACTOR` failures from anywhere reach one account in one
  WINDOW, a client that has itself failed against it waits 2**its failures seconds, at most
  ACCOUNT_DELAY_CAP = 30 s, between tries. This slows a guesser spread over many addresses;
  it never refuses a client without failures of its own and never locks.

Why nobody can lock an officer out: every refusal is keyed on the client that failed, and the
client is the connecting address unless that address is a configured trusted proxy, in which
case it is the address that proxy saw (console.clientaddr). A forged X-Forwarded-For changes
nothing but the attacker's own header, so the attacker's failures block only the attacker's
address. The account-wide rule only briefly delays clients that failed themselves, so the
officer's correct password from their own address is checked and accepted however many
failures the account has collected. The price: an attacker with many addresses gets a few
guesses per address, which the password policy (12+ characters, argon2id) makes worthless; and
clients sharing one address (a NAT) share its counts, so an attacker there can slow its
neighbours, no one else. Without `trusted_proxies` behind a proxy, everyone is one client.

Counting and recording are one step: an attempt first upserts, and so locks, one row in
`login_throttles` for its account and one for its client (always in that order, so two
attempts cannot deadlock), then counts, then inserts its attempt row. The caller commits that
before the slow password check, which therefore holds no lock. PostgreSQL locks the upserted
rows; SQLite takes its single write lock at the first write. Of 40 simultaneous wrong
passwords for one account from one client, exactly `limit` reach the password check.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.base import utcnow
from store.tables import LoginAttempt, LoginThrottle

logger = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
HORIZON = timedelta(hours=1)
BACKOFF_CAP = timedelta(minutes=15)
CLIENT_FACTOR = 4
ACCOUNT_FACTOR = 4
ACCOUNT_DELAY_CAP = timedelta(seconds=30)
SWEEP_ROWS = 500  # old rows removed per attempt: the cost of one attempt stays bounded


class LoginRateLimitedError(Exception):
    """The client must wait before another password check; the message says how long."""

    def __init__(self, retry_after_s: int, whose: str) -> None:
        super().__init__(f"too many failed sign-ins {whose}; wait {retry_after_s} s and try again")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Admission:
    """A counted attempt whose password may now be checked."""

    attempt_id: int
    username: str
    client: str


@dataclass(frozen=True)
class _Failures:
    count: int
    first: datetime | None
    last: datetime | None


def admit(session: Session, *, username: str, client: str, limit: int) -> Admission:
    """Count an attempt for `username` from `client`, or raise LoginRateLimitedError."""
    username = normal_username(username)
    client = client[:64]
    # Sorted keys: "a:" before "c:" in every transaction, so lock waits never form a cycle.
    for key in (f"a:{username}", f"c:{client}"):
        _lock(session, key)
    now = utcnow()
    refusal = _refusal(session, username=username, client=client, limit=limit, now=now)
    if refusal is not None:
        wait, whose = refusal
        logger.info("sign-in refused for %s s: too many failures %s", wait, whose)
        raise LoginRateLimitedError(wait, whose)
    _sweep(session, now)
    attempt = LoginAttempt(username=username, client=client, at=now, succeeded=False)
    session.add(attempt)
    session.flush()
    return Admission(attempt.id, username, client)


def normal_username(username: str) -> str:
    return username.strip().lower()[:100]


def _lock(session: Session, key: str) -> None:
    values = {"key": key, "touched_at": utcnow()}
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(LoginThrottle).values(values)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=[LoginThrottle.key], set_={"touched_at": pg.excluded.touched_at}
            )
        )
    else:
        lite = sqlite_insert(LoginThrottle).values(values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=[LoginThrottle.key], set_={"touched_at": lite.excluded.touched_at}
            )
        )


def _failures(session: Session, where: ColumnElement[bool], since: datetime) -> _Failures:
    count, first, last = session.execute(
        select(func.count(), func.min(LoginAttempt.at), func.max(LoginAttempt.at)).where(
            where, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False)
        )
    ).one()
    return _Failures(count or 0, first, last)


def _pair_failures(session: Session, username: str, client: str, now: datetime) -> _Failures:
    """Failures of this client against this account since its last success there."""
    pair = and_(LoginAttempt.username == username, LoginAttempt.client == client)
    since = now - HORIZON
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            pair, LoginAttempt.succeeded.is_(True), LoginAttempt.at > since
        )
    )
    return _failures(session, pair, max(since, last_ok) if last_ok else since)


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _refusal(
    session: Session, *, username: str, client: str, limit: int, now: datetime
) -> tuple[int, str] | None:
    """How long this client must wait, and whose failures make it wait; None to go ahead."""
    pair = _pair_failures(session, username, client, now)
    if pair.count >= limit and pair.last is not None:
        backoff = min(WINDOW * 2 ** min(pair.count - limit, 10), BACKOFF_CAP)
        if pair.last + backoff > now:
            return _seconds(pair.last + backoff, now), "for this account from your address"
    by_client = _failures(session, LoginAttempt.client == client, now - WINDOW)
    if by_client.count >= limit * CLIENT_FACTOR and by_client.first is not None:
        return _seconds(by_client.first + WINDOW, now), "from your address"
    if pair.count and pair.last is not None:
        on_account = _failures(session, LoginAttempt.username == username, now - WINDOW)
        if on_account.count >= limit * ACCOUNT_FACTOR:
            delay = min(timedelta(seconds=2 ** min(pair.count, 10)), ACCOUNT_DELAY_CAP)
            if pair.last + delay > now:
                return _seconds(pair.last + delay, now), "for this account"
    return None


def _sweep(session: Session, now: datetime) -> None:
    """Forget attempts and lock rows older than HORIZON, a bounded batch at a time.

    SKIP LOCKED: another attempt may hold some of these rows; waiting for it could deadlock
    with it sweeping the same rows, and they will be swept next time anyway."""
    cutoff = now - HORIZON
    old_attempts = (
        select(LoginAttempt.id)
        .where(LoginAttempt.at < cutoff)
        .limit(SWEEP_ROWS)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(old_attempts)))
    old_locks = (
        select(LoginThrottle.key)
        .where(LoginThrottle.touched_at < cutoff)
        .limit(SWEEP_ROWS)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(old_locks)))
