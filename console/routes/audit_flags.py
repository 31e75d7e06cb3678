"""Auditors: anomaly flags over the audit log, each linking to the rows behind it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.audit_flags import AuditFlag, audit_flags
from console.deps import Auditor, DbSession, Principal, SettingsDep
from console.pages import render
from console.schemas.audit import AuditFlagPublic
from console.scope import oversight_actors
from store.base import utcnow

router = APIRouter()


def _flags(db: DbSession, me: Principal, settings: SettingsDep) -> list[AuditFlagPublic]:
    scope = oversight_actors(me)
    actors = None if scope is None else list(db.scalars(scope))
    found = audit_flags(db, settings.console.audit_flags, utcnow(), actors)
    return [_public(flag) for flag in found]


def _public(flag: AuditFlag) -> AuditFlagPublic:
    return AuditFlagPublic(
        kind=flag.kind,
        summary=flag.summary,
        actors=list(flag.actors),
        event_ids=list(flag.event_ids),
        first_at=flag.first_at,
        last_at=flag.last_at,
        audit_url="/audit?ids=" + ",".join(str(i) for i in flag.event_ids),
    )


@router.get("/api/audit/flags", tags=["audit"])
def api_audit_flags(me: Auditor, db: DbSession, settings: SettingsDep) -> list[AuditFlagPublic]:
    """Patterns to look at in the last `console.audit_flags.window_days` days: one plate
    searched often, wide wildcard searches, searches outside a user's usual hours, one reason
    repeated, exports. Each flag lists its audit rows."""
    return _flags(db, me, settings)


@router.get("/audit/flags", include_in_schema=False)
def audit_flags_page(
    request: Request, me: Auditor, db: DbSession, settings: SettingsDep
) -> Response:
    limits = settings.console.audit_flags
    return render(request, "audit_flags.html", me, flags=_flags(db, me, settings), limits=limits)
