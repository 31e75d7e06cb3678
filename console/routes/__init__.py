"""The console's routers, one per subject; each route names the role it serves."""

from fastapi import APIRouter

from console.routes import (
    admin,
    alerts,
    auth,
    community_portal,
    community_requests,
    ops,
    oversight,
    reads,
    safelist,
    search,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    alerts.router,
    search.router,
    reads.router,
    safelist.router,
    oversight.router,
    admin.router,
    community_requests.router,
    community_portal.router,
    ops.router,
)
