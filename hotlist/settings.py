"""Settings of the matcher: how sure a match must be before an officer sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A hit when the match is more likely right than wrong, with a margin: at 0.55 the shipped
    # reader's exact reads of listed photos whose confidence sits at 0.6-0.75 alert instead of
    # asking to verify (88.3% -> 91.3% of listed dev photos alerting), and the 100,000 synthetic
    # unlisted reads give the same 5 false hits as at 0.75 (bench/alpr_shipped_bench.py).
    hit_threshold: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="score at or above which a match is a hit (`alert`)",
    )
    # The lowest verify threshold at which 100,000 synthetic reads of unlisted plates against
    # the 1M-entry benchmark list raise at most 0.75 false alerts per 1,000 (the goal is 1):
    # see bench/hotlist_recall.py.
    verify_threshold: float = Field(
        default=0.07,
        gt=0,
        le=1,
        description="score at or above which a match asks the officer to verify the read",
    )
    max_substitutions: int = Field(
        default=2, ge=0, le=3, description="characters that may differ from the entry"
    )
    max_edits: int = Field(
        default=1, ge=0, le=1, description="missing or extra characters allowed (0 or 1)"
    )
    min_fuzzy_length: int = Field(
        default=5,
        ge=1,
        le=10,
        description="entries shorter than this match only exactly: short plates collide",
    )
    char_error_floor: float = Field(
        default=0.01,
        gt=0,
        lt=0.5,
        description="the least chance a character is misread, however sure the reader is",
    )
    indel_likelihood: float = Field(
        default=0.02,
        gt=0,
        lt=0.5,
        description="chance the reader dropped or added one character",
    )
    choice_min_p: float = Field(
        default=0.03,
        gt=0,
        lt=1,
        description="candidate characters below this probability are not searched",
    )
    wildcard_decision: Literal["alert", "verify"] = Field(
        default="verify",
        description="a partial-plate entry cannot confirm a vehicle; verify by default",
    )
    cooldown_s: float = Field(default=600.0, ge=0)
    index_dir: Path | None = Field(
        default=None,
        description="where the shared index files go; default: a per-database cache folder",
    )
    index_check_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="how often a running matcher asks the database for list changes",
    )

    @model_validator(mode="after")
    def _ordered(self) -> MatchSettings:
        if self.verify_threshold > self.hit_threshold:
            msg = (
                "matching.verify_threshold must not exceed matching.hit_threshold "
                f"({self.verify_threshold} > {self.hit_threshold}); lower it or raise the "
                "hit threshold"
            )
            raise ValueError(msg)
        return self
