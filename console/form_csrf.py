"""Double-submit tokens for the forms posted before anyone is signed in (sign-in, sign-up):
a random token in a strict, path-bound cookie and the same token in the form."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def set_form_cookie(
    response: Response, request: Request, name: str, token: str, path: str
) -> Response:
    response.set_cookie(
        name,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.console.secure_cookies,
        path=path,
    )
    return response


def form_token_matches(request: Request, name: str, sent: str) -> bool:
    cookie = request.cookies.get(name, "")
    return bool(cookie) and hmac.compare_digest(cookie, sent)
