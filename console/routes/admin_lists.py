"""Admins' hotlists: list, create, edit, import or refresh from a file (through the import
worker), expire, and export as CSV. Every change is audited as the user or API token."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import admin_lists
from console.deps import Admin, DbSession, Principal
from console.imports import ImportRunner, JobScope
from console.pages import render
from console.schemas.admin_lists import (
    HotlistCreate,
    HotlistExpired,
    HotlistPublic,
    HotlistUpdate,
)
from console.schemas.imports import ImportJobPublic
from console.settings import ConsoleSections
from hotlist.historical import HistoryCheck
from hotlist.list_admin import (
    HotlistChanges,
    HotlistFieldError,
    create_list,
    expire_list,
    update_list,
)
from hotlist.lists import get_hotlist
from hotlist.parse import Format
from store.errors import NotFoundError
from store.tables import Agency, Site

router = APIRouter()
# A state's daily feed of a million plates is about 60 MB.
MAX_IMPORT_BYTES = 100 * 1024 * 1024
ImportFile = Annotated[UploadFile, File(description="CSV with a header, or a delimited feed")]
FormatForm = Annotated[Format, Form(description="csv (with a header) or delimited")]
ColumnsForm = Annotated[
    str, Form(description="field map: plate=HEADER,... for csv, plate=1,state=2,... delimited")
]
DelimiterForm = Annotated[str, Form(max_length=1, description="default , (csv) or ; (delimited)")]
SkipForm = Annotated[bool, Form(description="import the valid rows and report the bad ones")]


def field_error(*, field: str, message: str) -> HTTPException:
    """422 in the shape FastAPI gives a bad body: the field, then what is wrong with it."""
    return HTTPException(
        status_code=422, detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}]
    )


def _existing(db: Session, hotlist_id: int) -> int:
    try:
        return get_hotlist(db, hotlist_id).id
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=f"no hotlist with id {hotlist_id}") from exc


@router.get("/api/admin/hotlists", tags=["admin"])
def api_hotlists(me: Admin, db: DbSession) -> list[HotlistPublic]:
    """Every hotlist with its size, expired entries, version and last refresh."""
    del me
    return admin_lists.hotlists(db)


@router.post("/api/admin/hotlists", tags=["admin"], status_code=201)
def api_create(body: HotlistCreate, me: Admin, db: DbSession) -> HotlistPublic:
    """An empty list; load it with `import`. An agency-owned list alerts only that agency."""
    try:
        hotlist = create_list(
            db,
            admin_lists.actor_of(me),
            body.name,
            source=body.source,
            priority=body.priority,
            description=body.description,
            owner_agency=body.owner_agency_id,
            owner_site=body.owner_site_id,
        )
    except HotlistFieldError as exc:
        raise field_error(field=exc.field, message=str(exc)) from exc
    db.commit()
    return admin_lists.one(db, hotlist.id)


@router.get("/api/admin/hotlists/{hotlist_id}", tags=["admin"])
def api_hotlist(hotlist_id: int, me: Admin, db: DbSession) -> HotlistPublic:
    del me
    return admin_lists.one(db, _existing(db, hotlist_id))


@router.patch("/api/admin/hotlists/{hotlist_id}", tags=["admin"])
def api_update(hotlist_id: int, body: HotlistUpdate, me: Admin, db: DbSession) -> HotlistPublic:
    """Change the name, description, source or priority; matchers pick it up at once."""
    changes = HotlistChanges(body.name, body.description, body.source, body.priority)
    try:
        update_list(db, admin_lists.actor_of(me), _existing(db, hotlist_id), changes)
    except HotlistFieldError as exc:
        raise field_error(field=exc.field, message=str(exc)) from exc
    db.commit()
    return admin_lists.one(db, hotlist_id)


async def start_import(
    request: Request,
    me: Principal,
    hotlist_id: int,
    upload: UploadFile,
    options: admin_lists.ImportOptions,
) -> ImportJobPublic:
    """Check the form and queue the file; the request answers before any row is read."""
    try:
        options.column_map()
    except ValueError as exc:
        raise field_error(field="columns", message=str(exc)) from exc
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        msg = "the file is larger than 100 MiB; split it and import the parts one after another"
        raise HTTPException(status_code=413, detail=msg)
    filename = upload.filename or "upload.csv"
    factory = request.app.state.session_factory
    runner: ImportRunner = request.app.state.import_runner
    settings: ConsoleSections = request.app.state.settings
    # New entries are looked for among stored reads as far back as retention keeps them.
    history = HistoryCheck(window_days=settings.retention.image_days, settings=settings.matching)
    task = admin_lists.HotlistImport(
        hotlist_id, data, filename, admin_lists.actor_of(me), options, history
    )

    def queue() -> ImportJobPublic:
        with factory() as db:
            owner = get_hotlist(db, _existing(db, hotlist_id)).owner_agency_id
        return runner.enqueue(task, JobScope(me.user_id, agency_id=owner), filename)

    return await asyncio.to_thread(queue)


async def _api_import(
    request: Request,
    response: Response,
    me: Principal,
    *,
    hotlist_id: int,
    upload: UploadFile,
    options: admin_lists.ImportOptions,
) -> ImportJobPublic:
    job = await start_import(request, me, hotlist_id, upload, options)
    response.headers["Location"] = f"/api/import-jobs/{job.id}"
    return job


@router.post("/api/admin/hotlists/{hotlist_id}/import", tags=["admin"], status_code=202)
async def api_import(
    *,
    request: Request,
    response: Response,
    hotlist_id: int,
    me: Admin,
    file: ImportFile,
    format: FormatForm = "csv",
    columns: ColumnsForm = "",
    delimiter: DelimiterForm = "",
    skip_invalid: SkipForm = False,
) -> ImportJobPublic:
    """Add a file's entries to the list (those already on it are left as they are). Answers
    at once with the job; poll its Location until `done` or `failed`. Any bad row fails the
    whole file (nothing is written) unless skip_invalid; the job lists each bad row's line,
    field and reason, as `platewatch hotlist import` prints them."""
    options = admin_lists.ImportOptions(format, columns, delimiter, False, skip_invalid)
    return await _api_import(
        request, response, me, hotlist_id=hotlist_id, upload=file, options=options
    )


@router.post("/api/admin/hotlists/{hotlist_id}/refresh", tags=["admin"], status_code=202)
async def api_refresh(
    *,
    request: Request,
    response: Response,
    hotlist_id: int,
    me: Admin,
    file: ImportFile,
    format: FormatForm = "csv",
    columns: ColumnsForm = "",
    delimiter: DelimiterForm = "",
    skip_invalid: SkipForm = False,
) -> ImportJobPublic:
    """Replace the list's contents with the file's in one transaction (the daily feed: what
    `hotlist import --replace` does). An empty or rejected file leaves the list as it was."""
    options = admin_lists.ImportOptions(format, columns, delimiter, True, skip_invalid)
    return await _api_import(
        request, response, me, hotlist_id=hotlist_id, upload=file, options=options
    )


@router.post("/api/admin/hotlists/{hotlist_id}/expire", tags=["admin"])
def api_expire(hotlist_id: int, me: Admin, db: DbSession) -> HotlistExpired:
    """Retire the list: every entry ends now and alerts no more. The entries stay, so the
    list can be exported, and a refresh brings it back."""
    ended = expire_list(db, admin_lists.actor_of(me), _existing(db, hotlist_id))
    db.commit()
    return HotlistExpired(hotlist=admin_lists.one(db, hotlist_id), entries_expired=ended)


def _export(db: Session, me: Principal, hotlist_id: int) -> Response:
    text, filename = admin_lists.export_csv(db, admin_lists.actor_of(me), _existing(db, hotlist_id))
    db.commit()
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/api/admin/hotlists/{hotlist_id}/export.csv",
    tags=["admin"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def api_export(hotlist_id: int, me: Admin, db: DbSession) -> Response:
    """The list as CSV in the import's format (formula-like cells neutralised); audited."""
    return _export(db, me, hotlist_id)


