"""Audit details of hotlist administration (console and CLI alike).

Each names how the actor came in (`via`: session, token or cli) and the API token used, if
any, so a change made by a script is told apart from one made at the console. No plate is
written: the subject is the list (`hotlist:<id>`), and counts say how much changed.
"""

from __future__ import annotations

from store.audit_base import AuditDetail, Names


class _HotlistChange(AuditDetail):
    list_name: str
    via: str
    token_id: int | None


class HotlistCreateDetail(_HotlistChange):
    action = "hotlist.create"
    source: str
    priority: int
    owner_agency_id: int | None
    owner_site_id: int | None


class HotlistUpdateDetail(_HotlistChange):
    action = "hotlist.update"
    changed: Names


class HotlistImportDetail(_HotlistChange):
    action = "hotlist.import"
    replace: bool
    rows: int
    imported: int
    skipped_invalid: int
    unchanged: int
    removed: int


class HotlistExpireDetail(_HotlistChange):
    action = "hotlist.expire"
    entries: int


class HotlistExportDetail(_HotlistChange):
    action = "hotlist.export"
    entries: int


class HotlistEntryAddDetail(_HotlistChange):
    action = "hotlist.entry_add"
    entries: int


class HotlistEntryRemoveDetail(_HotlistChange):
    action = "hotlist.entry_remove"
    entries: int


HotlistAuditDetail = (
    HotlistCreateDetail
    | HotlistUpdateDetail
    | HotlistImportDetail
    | HotlistExpireDetail
    | HotlistExportDetail
    | HotlistEntryAddDetail
    | HotlistEntryRemoveDetail
)
