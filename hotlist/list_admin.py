"""Administering hotlists with an audit trail: who created, edited, loaded, expired or exported
a list. The console and the CLI both come through here, so each change is recorded alike.

Entries are still added only through `hotlist.lists` (`import_hotlist`, `add_entry`): checks
hooked there run for every path. These functions never commit; the caller owns the
transaction, and the audit event commits with the change or not at all.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hotlist.errors import HotlistError
from hotlist.lists import SOURCES, ImportReport, create_hotlist, get_hotlist, touch
from org.registry import get_agency, get_site
from store.audit import record_audit
from store.audit_lists import (
    HotlistCreateDetail,
    HotlistEntryAddDetail,
    HotlistEntryRemoveDetail,
    HotlistExpireDetail,
    HotlistExportDetail,
    HotlistImportDetail,
    HotlistUpdateDetail,
)
from store.base import utcnow
from store.errors import NotFoundError
from store.tables import Hotlist, HotlistEntry

Via = Literal["session", "token", "cli"]


class HotlistFieldError(HotlistError):
    """A list field that cannot take the value given; `field` names it (as the API does)."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ListActor:
    """Who changes a list: a console user (by session or API token) or a CLI user."""

    name: str
    via: Via
    token_id: int | None = None

    @classmethod
    def cli(cls) -> ListActor:
        return cls(f"cli:{getpass.getuser()}", "cli")


@dataclass(frozen=True)
class HotlistChanges:
    """An edit of a list's own fields; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    source: str | None = None
    priority: int | None = None


@dataclass(frozen=True)
class ListCounts:
    entries: int
    expired: int


def _audit(
    session: Session,
    actor: ListActor,
    hotlist: Hotlist,
    detail_type: type[
        HotlistExpireDetail | HotlistExportDetail | HotlistEntryAddDetail | HotlistEntryRemoveDetail
    ],
    entries: int,
) -> None:
    detail = detail_type(
        list_name=hotlist.name, via=actor.via, token_id=actor.token_id, entries=entries
    )
    record_audit(session, actor=actor.name, subject=f"hotlist:{hotlist.id}", detail=detail)


def create_list(
    session: Session,
    actor: ListActor,
    name: str,
    *,
    source: str = "custom",
    priority: int = 1,
    description: str = "",
    owner_agency: str | int | None = None,
    owner_site: str | int | None = None,
) -> Hotlist:
    """A new, empty list, audited; HotlistFieldError names the field that is wrong."""
    _check_new(session, name, owner_agency, owner_site)
    hotlist = create_hotlist(
        session,
        name,
        source=source,
        priority=priority,
        description=description.strip(),
        owner_agency=owner_agency,
        owner_site=owner_site,
    )
    detail = HotlistCreateDetail(
        list_name=hotlist.name,
        via=actor.via,
        token_id=actor.token_id,
        source=hotlist.source,
        priority=hotlist.priority,
        owner_agency_id=hotlist.owner_agency_id,
        owner_site_id=hotlist.owner_site_id,
    )
    record_audit(session, actor=actor.name, subject=f"hotlist:{hotlist.id}", detail=detail)
    return hotlist


def _check_new(
    session: Session, name: str, owner_agency: str | int | None, owner_site: str | int | None
) -> None:
    if not name.strip():
        raise HotlistFieldError(field="name", message="a hotlist name must not be empty")
    _check_name_free(session, name.strip(), None)
    try:
        if owner_agency:
            get_agency(session, owner_agency)
    except NotFoundError as exc:
        raise HotlistFieldError(field="owner_agency_id", message=str(exc)) from exc
    try:
        if owner_site:
            get_site(session, owner_site)
    except NotFoundError as exc:
        raise HotlistFieldError(field="owner_site_id", message=str(exc)) from exc


def _check_name_free(session: Session, name: str, hotlist_id: int | None) -> None:
    taken = select(Hotlist.id).where(Hotlist.name == name)
    if hotlist_id is not None:
        taken = taken.where(Hotlist.id != hotlist_id)
    if session.scalar(taken) is not None:
        msg = f"hotlist {name!r} already exists; choose another name"
        raise HotlistFieldError(field="name", message=msg)


def _checked(session: Session, hotlist: Hotlist, changes: HotlistChanges) -> dict[str, object]:
    """The fields that really change, each checked as `create_hotlist` checks it."""
    values: dict[str, object] = {}
    if changes.name is not None and changes.name.strip() != hotlist.name:
        name = changes.name.strip()
        if not name:
            raise HotlistFieldError(field="name", message="a hotlist name must not be empty")
        _check_name_free(session, name, hotlist.id)
        values["name"] = name
    if changes.source is not None and changes.source != hotlist.source:
        if changes.source not in SOURCES:
            msg = f"source {changes.source!r} is not one of {', '.join(SOURCES)}"
            raise HotlistFieldError(field="source", message=msg)
        values["source"] = changes.source
    if changes.priority is not None and changes.priority != hotlist.priority:
        if not 1 <= changes.priority <= 9:
            msg = f"priority {changes.priority} is outside 1 (highest) to 9"
            raise HotlistFieldError(field="priority", message=msg)
        values["priority"] = changes.priority
    if changes.description is not None and changes.description.strip() != hotlist.description:
        values["description"] = changes.description.strip()
    return values


def update_list(
    session: Session, actor: ListActor, list_ref: str | int, changes: HotlistChanges
) -> Hotlist:
    """Edit a list's name, description, source or priority; audited when anything changed."""
    hotlist = get_hotlist(session, list_ref)
    values = _checked(session, hotlist, changes)
    if not values:
        return hotlist
    for field, value in values.items():
        setattr(hotlist, field, value)
    if set(values) - {"description"}:
        # Name, source and priority are in the matchers' index: the version makes them rebuild.
        touch(hotlist)
    session.flush()
    session.refresh(hotlist)
    detail = HotlistUpdateDetail(
        list_name=hotlist.name,
        via=actor.via,
        token_id=actor.token_id,
        changed=tuple(sorted(values)),
    )
    record_audit(session, actor=actor.name, subject=f"hotlist:{hotlist.id}", detail=detail)
    return hotlist


