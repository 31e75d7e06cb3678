"""Signing in: password checks behind the sign-in throttle, login sessions, and bearer tokens.

A sign-in is two transactions: `throttle.admit` counts the attempt (the caller commits it),
then `authenticate` checks the password with no lock held. How the throttle works, and why a
forged X-Forwarded-For cannot lock anyone out, is in `console.accounts.throttle`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from console.accounts.passwords import hash_password, needs_rehash, verify_password
from console.accounts.throttle import Admission
from console.accounts.users import digest
from store.audit import record_audit
from store.audit_details import AuthLoginDetail, AuthLogoutDetail
from store.base import utcnow
from store.tables import ApiToken, LoginAttempt, LoginSession, User

# Token use is written at most this often, so machines polling the API do not write per call.
TOKEN_TOUCH_EVERY = timedelta(minutes=5)


class LoginFailedError(Exception):
    """Wrong username or password, or a disabled account: deliberately indistinguishable."""


@dataclass(frozen=True)
class StartedSession:
    cookie: str
    row: LoginSession


def authenticate(session: Session, admission: Admission, *, password: str) -> User:
    """Check the password of an admitted attempt; raises LoginFailedError.

    The attempt was recorded as failed when it was admitted; only a success changes it."""
    user = session.scalar(select(User).where(User.username == admission.username))
    checked = user.password_hash if user else None
    if not verify_password(checked, password) or user is None or user.disabled:
        raise LoginFailedError
    now = utcnow()
    session.execute(
        update(LoginAttempt).where(LoginAttempt.id == admission.attempt_id).values(succeeded=True)
    )
    # The check ran with no lock held. Holding the user row until the caller commits the new
    # session, make sure no reset, change or disable landed meanwhile: one that comes later
    # waits for the row and then ends this session with the others.
    current = session.execute(
        select(User.password_hash, User.disabled).where(User.id == user.id).with_for_update()
    ).one()
    if current.password_hash != checked or current.disabled:
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
        subject=user.username,
        detail=AuthLoginDetail(session_id=row.id, client=client[:64]),
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
    record_audit(session, actor=actor, subject=actor, detail=AuthLogoutDetail(session_id=login.id))


@dataclass(frozen=True)
class TokenMatch:
    token_id: int
    user: User


def find_token(session: Session, secret: str) -> TokenMatch | None:
    """The live token for a bearer secret and the user it acts for; records its use."""
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
    return TokenMatch(token.id, user)


@dataclass(frozen=True)
class Credential:
    """How a long-lived request signed in: its session or its API token (or neither)."""

    session_id: int | None = None
    token_id: int | None = None

    @property
    def watched(self) -> bool:
        return self.session_id is not None or self.token_id is not None


CHECK_BATCH = 500  # ids per IN list, well under every backend's parameter limit


def live_credentials(session: Session, credentials: Iterable[Credential]) -> frozenset[Credential]:
    """Those of `credentials` that still sign their user in: not revoked, not expired, the user
    not disabled. The alert feed asks this for all open streams at once, every few seconds."""
    wanted = list(credentials)
    now = utcnow()
    session_ids = sorted({c.session_id for c in wanted if c.session_id is not None})
    token_ids = sorted({c.token_id for c in wanted if c.token_id is not None})
    live_sessions: set[int] = set()
    live_tokens: set[int] = set()
    for chunk in _chunks(session_ids):
        live_sessions.update(
            session.scalars(
                select(LoginSession.id)
                .join(User, User.id == LoginSession.user_id)
                .where(
                    LoginSession.id.in_(chunk),
                    LoginSession.revoked_at.is_(None),
                    LoginSession.expires_at > now,
                    User.disabled.is_(False),
                )
            )
        )
    for chunk in _chunks(token_ids):
        live_tokens.update(
            session.scalars(
                select(ApiToken.id)
                .join(User, User.id == ApiToken.user_id)
                .where(
                    ApiToken.id.in_(chunk),
                    ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                    User.disabled.is_(False),
                )
            )
        )
    return frozenset(
        c
        for c in wanted
        if (c.session_id is None or c.session_id in live_sessions)
        and (c.token_id is None or c.token_id in live_tokens)
        and c.watched
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHECK_BATCH):
        yield ids[start : start + CHECK_BATCH]
