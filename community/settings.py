"""Settings of outgoing mail (invites, requests, neighborhood alerts)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="send mail at all; off: nothing is sent")
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    from_addr: str = Field(default="platewatch@localhost", min_length=3, max_length=254)
    starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    username: str | None = Field(default=None, description="SMTP login; unset: no login")
    password: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0)
