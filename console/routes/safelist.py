"""HOA admins' safe list: list, add, edit, expire, remove, CSV export, and CSV import through
the import worker (console.imports)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from console import safelist
from console.deps import DbSession, HoaAdmin, Principal
from console.imports import ImportRunner, JobScope
from console.pages import render
from console.schemas.imports import ImportJobPublic
from console.schemas.safelist import (
    SafelistEntryCreate,
    SafelistEntryPublic,
    SafelistEntryUpdate,
)
from console.scope import hoa_site
from store.audit import record_audit
from store.audit_details import SafelistExportDetail

router = APIRouter()
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _invalid(exc: ValueError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))


@router.get("/api/sites/{site_id}/safelist", tags=["safelist"])
def api_list(site_id: int, me: HoaAdmin, db: DbSession) -> list[SafelistEntryPublic]:
    return safelist.entries(db, hoa_site(me, site_id))


@router.post("/api/sites/{site_id}/safelist", tags=["safelist"], status_code=201)
def api_add(
    site_id: int, body: SafelistEntryCreate, me: HoaAdmin, db: DbSession
) -> SafelistEntryPublic:
    """Add a resident plate (or update the label and expiry of one already listed)."""
    try:
        entry = safelist.add(db, hoa_site(me, site_id), body, actor=me.username)
    except ValueError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return entry


@router.patch("/api/sites/{site_id}/safelist/{entry_id}", tags=["safelist"])
def api_update(
    site_id: int, entry_id: int, body: SafelistEntryUpdate, me: HoaAdmin, db: DbSession
) -> SafelistEntryPublic:
    try:
        entry = safelist.update(db, hoa_site(me, site_id), entry_id, body, actor=me.username)
    except ValueError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return entry


@router.post("/api/sites/{site_id}/safelist/{entry_id}/expire", tags=["safelist"])
def api_expire(site_id: int, entry_id: int, me: HoaAdmin, db: DbSession) -> SafelistEntryPublic:
    """End an entry now (it stays listed, marked expired, and can be renewed)."""
    entry = safelist.expire_now(db, hoa_site(me, site_id), entry_id, actor=me.username)
    db.commit()
    return entry


@router.delete("/api/sites/{site_id}/safelist/{entry_id}", tags=["safelist"], status_code=204)
def api_remove(site_id: int, entry_id: int, me: HoaAdmin, db: DbSession) -> Response:
    safelist.remove(db, hoa_site(me, site_id), entry_id, actor=me.username)
    db.commit()
    return Response(status_code=204)


async def _read_upload(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(status_code=413, detail="the file is larger than 5 MiB; split it")
    return data


async def _start_import(
    request: Request, me: Principal, site: int, file: UploadFile, *, replace: bool, skip: bool
) -> ImportJobPublic:
    """Queue the file for the import worker; the request answers before any row is read."""
    data = await _read_upload(file)
    filename = file.filename or "upload.csv"
    task = safelist.SafelistImport(
        site, data, filename, me.username, replace=replace, skip_invalid=skip
    )
    runner: ImportRunner = request.app.state.import_runner
    scope = JobScope(owner_user_id=me.user_id, site_id=site)
    return await asyncio.to_thread(runner.enqueue, task, scope, filename)


@router.post("/api/sites/{site_id}/safelist/import", tags=["safelist"], status_code=202)
async def api_import(
    *,
    request: Request,
    response: Response,
    site_id: int,
    me: HoaAdmin,
    file: Annotated[UploadFile, File()],
    replace: Annotated[bool, Form()] = False,
    skip_invalid: Annotated[bool, Form()] = False,
) -> ImportJobPublic:
    """Queue a CSV (plate, state, label, expires_at) for import and answer at once with the
    job; poll its Location until `done` or `failed`. Any bad row fails the whole file (nothing
    is written) unless skip_invalid; the job lists each bad row's line, field and reason."""
    site = hoa_site(me, site_id)
    job = await _start_import(request, me, site, file, replace=replace, skip=skip_invalid)
    response.headers["Location"] = f"/api/import-jobs/{job.id}"
    return job


