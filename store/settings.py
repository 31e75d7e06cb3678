"""Settings of the audit log's signed checkpoints: where the key and the sink live, how often."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# How long a read's images are kept unless settings say otherwise (`retention.image_days`).
# Layers below retention (org, hotlist) take the configured value as an argument; this is the
# default they fall back on, the same as the settings tree's.
DEFAULT_IMAGE_DAYS = 30


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint_key_path: Path = Field(
        default=Path("keys/checkpoint-ed25519.pem"),
        description="Ed25519 private key that signs checkpoints (relative: under data_dir); "
        "keep it off the database host's backups; created with mode 0600 on first use",
    )
    checkpoint_sink_path: Path = Field(
        default=Path("audit-checkpoints.jsonl"),
        description="append-only JSON-lines file of signed checkpoints (relative: under "
        "data_dir); ship it somewhere the database's admins cannot rewrite",
    )
    checkpoint_interval_s: float = Field(
        default=3600.0,
        ge=0,
        description="how often the console signs a checkpoint; 0 leaves it to cron "
        "(`platewatch audit checkpoint`)",
    )


@dataclass(frozen=True)
class CheckpointPaths:
    """Where the signing key and the append-only sink are (already resolved)."""

    key: Path
    sink: Path
