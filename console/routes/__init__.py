"""The console's routers, one per subject; each route names the role it serves."""

from fastapi import APIRouter

from console.routes import admin, alerts, audit_flags, auth, ops, oversight, reads, safelist, search

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    alerts.router,
    search.router,
    reads.router,
    safelist.router,
    oversight.router,
    audit_flags.router,
    admin.router,
    ops.router,
)
