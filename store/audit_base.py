"""The base of every audit detail model and the field types they share (store/audit_details.py
explains the storage rules: every field written, times as isoformat(), strict reading)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    JsonValue,
    PlainSerializer,
)


def _stored_time(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a writer's datetime; strict validation checks it is aware
    parsed = datetime.fromisoformat(value)
    if parsed.isoformat() != value:
        msg = f"{value!r} is not in the form written (datetime.isoformat())"
        raise ValueError(msg)
    return parsed


def _stored_array(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# Written as isoformat() ("+00:00"), as the writers did before these models; pydantic's own
# JSON form ("Z") would change the stored detail and so the hash of a new row.
IsoTime = Annotated[
    AwareDatetime,
    BeforeValidator(_stored_time),
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
]
# Stored as a JSON array, held as a tuple (strict validation alone takes only a tuple).
Ids = Annotated[tuple[int, ...], BeforeValidator(_stored_array)]
Names = Annotated[tuple[str, ...], BeforeValidator(_stored_array)]


class AuditDetail(BaseModel):
    """The detail of one audit action; each concrete subclass sets `action`."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, validate_by_name=True)
    action: ClassVar[str]

    def as_json(self) -> dict[str, JsonValue]:
        """The dict stored in `audit_events.detail` and hashed into the chain."""
        return self.model_dump(mode="json", by_alias=True)