def _export(db: Session, me: Principal, site_id: int) -> Response:
    text, count = safelist.export_csv(db, site_id)
    record_audit(
        db,
        actor=me.username,
        subject=f"site:{site_id}",
        detail=SafelistExportDetail(entries=count),
    )
    db.commit()
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="safelist-site-{site_id}.csv"'},
    )


@router.get(
    "/api/sites/{site_id}/safelist/export.csv",
    tags=["safelist"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def api_export(site_id: int, me: HoaAdmin, db: DbSession) -> Response:
    """The site's safe list as CSV, in the format import reads."""
    return _export(db, me, hoa_site(me, site_id))


# --- pages -------------------------------------------------------------------------------


def _page(
    request: Request, me: Principal, db: Session, *, status: int = 200, **context: object
) -> Response:
    site = hoa_site(me)
    context.setdefault("message", request.query_params.get("done"))
    return render(
        request,
        "safelist.html",
        me,
        entries=safelist.entries(db, site),
        site_id=site,
        status=status,
        **context,
    )


def _done(message: str) -> Response:
    return RedirectResponse(f"/safelist?done={quote(message)}", status_code=303)


def _until(value: str) -> datetime | None:
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)


@router.get("/safelist", include_in_schema=False)
def safelist_page(request: Request, me: HoaAdmin, db: DbSession) -> Response:
    return _page(request, me, db)


@router.post("/safelist/add", include_in_schema=False)
def page_add(
    *,
    request: Request,
    me: HoaAdmin,
    db: DbSession,
    plate: Annotated[str, Form()],
    state: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = SafelistEntryCreate(
            plate=plate, state=state, label=label, expires_at=_until(expires)
        )
        entry = safelist.add(db, hoa_site(me), body, actor=me.username)
    except ValueError as exc:
        db.rollback()
        return _page(
            request,
            me,
            db,
            status=422,
            error=f"Not added: {exc}",
            form={"plate": plate, "state": state, "label": label, "expires": expires},
        )
    db.commit()
    return _done(f"{entry.plate} is on the safe list.")


@router.post("/safelist/{entry_id}/edit", include_in_schema=False)
def page_edit(
    *,
    request: Request,
    entry_id: int,
    me: HoaAdmin,
    db: DbSession,
    label: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = SafelistEntryUpdate(
            label=label, expires_at=_until(expires), clear_expiry=not expires
        )
        entry = safelist.update(db, hoa_site(me), entry_id, body, actor=me.username)
    except ValueError as exc:
        db.rollback()
        return _page(request, me, db, status=422, error=f"Not saved: {exc}")
    db.commit()
    return _done(f"Saved {entry.plate}.")


@router.post("/safelist/{entry_id}/expire", include_in_schema=False)
def page_expire(entry_id: int, me: HoaAdmin, db: DbSession) -> Response:
    entry = safelist.expire_now(db, hoa_site(me), entry_id, actor=me.username)
    db.commit()
    return _done(f"{entry.plate} expired now.")


@router.post("/safelist/{entry_id}/remove", include_in_schema=False)
def page_remove(entry_id: int, me: HoaAdmin, db: DbSession) -> Response:
    safelist.remove(db, hoa_site(me), entry_id, actor=me.username)
    db.commit()
    return _done("Removed from the safe list.")


@router.post("/safelist/import", include_in_schema=False)
async def page_import(
    request: Request,
    me: HoaAdmin,
    file: Annotated[UploadFile, File()],
    replace: Annotated[bool, Form()] = False,
) -> Response:
    job = await _start_import(request, me, hoa_site(me), file, replace=replace, skip=False)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


@router.get("/safelist/export.csv", include_in_schema=False)
def page_export(me: HoaAdmin, db: DbSession) -> Response:
    return _export(db, me, hoa_site(me))
