"""Settings of the web console."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator

from community.request_settings import RequestSettings
from community.settings import MailSettings
from console.health_settings import HealthSettings
from hotlist.settings import MatchSettings
from retention.settings import RetentionSettings
from store.settings import AuditSettings, CheckpointPaths

# Letters, digits and `-` `/` `.`, 4-32 long, starting with a letter or digit (2024-001234,
# CR24/5567, 24-HOM-0012); matched case-insensitively, and a digit is required besides.
DEFAULT_CASE_NUMBER_PATTERN = r"^[A-Z0-9][A-Z0-9/.-]{3,31}$"
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class AuditFlagSettings(BaseModel):
    """When the auditor's anomaly flags fire (console/audit_flags.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: int = Field(default=7, ge=1, le=366, description="days of the log flagged")
    history_days: int = Field(
        default=60, ge=1, description="days before the window that a user's usual hours come from"
    )
    plate_searches: int = Field(
        default=5, ge=2, description="searches of one exact plate in the window that flag it"
    )
    wildcard_results: int = Field(
        default=200, ge=1, description="reads a wildcard search must return to be flagged"
    )
    min_history: int = Field(
        default=20, ge=1, description="earlier searches needed before a user's hours are judged"
    )
    repeated_reason: int = Field(
        default=10, ge=2, description="times one user may give the same search reason unflagged"
    )
    export_rows: int = Field(default=1000, ge=1, description="rows that make one export flagged")
    exports_per_user: int = Field(
        default=3, ge=1, description="exports by one user in the window that flag them"
    )
    timezone: str = Field(default="UTC", description="the zone a user's working hours are in")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {value!r}; use an IANA name such as America/Chicago"
            raise ValueError(msg) from exc
        return value