# --- pages -------------------------------------------------------------------------------


def _page(
    request: Request, me: Principal, db: Session, *, status: int = 200, **context: object
) -> Response:
    context.setdefault("message", request.query_params.get("done"))
    return render(
        request,
        "admin_hotlists.html",
        me,
        lists=admin_lists.hotlists(db),
        agencies=db.scalars(select(Agency).order_by(Agency.name)).all(),
        sites=db.scalars(select(Site).order_by(Site.name)).all(),
        status=status,
        **context,
    )


def _done(message: str) -> Response:
    return RedirectResponse(f"/admin/hotlists?done={quote(message)}", status_code=303)


@router.get("/admin/hotlists", include_in_schema=False)
def hotlists_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _page(request, me, db)


@router.post("/admin/hotlists", include_in_schema=False)
def page_create(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "custom",
    priority: Annotated[int, Form()] = 1,
    owner: Annotated[str, Form(description="agency:ID, site:ID or empty")] = "",
) -> Response:
    kind, _, ident = owner.partition(":")
    try:
        hotlist = create_list(
            db,
            admin_lists.actor_of(me),
            name,
            source=source,
            priority=priority,
            description=description,
            owner_agency=int(ident) if kind == "agency" and ident.isdigit() else None,
            owner_site=int(ident) if kind == "site" and ident.isdigit() else None,
        )
    except ValueError as exc:
        db.rollback()
        form = {"name": name, "description": description, "source": source}
        return _page(request, me, db, status=422, error=f"Not created: {exc}", form=form)
    db.commit()
    return _done(f"Hotlist {hotlist.name} created; import a file into it.")


@router.post("/admin/hotlists/{hotlist_id}/edit", include_in_schema=False)
def page_edit(
    *,
    request: Request,
    hotlist_id: int,
    me: Admin,
    db: DbSession,
    description: Annotated[str, Form()] = "",
    priority: Annotated[int, Form()] = 1,
) -> Response:
    changes = HotlistChanges(description=description, priority=priority)
    try:
        hotlist = update_list(db, admin_lists.actor_of(me), _existing(db, hotlist_id), changes)
    except ValueError as exc:
        db.rollback()
        return _page(request, me, db, status=422, error=f"Not saved: {exc}")
    db.commit()
    return _done(f"Saved {hotlist.name}.")


@router.post("/admin/hotlists/{hotlist_id}/import", include_in_schema=False)
async def page_import(
    *,
    request: Request,
    hotlist_id: int,
    me: Admin,
    file: ImportFile,
    replace: Annotated[bool, Form()] = False,
    skip_invalid: SkipForm = False,
) -> Response:
    options = admin_lists.ImportOptions(replace=replace, skip_invalid=skip_invalid)
    job = await start_import(request, me, hotlist_id, file, options)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


@router.post("/admin/hotlists/{hotlist_id}/expire", include_in_schema=False)
def page_expire(hotlist_id: int, me: Admin, db: DbSession) -> Response:
    ended = expire_list(db, admin_lists.actor_of(me), _existing(db, hotlist_id))
    name = get_hotlist(db, hotlist_id).name
    db.commit()
    return _done(f"{name} expired: {ended} entries ended now and alert no more.")


@router.get("/admin/hotlists/{hotlist_id}/export.csv", include_in_schema=False)
def page_export(hotlist_id: int, me: Admin, db: DbSession) -> Response:
    return _export(db, me, hotlist_id)
