"""Officers' alerts: the live feed page, the event stream, and dispositions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from console.accounts.logins import Credential
from console.alerts import officer_alert, officer_alerts
from console.camera_health import cameras_visible_to
from console.deps import DbSession, Officer
from console.dispositions import apply_disposition
from console.feed import AlertFeed
from console.ops_alerts import ops_alerts
from console.pages import render
from console.schemas.alerts import AlertPublic, DispositionCreate, FeedEvent
from console.scope import officer_agency
from hotlist.alerts import NEEDS_DECISION_STATUSES

router = APIRouter()
REPLAY_LIMIT = 100


@router.get("/alerts", include_in_schema=False)
def feed_page(request: Request, me: Officer, db: DbSession) -> Response:
    agency = officer_agency(me)
    open_alerts = officer_alerts(db, agency, status=NEEDS_DECISION_STATUSES, limit=50)
    recent = [
        a for a in officer_alerts(db, agency, limit=60) if a.status not in NEEDS_DECISION_STATUSES
    ]
    last_id = max([a.id for a in open_alerts + recent], default=0)
    initial = [a.model_dump(mode="json") for a in open_alerts + recent[:20]]
    # Camera alerts of the agency's cameras beside the plate alerts, kept current by ops.js.
    cameras_down = ops_alerts(db, cameras_visible_to(me), open_only=True)
    return render(
        request,
        "alerts.html",
        me,
        open_alerts=open_alerts,
        initial=initial,
        last_id=last_id,
        ops_initial=[a.model_dump(mode="json") for a in cameras_down],
        ops_refresh="poll",
    )


@router.get("/api/alerts", tags=["alerts"])
def list_alerts(
    me: Officer,
    db: DbSession,
    status: Annotated[
        list[str] | None, Query(description="new, acknowledged, confirmed, rejected, dismissed")
    ] = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlertPublic]:
    """Alerts from cameras of sites that share with your agency, newest first."""
    return officer_alerts(db, officer_agency(me), status=status, after_id=after_id, limit=limit)


@router.get("/api/alerts/stream", tags=["alerts"], response_class=StreamingResponse)
async def alert_stream(
    request: Request,
    me: Officer,
    after: Annotated[
        int | None, Query(ge=0, description="first replay your alerts with a larger id")
    ] = None,
) -> StreamingResponse:
    """Server-sent events: `alert` for each new alert in your jurisdiction, `update` when one
    changes. Reconnecting clients send Last-Event-ID (or `after`) and get what they missed."""
    agency = officer_agency(me)
    last_event = request.headers.get("last-event-id", "")
    if last_event.isdigit():
        after = max(after or 0, int(last_event))
    feed: AlertFeed = request.app.state.feed
    # The feed re-checks this credential every few seconds and ends the stream once it lapses.
    subscriber = feed.subscribe(agency, Credential(me.session_id, me.token_id))
    factory: sessionmaker[Session] = request.app.state.session_factory
    heartbeat = request.app.state.settings.console.feed_heartbeat_s

    def replay() -> list[AlertPublic]:
        if after is None:
            return []
        with factory() as session:
            return list(
                reversed(officer_alerts(session, agency, after_id=after, limit=REPLAY_LIMIT))
            )

    async def events() -> AsyncIterator[str]:
        getter: asyncio.Task[FeedEvent | None] | None = None
        try:
            yield "retry: 2000\n\n"
            newest = after or 0
            for card in await asyncio.to_thread(replay):
                newest = max(newest, card.id)
                yield _sse(FeedEvent(kind="alert", alert=card))
            # asyncio.wait, not wait_for: wait_for can drop an item that arrives just as
            # the heartbeat times out; the pending get simply carries over to the next round.
            while True:
                getter = getter or asyncio.ensure_future(subscriber.queue.get())
                done, _ = await asyncio.wait({getter}, timeout=heartbeat)
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                event = getter.result()
                getter = None
                if subscriber.signed_out:  # the feed found the session or token revoked
                    yield "event: signed_out\ndata: {}\n\n"
                    return
                if event is None or subscriber.dropped:
                    return
                if event.kind == "alert" and event.alert.id <= newest:
                    continue  # already replayed
                yield _sse(event)
        finally:
            if getter is not None:
                getter.cancel()
            feed.unsubscribe(subscriber)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _sse(event: FeedEvent) -> str:
    data = event.model_dump_json()
    if event.kind == "alert":
        return f"id: {event.alert.id}\nevent: alert\ndata: {data}\n\n"
    return f"event: {event.kind}\ndata: {data}\n\n"


@router.get("/api/alerts/{alert_id}", tags=["alerts"])
def get_alert(alert_id: int, me: Officer, db: DbSession) -> AlertPublic:
    return officer_alert(db, officer_agency(me), alert_id)


@router.post("/api/alerts/{alert_id}/disposition", tags=["alerts"])
def dispose_alert(
    alert_id: int, body: DispositionCreate, me: Officer, db: DbSession
) -> AlertPublic:
    """Record what the officer found: correct read, wrong state, incorrect read, vehicle does
    not match, dismiss (or acknowledge). Audited; a closed alert cannot be changed again."""
    agency = officer_agency(me)
    officer_alert(db, agency, alert_id)  # 404 outside the jurisdiction, before any change
    apply_disposition(
        db,
        alert_id,
        actor=me.username,
        choice=body.choice,
        note=body.note,
        case_number=body.case_number,
    )
    db.commit()
    # Other officers' feeds learn of it from the outbox row the disposition wrote.
    return officer_alert(db, agency, alert_id)