class MapSettings(BaseModel):
    """The officers' map (console/map.py): its background tiles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tile_url: str = Field(
        default="",
        description="tile server template, e.g. https://tiles.example.gov/{z}/{x}/{y}.png; "
        "empty (the default): a plain latitude/longitude grid, so the map works offline",
    )
    tile_attribution: str = Field(
        default="", max_length=300, description="credit the tile server asks to be shown"
    )

    @field_validator("tile_url")
    @classmethod
    def _tile_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            msg = f"map.tile_url: {value!r} is not an absolute http(s) URL"
            raise ValueError(msg)
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in value]
        if missing:
            msg = f"map.tile_url: {value!r} lacks {', '.join(missing)}; tiles are addressed by them"
            raise ValueError(msg)
        return value

    def tile_origin(self) -> str | None:
        """Where tiles come from, for the map page's Content-Security-Policy."""
        if not self.tile_url:
            return None
        parsed = urlsplit(self.tile_url)
        # Subdomain templates ({s}.tile.example.org) become a wildcard host.
        host = parsed.netloc.replace("{s}", "*")
        return f"{parsed.scheme}://{host}"


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
    feed_wake_check_ms: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="SQLite: how often the feed asks whether anything committed (PRAGMA "
        "data_version, a shared-memory read), to look at once instead of at its next poll",
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
    case_number_pattern: str = Field(
        default=DEFAULT_CASE_NUMBER_PATTERN,
        description="regular expression a search's case number must match (ignoring case)",
    )
    case_number_patterns: dict[str, str] = Field(
        default_factory=dict,
        description="per agency, by slug (`Metro PD` is metro-pd): its own case-number pattern",
    )
    recent_reads_hours: int = Field(default=24, ge=1)
    api_token_days: int = Field(default=365, ge=1)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(default=2.0, gt=0, description="first retry delay; doubles")
    webhook_backoff_max_s: float = Field(default=900.0, gt=0)
    webhook_poll_s: float = Field(default=0.5, gt=0)
    webhook_allow_hosts: tuple[str, ...] = Field(
        default=(),
        description="hosts webhooks may post to (`*.example.org` for subdomains); empty: any "
        "https host",
    )
    public_url: str | None = Field(
        default=None,
        description="absolute address receivers reach this console at (https://pw.example.gov, "
        "behind its TLS proxy); webhook image links start with it; unset: http://host:port",
    )
    webhook_link_ttl_minutes: int = Field(
        default=60, ge=1, le=7 * 24 * 60, description="how long a webhook's image links work"
    )
    media_link_key_path: Path = Field(
        default=Path("keys/media-links.key"),
        description="HMAC key that signs webhook image links (relative: under data_dir); "
        "created with mode 0600 on first use; every console server must share it",
    )
    push_enabled: bool = Field(
        default=True, description="offer officers Web Push alerts with the console closed"
    )
    push_key_path: Path = Field(
        default=Path("keys/vapid.pem"),
        description="the console's VAPID key (created once; relative: under data_dir). "
        "Replacing it ends every browser's subscription",
    )
    push_contact: str = Field(
        default="mailto:platewatch-admin@localhost",
        pattern=r"^(mailto:|https://)",
        description="who push services contact about this console's pushes (VAPID `sub`)",
    )
    push_allow_hosts: tuple[str, ...] = Field(
        default=(), description="push services browsers may subscribe through; empty: any https"
    )
    push_poll_s: float = Field(default=0.5, gt=0)
    audit_flags: AuditFlagSettings = Field(default_factory=AuditFlagSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    api_docs: Literal["signed_in", "public", "off"] = Field(
        default="signed_in", description="who may read /docs, /redoc and /openapi.json"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token Prometheus sends for /metrics on the console's port; unset: "
        "/metrics there is refused",
    )
    metrics_bind: str | None = Field(
        default=None,
        pattern=r"^[^\s:]+:\d{1,5}$",
        description="host:port of a separate, unauthenticated metrics listener (a scrape "
        "network or loopback), e.g. 127.0.0.1:9108",
    )
    public_transparency: bool = Field(
        default=True,
        description="publish the policy, cameras by site and per-agency monthly counts at "
        "/public/transparency without signing in (no plate is ever shown)",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            msg = f"{value!r} is not an absolute http(s) URL; give e.g. https://pw.example.gov"
            raise ValueError(msg)
        if parsed.query or parsed.fragment:
            msg = f"{value!r} has a query or fragment; give the base address only"
            raise ValueError(msg)
        return value.strip().rstrip("/")

    def public_base_url(self) -> str:
        """Where receivers reach this console: `public_url`, or this server's own address."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @field_validator("case_number_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _compiles("case_number_pattern", value)

    @field_validator("case_number_patterns")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for slug, pattern in value.items():
            if not _SLUG.match(slug):
                msg = (
                    f"case_number_patterns: {slug!r} is not an agency slug; use the agency's "
                    "name in lower case with '-' between words (Metro PD: metro-pd)"
                )
                raise ValueError(msg)
            _compiles(f"case_number_patterns.{slug}", pattern)
        return value

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


def _compiles(where: str, pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        msg = f"{where}: {pattern!r} is not a regular expression ({exc})"
        raise ValueError(msg) from exc
    return pattern


class ImageSection(Protocol):
    @property
    def image_root(self) -> Path: ...


class ConsoleSections(Protocol):
    """What the console reads of the settings tree; the root tree satisfies it, so the console
    never imports the root (only `platewatch` composes the tree and the processes)."""

    @property
    def console(self) -> ConsoleSettings: ...

    @property
    def edge(self) -> ImageSection: ...

    @property
    def effective_database_url(self) -> str: ...

    @property
    def audit(self) -> AuditSettings: ...

    @property
    def retention(self) -> RetentionSettings: ...

    @property
    def matching(self) -> MatchSettings: ...

    @property
    def mail(self) -> MailSettings: ...

    @property
    def community(self) -> RequestSettings: ...

    def checkpoint_paths(self) -> CheckpointPaths: ...

    @property
    def health(self) -> HealthSettings: ...
