"""Server-rendered pages: one Jinja2 environment per app, and the navigation each role gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.deps import Principal

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


NAV: dict[str, tuple[NavItem, ...]] = {
    "officer": (
        NavItem("/alerts", "Live alerts"),
        NavItem("/search", "Search reads"),
        NavItem("/community/requests", "Footage requests"),
        NavItem("/map", "Map"),
        NavItem("/cameras/health", "Camera health"),
    ),
    "supervisor": (
        NavItem("/community/requests", "Footage requests"),
        NavItem("/map", "Map"),
        NavItem("/cameras/health", "Camera health"),
    ),
    "resident": (
        NavItem("/community/portal", "Requests and alerts"),
        NavItem("/community/cameras", "My cameras"),
        NavItem("/community/profile", "Profile"),
    ),
    "hoa_admin": (
        NavItem("/safelist", "Safe list"),
        NavItem("/reads", "Recent reads"),
        NavItem("/community/invites", "Invites"),
        NavItem("/lpr-requests", "Plate read requests"),
        NavItem("/cameras/health", "Camera health"),
    ),
    "auditor": (
        NavItem("/audit", "Audit log"),
        NavItem("/audit/searches", "Searches"),
        NavItem("/audit/flags", "Flags"),
        NavItem("/audit/dispositions", "Dispositions"),
        NavItem("/audit/retention", "Retention"),
        NavItem("/transparency", "Transparency"),
    ),
    "admin": (
        NavItem("/admin/users", "Users"),
        NavItem("/admin/webhooks", "Webhooks"),
        NavItem("/admin/agencies", "Agencies"),
        NavItem("/admin/sites", "Sites"),
        NavItem("/admin/cameras", "Cameras"),
        NavItem("/community/invites", "Invites"),
        NavItem("/community/requests", "Footage requests"),
        NavItem("/admin/hotlists", "Hotlists"),
        NavItem("/admin/holds", "Legal holds"),
        NavItem("/cameras/health", "Camera health"),
        NavItem("/map", "Map"),
    ),
}
HOME = {
    "officer": "/alerts",
    "hoa_admin": "/safelist",
    "auditor": "/audit",
    "admin": "/admin/users",
    "supervisor": "/community/requests",
    "resident": "/community/cameras",
}


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _short(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%m-%d %H:%M") if value else ""


def _region(value: str | None) -> str:
    """fast-alpr regions are "us-ca" style; people read "CA"."""
    if not value:
        return ""
    country, _, sub = value.partition("-")
    return (sub or country).upper()


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["when"] = _when
    templates.env.filters["short"] = _short
    templates.env.filters["region"] = _region
    templates.env.globals["role_label"] = {
        "officer": "Officer",
        "hoa_admin": "HOA admin",
        "auditor": "Auditor",
        "admin": "Admin",
        "supervisor": "Supervisor",
        "resident": "Resident",
    }
    return templates


def render(
    request: Request, name: str, principal: Principal | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    nav = NAV.get(principal.role, ()) if principal else ()
    return templates.TemplateResponse(
        request,
        name,
        {
            "me": principal,
            "nav": nav,
            "path": request.url.path,
            "csrf_token": principal.csrf_token if principal else None,
            **context,
        },
        status_code=status,
    )


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", None, status=status, status_code=status, message=message)
