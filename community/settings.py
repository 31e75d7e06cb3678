"""Settings of community cameras: the mailer, how long requests stay open, upload limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="send email; off: messages are only logged")
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    from_addr: str = "platewatch@localhost"
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None


class CommunitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mail: MailSettings = Field(default_factory=MailSettings)
    request_days: int = Field(
        default=7, ge=1, le=90, description="days an approved footage request stays open"
    )
    request_max_hours: int = Field(
        default=12, ge=1, le=72, description="longest time range one footage request may ask for"
    )
    request_max_radius_m: int = Field(
        default=1000, ge=50, le=5000, description="largest radius of a request's or alert's area"
    )
    share_max_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="largest file a resident may share"
    )
    share_max_files: int = Field(default=10, ge=1, le=100, description="files one share may hold")
