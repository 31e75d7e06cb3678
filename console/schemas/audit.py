"""What auditors see: audit events, searches, dispositions, monthly transparency figures."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from store.audit_details import AnyAuditDetail

_PROBLEM_DOC = "why the stored detail could not be read; the row is still in the hash chain"


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    case_number: str | None
    purpose: str | None
    detail: AnyAuditDetail | None = Field(
        description="what the action recorded; null if unreadable"
    )
    detail_problem: str | None = Field(default=None, description=_PROBLEM_DOC)
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEventPublic]
    next_before_id: int | None = Field(description="pass as before_id for the next page")
    chain_intact: bool | None = Field(default=None, description="set when verify=true")


class SearchRecordPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    pattern: str
    case_number: str | None
    purpose: str | None
    start: datetime | None
    end: datetime | None
    results: int | None
    detail_problem: str | None = Field(default=None, description=_PROBLEM_DOC)


class DispositionPublic(BaseModel):
    alert_id: int
    status: str
    status_reason: str | None
    status_note: str | None
    status_by: str | None
    case_number: str | None
    decision: str
    match_kind: str
    score: float
    plate_read: str
    entry_plate: str
    list_name: str
    camera_id: str
    created_at: datetime
    updated_at: datetime


class TransparencyRow(BaseModel):
    agency_id: int
    agency: str
    month: str = Field(description="YYYY-MM, UTC")
    cameras: int = Field(description="cameras of sites sharing with the agency at month end")
    reads: int
    hits: int
    confirmed_hits: int
    searches: int
    reads_purged: int


class AuditFlagPublic(BaseModel):
    kind: str = Field(
        description="plate_searches, wide_wildcard, off_hours, repeated_reason or export"
    )
    summary: str
    actors: list[str]
    event_ids: list[int] = Field(description="the audit rows behind the flag")
    first_at: datetime
    last_at: datetime
    audit_url: str = Field(description="the audit log page showing exactly those rows")
