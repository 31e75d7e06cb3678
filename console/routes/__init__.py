"""The console's routers, one per subject; each route names the role it serves."""

from fastapi import APIRouter

from console.routes import (
    admin,
    alerts,
    audit_flags,
    auth,
    community_cameras,
    community_invites,
    community_portal,
    community_requests,
    community_residents,
    imports,
    map,
    ops,
    oversight,
    push,
    reads,
    safelist,
    search,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    alerts.router,
    push.router,
    search.router,
    reads.router,
    safelist.router,
    imports.router,
    oversight.router,
    audit_flags.router,
    admin.router,
    community_residents.router,
    community_cameras.router,
    community_invites.router,
    community_requests.router,
    community_portal.router,
    ops.router,
    map.router,
)
