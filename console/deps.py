"""Request dependencies: the database session, settings, and who is asking.

Every route names the role it serves through one of the `Annotated` aliases at the bottom,
so the server decides access before any handler code runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from console.accounts.logins import find_session, find_token
from console.accounts.users import AccountError, Role, as_role
from console.errors import Forbidden, LoginRequiredError, PasswordChangeRequiredError
from console.settings import ConsoleSections

SESSION_COOKIE = "pw_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reachable while a one-time password is still in use.
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/logout", "/api/me"})


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def get_settings(request: Request) -> ConsoleSections:
    settings: ConsoleSections = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[ConsoleSections, Depends(get_settings)]


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request, and how they proved it."""

    user_id: int
    username: str
    display_name: str
    role: Role
    agency_id: int | None
    site_id: int | None
    via: Literal["session", "token"]
    session_id: int | None = None
    csrf_token: str | None = None
    must_change_password: bool = False
    token_id: int | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.username


def _identify(request: Request, db: DbSession) -> Principal:
    try:
        return _lookup(request, db)
    finally:
        # End the read transaction so the connection goes back to the pool at once: an event
        # stream keeps its request (and this session) open for hours.
        db.commit()


def _lookup(request: Request, db: Session) -> Principal:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            msg = "the Authorization header must be 'Bearer <token>'"
            raise LoginRequiredError(msg)
        match = find_token(db, secret.strip())
        if match is None:
            msg = "the API token is unknown, revoked or expired; issue a new one"
            raise LoginRequiredError(msg)
        user = match.user
        return Principal(
            user.id,
            user.username,
            user.display_name,
            _role(user.role),
            user.agency_id,
            user.site_id,
            "token",
            token_id=match.token_id,
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        msg = "sign in first"
        raise LoginRequiredError(msg)
    found = find_session(db, cookie)
    if found.user is None or found.login is None:
        if found.expired:
            msg = "your session has expired; sign in again"
            raise LoginRequiredError(msg, expired=True)
        msg = "your session has ended; sign in again"
        raise LoginRequiredError(msg)
    user = found.user
    return Principal(
        user.id,
        user.username,
        user.display_name,
        _role(user.role),
        user.agency_id,
        user.site_id,
        "session",
        found.login.id,
        found.login.csrf_token,
        user.must_change_password,
    )


def _role(value: str) -> Role:
    try:
        return as_role(value)
    except AccountError as exc:
        raise Forbidden(str(exc)) from exc


async def authenticated(
    request: Request, principal: Annotated[Principal, Depends(_identify)]
) -> Principal:
    """The caller, with CSRF checked for cookie-authenticated changes."""
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not sent or not hmac.compare_digest(sent, principal.csrf_token or ""):
            msg = "the form's security token is missing or stale; reload the page"
            raise Forbidden(msg)
    if principal.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequiredError
    return principal


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if principal.role not in roles:
            allowed = " or ".join(r.replace("_", " ") for r in roles)
            msg = (
                f"this needs the {allowed} role; you are signed in as "
                f"{principal.role.replace('_', ' ')}"
            )
            raise Forbidden(msg)
        return principal

    return check


AnyUser = Annotated[Principal, Depends(authenticated)]
Officer = Annotated[Principal, Depends(require_role("officer"))]
HoaAdmin = Annotated[Principal, Depends(require_role("hoa_admin"))]
Auditor = Annotated[Principal, Depends(require_role("auditor"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
OfficerOrHoaAdmin = Annotated[Principal, Depends(require_role("officer", "hoa_admin"))]
Resident = Annotated[Principal, Depends(require_role("resident"))]
HoaAdminOrAdmin = Annotated[Principal, Depends(require_role("hoa_admin", "admin"))]
AgencyUser = Annotated[Principal, Depends(require_role("officer", "supervisor"))]
Approver = Annotated[Principal, Depends(require_role("supervisor", "admin"))]
CameraWatcher = Annotated[
    Principal, Depends(require_role("admin", "officer", "supervisor", "hoa_admin"))
]
