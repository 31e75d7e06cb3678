"""Settings of the retention job: the default policy that sites may shorten or lengthen."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from store.settings import DEFAULT_IMAGE_DAYS

PausePoint = Literal["after_mark", "mid_delete", "after_batch"]


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    image_days: int = Field(
        default=DEFAULT_IMAGE_DAYS,
        ge=1,
        description="days after capture that a read's images are kept",
    )
    resident_hours: int = Field(
        default=24, ge=1, description="hours after capture that a resident-tagged read is kept"
    )
    keep_plate_text_without_hit: bool = Field(
        default=False,
        description="keep the plate text of reads without a hit after their images are purged",
    )
    batch_size: int = Field(default=2000, ge=1, description="reads purged per transaction")
    delete_threads: int = Field(
        default=4, ge=1, le=64, description="threads unlinking files (unlink waits on the disk)"
    )
    audit_grace_minutes: int = Field(
        default=120,
        ge=0,
        description="how long past its policy an image may exist before the audit flags it; "
        "set it above the purge cron interval plus the run time",
    )
    lock_wait_s: float = Field(
        default=0.0, ge=0, description="how long a purge or audit waits for a running purge"
    )
    # For crash tests only: stop at this point of batch `test_pause_batch` and sleep, so a test
    # can SIGKILL the process at a known moment.
    test_pause: PausePoint | None = None
    test_pause_batch: int = Field(default=2, ge=1)
