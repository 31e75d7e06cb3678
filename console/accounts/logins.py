"""Signing in: password checks with rate limiting, login sessions, and bearer tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from console.accounts.passwords import hash_password, needs_rehash, verify_password
from console.accounts.users import digest
from store.audit import record_audit
from store.base import utcnow
from store.tables import ApiToken, LoginAttempt, LoginSession, User

WINDOW = timedelta(minutes=1)
# One address may try a few usernames (a shared station, a NAT) before it is slowed down.
CLIENT_FACTOR = 4
# Token use is written at most this often, so machines polling the API do not write per call.
TOKEN_TOUCH_EVERY = timedelta(minutes=5)


class LoginFailedError(Exception):
    """Wrong username or password, or a disabled account: deliberately indistinguishable."""


class LoginRateLimitedError(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; wait {retry_after_s} s and try again")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class StartedSession:
    cookie: str
    row: LoginSession


def _recent_failures(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
        )
        or 0
    )


def authenticate(
    session: Session, *, username: str, password: str, client: str, per_minute: int
) -> User:
    """Check a password, counting the attempt; raises LoginRateLimitedError or LoginFailedError."""
    now = utcnow()
    username = username.strip().lower()[:100]
    since = now - WINDOW
    if (
        _recent_failures(session, LoginAttempt.username, username, since) >= per_minute
        or _recent_failures(session, LoginAttempt.client, client, since)
        >= per_minute * CLIENT_FACTOR
    ):
        raise LoginRateLimitedError(int(WINDOW.total_seconds()))
    # Old attempts only matter inside the window; keep the table small as we go.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(hours=1)))
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and not user.disabled
    session.add(LoginAttempt(username=username, client=client[:64], at=now, succeeded=ok))
    if not ok or user is None:
        raise LoginFailedError
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def start_session(session: Session, user: User, *, hours: float, client: str) -> StartedSession:
    cookie = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        token_hash=digest(cookie),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
        client=client[:200],
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=user.username,
        action="auth.login",
        subject=user.username,
        detail={"session_id": row.id, "client": client[:64]},
    )
    return StartedSession(cookie, row)


@dataclass(frozen=True)
class SessionLookup:
    user: User | None
    login: LoginSession | None
    expired: bool


def find_session(session: Session, cookie: str) -> SessionLookup:
    """The live session for a cookie; `expired` tells a timed-out session from a bad cookie."""
    found = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == digest(cookie))
    ).first()
    if found is None:
        return SessionLookup(None, None, expired=False)
    login, user = found
    if login.revoked_at is not None or user.disabled:
        return SessionLookup(None, None, expired=False)
    if login.expires_at <= utcnow():
        return SessionLookup(None, None, expired=True)
    return SessionLookup(user, login, expired=False)


def end_session(session: Session, login: LoginSession, *, actor: str) -> None:
    login.revoked_at = utcnow()
    record_audit(
        session, actor=actor, action="auth.logout", subject=actor, detail={"session_id": login.id}
    )


def find_token(session: Session, secret: str) -> User | None:
    """The user a bearer token acts for, if the token is live; records its use."""
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    if found is None:
        return None
    token, user = found
    now = utcnow()
    if token.revoked_at is not None or user.disabled:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_EVERY:
        token.last_used_at = now
    return user
