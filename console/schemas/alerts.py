"""What an officer sees of an alert, and what they send back about it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hotlist.alerts import AlertView

DispositionChoice = Literal[
    "acknowledge", "correct_read", "wrong_state", "incorrect_read", "vehicle_mismatch", "dismiss"
]


class AlertPublic(AlertView):
    """The hotlist stage's officer view, with image links instead of storage paths."""

    crop_url: str | None = Field(description="the plate crop, through the scope-checked route")
    frame_url: str | None = Field(description="the context frame")
    crop_path: str | None = Field(default=None, exclude=True)
    frame_path: str | None = Field(default=None, exclude=True)


class DispositionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: DispositionChoice
    note: str | None = Field(default=None, max_length=2000)
    case_number: str | None = Field(default=None, max_length=64)


class FeedEvent(BaseModel):
    """One message of an officer's live feed (server-sent events; the stream's own alert events
    are stream.events.AlertEvent). `seen_again`: a confirmed alert's car was sighted again."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["alert", "update", "seen_again"]
    alert: AlertPublic
