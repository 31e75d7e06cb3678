"""Officers' search of past reads: a page with a form, and the same search as an API call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.deps import DbSession, Officer, SettingsDep
from console.pages import render
from console.schemas.search import SearchCreate, SearchResult
from console.scope import officer_agency, shared_site_ids
from console.search import SearchError, search_reads
from store.tables import Camera, Site

router = APIRouter()


@router.post("/api/reads/search", tags=["reads"])
def api_search(
    body: SearchCreate, me: Officer, db: DbSession, settings: SettingsDep
) -> SearchResult:
    """Search past reads of your jurisdiction by plate (`*`, `?`), time and area. A case number
    and a reason are required; the search is written to the audit log; resident reads never
    appear."""
    try:
        result = search_reads(db, me, body, settings.console)
    except SearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    return result


def _areas(db: Session, agency_id: int) -> list[tuple[Site, list[Camera]]]:
    sites = db.scalars(
        select(Site).where(Site.id.in_(shared_site_ids(agency_id))).order_by(Site.name)
    ).all()
    cameras = db.scalars(
        select(Camera).where(Camera.site_id.in_([s.id for s in sites])).order_by(Camera.name)
    ).all()
    return [(site, [c for c in cameras if c.site_id == site.id]) for site in sites]


def _local(value: str, offset_min: int, field: str) -> datetime:
    # datetime-local inputs carry no zone; the page sends the browser's offset beside them.
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        msg = f"{field}: give a date and time, e.g. 2025-03-01 14:30"
        raise ValueError(msg) from exc
    return (naive + timedelta(minutes=offset_min)).replace(tzinfo=UTC)


def _located(loc: tuple[int | str, ...], msg: str) -> str:
    """`field: message`, unless the message already names its field."""
    field = ".".join(map(str, loc))
    text = msg.removeprefix("Value error, ")
    named = text.startswith((field, field.replace("_", " ")))
    return text if named else f"{field}: {text}"


@router.get("/search", include_in_schema=False)
def search_page(request: Request, me: Officer, db: DbSession) -> Response:
    return render(
        request,
        "search.html",
        me,
        areas=_areas(db, officer_agency(me)),
        form={},
        errors=[],
        result=None,
    )


@router.post("/search", include_in_schema=False)
def search_submit(
    *,
    request: Request,
    me: Officer,
    db: DbSession,
    settings: SettingsDep,
    plate: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    tz_offset: Annotated[int, Form()] = 0,
    camera_ids: Annotated[list[str] | None, Form()] = None,
    case_number: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "plate": plate,
        "start": start,
        "end": end,
        "case_number": case_number,
        "reason": reason,
        "camera_ids": camera_ids or [],
    }
    errors: list[str] = []
    result: SearchResult | None = None
    try:
        query = SearchCreate(
            plate=plate,
            start=_local(start, tz_offset, "start"),
            end=_local(end, tz_offset, "end"),
            camera_ids=camera_ids or [],
            case_number=case_number,
            reason=reason,
        )
        result = search_reads(db, me, query, settings.console)
        db.commit()
    except ValidationError as exc:
        errors = [_located(e["loc"], e["msg"]) for e in exc.errors()]
    except ValueError as exc:  # SearchError, and unreadable dates from the form
        errors = [str(exc)]
    return render(
        request,
        "search.html",
        me,
        areas=_areas(db, officer_agency(me)),
        form=form,
        errors=errors,
        result=result,
        status=422 if errors else 200,
    )
