"""Settings of camera health: when a camera counts as offline, silent or failing, and who
hears about it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HealthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    offline_after_s: float = Field(
        default=60.0,
        gt=0,
        description="no heartbeat for this long: the camera is offline (a few edge.heartbeat_s)",
    )
    silent_after_s: float = Field(
        default=1800.0,
        gt=0,
        description="heartbeats, but no read for this long: the camera is silent (a blocked "
        "or misaimed lens); set it to the quietest hour the road has",
    )
    failing_window_s: float = Field(
        default=120.0,
        gt=0,
        description="a source error (stream unreachable, dropped, unreadable) this recent: the "
        "camera is failing",
    )
    check_s: float = Field(
        default=5.0, gt=0, le=300, description="how often the console checks every camera"
    )
    alert_emails: tuple[str, ...] = Field(
        default=(),
        description="addresses that get an email when a camera alert is raised or cleared "
        "(the operations or admin mailbox; needs mail.enabled)",
    )