def expire_list(
    session: Session, actor: ListActor, list_ref: str | int, *, now: datetime | None = None
) -> int:
    """End every entry of the list now (a retired list alerts no more, but stays listed with
    its entries, so a refresh brings it back); returns how many entries were still live."""
    now = now or utcnow()
    hotlist = get_hotlist(session, list_ref)
    live = or_(HotlistEntry.expires_at.is_(None), HotlistEntry.expires_at > now)
    result = session.execute(
        update(HotlistEntry)
        .where(HotlistEntry.hotlist_id == hotlist.id, live)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    ended = int(getattr(result, "rowcount", 0) or 0)
    if ended:
        touch(hotlist)
    session.flush()
    session.refresh(hotlist)
    _audit(session, actor, hotlist, HotlistExpireDetail, ended)
    return ended


def audit_import(
    session: Session,
    actor: ListActor,
    report: ImportReport,
    list_ref: str | int,
    *,
    replace: bool,
) -> None:
    hotlist = get_hotlist(session, list_ref)
    detail = HotlistImportDetail(
        list_name=hotlist.name,
        via=actor.via,
        token_id=actor.token_id,
        replace=replace,
        rows=report.rows,
        imported=report.imported,
        skipped_invalid=report.skipped_invalid,
        unchanged=report.unchanged,
        removed=report.removed,
    )
    record_audit(session, actor=actor.name, subject=f"hotlist:{hotlist.id}", detail=detail)


def audit_export(session: Session, actor: ListActor, list_ref: str | int, entries: int) -> None:
    _audit(session, actor, get_hotlist(session, list_ref), HotlistExportDetail, entries)


def audit_entry_add(session: Session, actor: ListActor, list_ref: str | int) -> None:
    _audit(session, actor, get_hotlist(session, list_ref), HotlistEntryAddDetail, 1)


def audit_entry_remove(
    session: Session, actor: ListActor, list_ref: str | int, entries: int
) -> None:
    _audit(session, actor, get_hotlist(session, list_ref), HotlistEntryRemoveDetail, entries)


def list_counts(
    session: Session, hotlist_id: int | None = None, *, now: datetime | None = None
) -> dict[int, ListCounts]:
    """Per list (or the one list): its entries, and how many of them have expired."""
    now = now or utcnow()
    query = select(
        HotlistEntry.hotlist_id,
        func.count(),
        func.count(HotlistEntry.expires_at).filter(HotlistEntry.expires_at <= now),
    ).group_by(HotlistEntry.hotlist_id)
    if hotlist_id is not None:
        query = query.where(HotlistEntry.hotlist_id == hotlist_id)
    return {int(i): ListCounts(int(n), int(e)) for i, n, e in session.execute(query)}
