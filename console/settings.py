"""Settings of the web console."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, field_validator


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_hours: float = Field(default=12.0, gt=0)
    login_attempts_per_minute: int = Field(
        default=5,
        ge=1,
        description="failed sign-ins in a row one client may make against one account before "
        "it waits 1 min, doubling per further failure up to 15 min (console.accounts.throttle)",
    )
    secure_cookies: bool = False
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description=(
            "addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed; empty "
            "(the default) means the connecting address is the client, whatever headers say"
        ),
    )
    feed_poll_ms: int = Field(
        default=250, ge=20, le=5000, description="how often the feed looks for new alerts"
    )
    feed_heartbeat_s: float = Field(default=15.0, gt=0)
    feed_recheck_s: float = Field(
        default=1.5,
        gt=0,
        le=4,
        description="how often an open event stream re-checks its session or token (a revoked "
        "credential's stream ends within this plus one database round trip)",
    )
    search_max_days: int = Field(default=31, ge=1, description="longest time range one search")
    search_max_results: int = Field(default=500, ge=1)
    search_min_plate_chars: int = Field(
        default=3, ge=1, description="letters or digits a plate pattern must fix besides wildcards"
    )
    recent_reads_hours: int = Field(default=24, ge=1)
    api_token_days: int = Field(default=365, ge=1)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(default=2.0, gt=0, description="first retry delay; doubles")
    webhook_backoff_max_s: float = Field(default=900.0, gt=0)
    webhook_poll_s: float = Field(default=0.5, gt=0)
    public_transparency: bool = Field(
        default=False, description="publish the per-agency monthly summary without signing in"
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        for entry in value:
            try:
                ipaddress.ip_network(str(entry).strip())
            except ValueError:
                msg = (
                    f"{entry!r} is not an IP address or network; list the reverse proxies' "
                    "addresses, e.g. 10.0.0.5 or 10.0.0.0/24"
                )
                raise ValueError(msg) from None
        return [str(entry).strip() for entry in value]
