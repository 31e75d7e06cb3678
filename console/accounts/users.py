"""Account services: create, disable, change passwords, issue API tokens.

Every change is written to the audit log in the caller's transaction; none of these commit.

What ends what (each request and each open event stream re-checks, so within seconds):
disabling a user ends all their sessions and API tokens; revoking a token ends that token;
a password change ends the user's other sessions (the browser that made the change stays
signed in); an administrator's reset ends every session of the user. Password changes and
resets keep API tokens: only an administrator can issue one (`issue_token`), for a machine
integration, so a stolen password cannot have produced one, and revoking them would cut off
the integration without closing anything. A leaked token is revoked on its own.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from console.accounts.passwords import (
    check_new_password,
    hash_password,
    one_time_password,
    verify_password,
)
from store.audit import record_audit
from store.audit_details import (
    TokenIssueDetail,
    TokenRevokeDetail,
    UserCreateDetail,
    UserDisableDetail,
    UserPasswordDetail,
    UserPasswordResetDetail,
)
from store.base import utcnow
from store.tables import Agency, ApiToken, LoginSession, Site, User

Role = Literal["officer", "hoa_admin", "auditor", "admin", "resident", "supervisor"]
ROLES: tuple[Role, ...] = get_args(Role)
TOKEN_PREFIX = "pwt_"  # noqa: S105  (a public marker that identifies our tokens in leaks)


class AccountError(ValueError):
    """An account change that cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class NewUser:
    user: User
    one_time_password: str | None


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


def as_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    msg = f"unknown role {value!r}; use one of {', '.join(ROLES)}"
    raise AccountError(msg)


def digest(secret: str) -> str:
    """How session cookies and API tokens are stored: long random strings need no KDF."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_scope(session: Session, role: Role, agency_id: int | None, site_id: int | None) -> None:
    if role not in ROLES:
        msg = f"unknown role {role!r}; use one of {', '.join(ROLES)}"
        raise AccountError(msg)
    if role in ("officer", "supervisor") and agency_id is None:
        article = "an" if role == "officer" else "a"
        msg = f"{article} {role} must belong to an agency; pass the agency"
        raise AccountError(msg)
    if role == "hoa_admin" and site_id is None:
        msg = "an HOA admin must belong to a site; pass the site"
        raise AccountError(msg)
    if role == "resident" and agency_id is not None:
        msg = "a resident belongs to no agency; pass only the site they live in, if any"
        raise AccountError(msg)
    if (
        role in ("officer", "supervisor", "hoa_admin")
        and agency_id is not None
        and site_id is not None
    ):
        msg = f"a {role} belongs to an agency or a site, not both"
        raise AccountError(msg)
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency_id is not None and agency is None:
        msg = f"no agency with id {agency_id}; create it first"
        raise AccountError(msg)
    if agency is not None and agency.retired_at is not None:
        msg = (
            f"agency {agency.name!r} was retired on {agency.retired_at:%Y-%m-%d}; "
            "pick one in service"
        )
        raise AccountError(msg)
    site = session.get(Site, site_id) if site_id is not None else None
    if site_id is not None and site is None:
        msg = f"no site with id {site_id}; create it first"
        raise AccountError(msg)
    if site is not None and site.retired_at is not None:
        msg = f"site {site.name!r} was retired on {site.retired_at:%Y-%m-%d}; pick one in service"
        raise AccountError(msg)


def create_user(
    session: Session,
    *,
    actor: str,
    username: str,
    role: Role,
    display_name: str = "",
    agency_id: int | None = None,
    site_id: int | None = None,
    password: str | None = None,
) -> NewUser:
    """Add an account. Without `password` a one-time password is generated and returned once."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        msg = f"username {username!r} may hold only letters, digits, '.', '-' and '_'"
        raise AccountError(msg)
    _check_scope(session, role, agency_id, site_id)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        msg = f"user {username!r} already exists; pick another name"
        raise AccountError(msg)
    generated = None
    if password is None:
        generated = password = one_time_password()
    else:
        check_new_password(password, username=username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        agency_id=agency_id,
        site_id=site_id,
        password_hash=hash_password(password),
        must_change_password=generated is not None,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=username,
        detail=UserCreateDetail(role=role, agency_id=agency_id, site_id=site_id),
    )
    return NewUser(user, generated)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        msg = f"no user {username!r}; list users with `platewatch users list`"
        raise AccountError(msg)
    return user


