"""Settings of the matcher: how sure a match must be before an officer sees it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hit_threshold: float = Field(default=0.80, gt=0, le=1)
    verify_threshold: float = Field(default=0.50, gt=0, le=1)
    max_substitutions: int = Field(default=2, ge=0, le=3)
    cooldown_s: float = Field(default=600.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> MatchSettings:
        if self.verify_threshold > self.hit_threshold:
            raise ValueError(
                "matching.verify_threshold must not exceed matching.hit_threshold "
                f"({self.verify_threshold} > {self.hit_threshold}); lower it or raise the hit threshold"
            )
        return self
