"""The API's own documentation (Swagger UI, ReDoc and the OpenAPI document), served from local
files so it works offline, and only to whom `console.api_docs` says.

The route list of a deployment says what it can do; by default only signed-in users read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from console.deps import authenticated

DOCS_STATIC = Path(fastapi_offline.__file__).parent / "static"
STATIC_URL = "/static/docs"
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")


def _no_check() -> None:
    """For `api_docs: public`."""


def install_docs(app: FastAPI, access: str) -> None:
    """Add the documentation routes; `access` is public, signed_in or off."""
    if access == "off":
        return
    app.mount(STATIC_URL, StaticFiles(directory=DOCS_STATIC), name="docs-static")
    guard: Any = _no_check if access == "public" else authenticated
    router = APIRouter(include_in_schema=False, dependencies=[Depends(guard)])

    @router.get("/openapi.json")
    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs")
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
        )

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.include_router(router)