def _end_sessions(session: Session, user: User, *, keep: int | None = None) -> list[int]:
    """Revoke the user's live sessions except `keep`; the ids of those ended, for the audit."""
    live = select(LoginSession.id).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    if keep is not None:
        live = live.where(LoginSession.id != keep)
    ended = list(session.scalars(live.order_by(LoginSession.id)))
    if ended:
        session.execute(
            update(LoginSession).where(LoginSession.id.in_(ended)).values(revoked_at=utcnow())
        )
    return ended


def disable_user(session: Session, *, actor: str, username: str) -> User:
    """Block sign-in and end every session and token of the user at once."""
    user = get_user(session, username)
    user.disabled = True
    sessions = _end_sessions(session, user)
    tokens = list(
        session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
    )
    if tokens:
        session.execute(update(ApiToken).where(ApiToken.id.in_(tokens)).values(revoked_at=utcnow()))
    record_audit(
        session,
        actor=actor,
        subject=user.username,
        detail=UserDisableDetail(
            sessions_ended=tuple(sessions), tokens_revoked=tuple(sorted(tokens))
        ),
    )
    return user


def disable_members(
    session: Session, *, actor: str, agency_id: int | None = None, site_id: int | None = None
) -> list[str]:
    """Disable the agency's users, or the site's HOA admins (never its residents: they are
    people with cameras, not the site's staff); each is audited and signed out at once."""
    if agency_id is not None:
        members = select(User.username).where(User.agency_id == agency_id)
    else:
        members = select(User.username).where(User.site_id == site_id, User.role == "hoa_admin")
    names = list(session.scalars(members.where(User.disabled.is_(False)).order_by(User.id)))
    for username in names:
        disable_user(session, actor=actor, username=username)
    return names


def change_password(
    session: Session, user: User, *, current: str, new: str, keep_session_id: int | None = None
) -> None:
    """The user's own change; their sessions other than `keep_session_id` end."""
    if not verify_password(user.password_hash, current):
        msg = "the current password is wrong"
        raise AccountError(msg)
    if current == new:
        msg = "the new password must differ from the current one"
        raise AccountError(msg)
    check_new_password(new, username=user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    ended = _end_sessions(session, user, keep=keep_session_id)
    record_audit(
        session,
        actor=user.username,
        subject=user.username,
        detail=UserPasswordDetail(sessions_ended=tuple(ended), kept_session_id=keep_session_id),
    )


def reset_password(session: Session, *, actor: str, username: str) -> str:
    """Replace a forgotten (or compromised) password with a one-time one, returned once; every
    session of the user ends, since whoever knew the old password may hold one."""
    user = get_user(session, username)
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    ended = _end_sessions(session, user)
    record_audit(
        session,
        actor=actor,
        subject=user.username,
        detail=UserPasswordResetDetail(sessions_ended=tuple(ended)),
    )
    return password


def issue_token(session: Session, *, actor: str, username: str, name: str, days: int) -> NewToken:
    """A bearer token for a machine acting as `username`; the secret is returned only here."""
    user = get_user(session, username)
    if user.disabled:
        msg = f"user {user.username!r} is disabled; enable it before issuing tokens"
        raise AccountError(msg)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip() or "token",
        token_hash=digest(secret),
        prefix=secret[:10],
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=user.username,
        detail=TokenIssueDetail(token_id=token.id, name=token.name, prefix=token.prefix),
    )
    return NewToken(token, secret)


def revoke_token(session: Session, *, actor: str, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        msg = f"no API token with id {token_id}"
        raise AccountError(msg)
    already = token.revoked_at is not None
    token.revoked_at = token.revoked_at or utcnow()
    user = session.get(User, token.user_id)
    record_audit(
        session,
        actor=actor,
        subject=str(token_id),
        detail=TokenRevokeDetail(
            user=user.username if user else None,
            name=token.name,
            prefix=token.prefix,
            already_revoked=already,
        ),
    )
    return token


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))
