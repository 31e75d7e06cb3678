"""How errors are shown: JSON under /api, a page or a redirect to sign-in elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from console.errors import LoginRequiredError, PasswordChangeRequiredError
from console.pages import render_error


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    if is_api(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    suffix = "&expired=1" if exc.expired else ""
    return RedirectResponse(f"/login?next={quote(target, safe='')}{suffix}", status_code=303)


async def _password_change(request: Request, exc: Exception) -> Response:
    del exc
    if is_api(request):
        return JSONResponse(
            {"detail": "sign in through the web page and choose a new password first"},
            status_code=403,
        )
    return RedirectResponse("/account/password", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api(request) or exc.status_code < 400:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return render_error(request, exc.status_code, str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(PasswordChangeRequiredError, _password_change)
    app.add_exception_handler(HTTPException, _http_error)
