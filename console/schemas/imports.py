"""Import jobs as their owners see them: status, progress and the bad rows of a rejected file."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

JobStatus = Literal["queued", "running", "done", "failed"]


class RowErrorPublic(BaseModel):
    line: int
    field: str | None
    reason: str


class ImportJobPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    filename: str
    site_id: int | None
    status: JobStatus
    rows_total: int
    rows_done: int
    rows_rejected: int
    percent: int
    message: str
    counts: dict[str, int]
    errors: list[RowErrorPublic]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
