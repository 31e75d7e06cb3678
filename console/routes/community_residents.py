"""Residents: joining with an invite code (/join, no account yet) and their profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from community.errors import CommunityError
from community.residents import ProfileInput, opt_out
from console.accounts.logins import start_session
from console.accounts.passwords import WeakPasswordError
from console.accounts.residents import join_resident
from console.accounts.users import AccountError
from console.clientaddr import client_of
from console.deps import DbSession, Resident, SettingsDep
from console.form_csrf import form_token_matches, new_form_token, set_form_cookie
from console.forms import optional_coordinate, sentence
from console.pages import HOME, render
from console.routes.auth import signed_in_redirect
from store.tables import ResidentProfile

router = APIRouter()
JOIN_CSRF_COOKIE = "pw_join_csrf"


def _join_page(
    request: Request, *, error: str | None = None, status: int = 200, form: dict[str, str]
) -> Response:
    token = new_form_token()
    response = render(
        request, "community/join.html", None, status=status, error=error, join_csrf=token, form=form
    )
    return set_form_cookie(response, request, JOIN_CSRF_COOKIE, token, "/join")


@router.get("/join", include_in_schema=False)
def join_form(request: Request) -> Response:
    return _join_page(request, form={"code": request.query_params.get("code", "")})


@router.post("/join", include_in_schema=False)
def join(
    *,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    email: Annotated[str, Form(max_length=254)],
    kind: Annotated[str, Form(max_length=16)] = "home",
    address: Annotated[str, Form(max_length=300)] = "",
    latitude: Annotated[str, Form(max_length=32)] = "",
    longitude: Annotated[str, Form(max_length=32)] = "",
    join_csrf: Annotated[str, Form()] = "",
) -> Response:
    """Sign up as a resident; the account starts signed in."""
    form = {"code": code, "username": username, "email": email, "kind": kind}
    form |= {"address": address, "latitude": latitude, "longitude": longitude}
    if not form_token_matches(request, JOIN_CSRF_COOKIE, join_csrf):
        return _join_page(
            request, error="The sign-up form expired. Please try again.", status=403, form=form
        )
    try:
        profile = ProfileInput(
            kind,
            email,
            address,
            optional_coordinate(latitude, "latitude"),
            optional_coordinate(longitude, "longitude"),
        )
        joined = join_resident(db, code=code, username=username, password=password, profile=profile)
    except (CommunityError, AccountError, WeakPasswordError) as exc:
        db.rollback()
        return _join_page(request, error=sentence(exc), status=422, form=form)
    started = start_session(
        db,
        joined.user,
        hours=settings.console.session_hours,
        client=request.headers.get("user-agent", client_of(request)),
    )
    db.commit()
    response = signed_in_redirect(HOME["resident"], started.cookie, settings.console)
    response.delete_cookie(JOIN_CSRF_COOKIE, path="/join")
    return response


@router.get("/community/profile", include_in_schema=False)
def profile_page(request: Request, me: Resident, db: DbSession) -> Response:
    profile = db.get(ResidentProfile, me.user_id)
    return render(request, "community/profile.html", me, profile=profile, message=None)


@router.post("/community/profile/opt-out", include_in_schema=False)
def profile_opt_out(request: Request, me: Resident, db: DbSession) -> Response:
    """Never be asked for footage again (cameras stay registered)."""
    try:
        profile = opt_out(db, user_id=me.user_id, actor=me.username)
    except CommunityError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    message = "You will not be asked for footage again."
    return render(request, "community/profile.html", me, profile=profile, message=message)
