"""The console's routers, one per subject; each route names the role it serves."""

from fastapi import APIRouter

from console.routes import admin, alerts, auth, ops, oversight, push, reads, safelist, search

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    alerts.router,
    push.router,
    search.router,
    reads.router,
    safelist.router,
    oversight.router,
    admin.router,
    ops.router,
)
