"""Signing in and out, choosing a password, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.accounts.logins import LoginFailedError, authenticate, end_session, start_session
from console.accounts.passwords import WeakPasswordError
from console.accounts.throttle import LoginRateLimitedError, admit
from console.accounts.users import AccountError, change_password
from console.clientaddr import client_of
from console.deps import SESSION_COOKIE, AnyUser, DbSession, SettingsDep
from console.form_csrf import form_token_matches, new_form_token, set_form_cookie
from console.pages import HOME, render
from console.schemas.users import MePublic
from console.settings import ConsoleSettings
from store.tables import LoginSession, User

router = APIRouter()
LOGIN_CSRF_COOKIE = "pw_login_csrf"


def _safe_next(target: str | None, role: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return HOME.get(role, "/")


def _login_page(
    request: Request, *, error: str | None = None, status: int = 200, next_path: str = ""
) -> Response:
    token = new_form_token()
    response = render(
        request,
        "login.html",
        None,
        status=status,
        error=error,
        login_csrf=token,
        next_path=next_path,
        expired=request.query_params.get("expired") == "1",
    )
    return set_form_cookie(response, request, LOGIN_CSRF_COOKIE, token, "/login")


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    return _login_page(request, next_path=request.query_params.get("next", ""))


@router.post("/login", include_in_schema=False)
def login(
    *,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    login_csrf: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    if not form_token_matches(request, LOGIN_CSRF_COOKIE, login_csrf):
        return _login_page(
            request,
            error="The sign-in form expired. Please try again.",
            status=403,
            next_path=next_path,
        )
    client = client_of(request)
    try:
        admission = admit(
            db,
            username=username,
            client=client,
            limit=settings.console.login_attempts_per_minute,
        )
    except LoginRateLimitedError as exc:
        response = _login_page(
            request, error=str(exc).capitalize() + ".", status=429, next_path=next_path
        )
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    # Counted as a failure until it succeeds, and the throttle's locks are released before
    # the deliberately slow password check.
    db.commit()
    try:
        user = authenticate(db, admission, password=password)
    except LoginFailedError:
        return _login_page(
            request, error="Wrong username or password.", status=401, next_path=next_path
        )
    started = start_session(
        db,
        user,
        hours=settings.console.session_hours,
        client=request.headers.get("user-agent", client),
    )
    db.commit()
    target = "/account/password" if user.must_change_password else _safe_next(next_path, user.role)
    response = signed_in_redirect(target, started.cookie, settings.console)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def signed_in_redirect(target: str, cookie: str, console: ConsoleSettings) -> Response:
    """Go to `target` holding the new session's cookie (sign-in, and residents' sign-up)."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(console.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=console.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(me: AnyUser, db: DbSession) -> Response:
    if me.session_id is not None:
        login_row = db.get(LoginSession, me.session_id)
        if login_row is not None:
            end_session(db, login_row, actor=me.username)
            db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", include_in_schema=False)
def home(me: AnyUser) -> Response:
    return RedirectResponse(HOME.get(me.role, "/login"), status_code=303)


@router.get("/account/password", include_in_schema=False)
def password_form(request: Request, me: AnyUser) -> Response:
    return render(request, "password.html", me, error=None)


@router.post("/account/password", include_in_schema=False)
def password_change(
    *,
    request: Request,
    me: AnyUser,
    db: DbSession,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    repeat: Annotated[str, Form(max_length=1000)],
) -> Response:
    user = db.get(User, me.user_id)
    assert user is not None
    error = None
    if new != repeat:
        error = "The new password and its repetition differ."
    else:
        try:
            # This browser stays signed in; the user's other sessions end.
            change_password(db, user, current=current, new=new, keep_session_id=me.session_id)
        except (AccountError, WeakPasswordError) as exc:
            error = str(exc).capitalize() + "."
    if error:
        return render(request, "password.html", me, error=error, status=400)
    db.commit()
    return RedirectResponse(HOME.get(me.role, "/"), status_code=303)


@router.get("/api/me", tags=["account"])
def whoami(me: AnyUser) -> MePublic:
    """The signed-in user or the token's user, with the scope the server applies."""
    return MePublic(
        username=me.username,
        display_name=me.display_name,
        role=me.role,
        agency_id=me.agency_id,
        site_id=me.site_id,
        via=me.via,
        must_change_password=me.must_change_password,
    )
