"""Settings of the web console."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_hours: float = Field(default=12.0, gt=0)
    login_attempts_per_minute: int = Field(default=5, ge=1)
    secure_cookies: bool = False
