"""Running the real `platewatch retention` command in a subprocess, configured by environment."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

PLATEWATCH = str(Path(sys.executable).with_name("platewatch"))


def cli_env(db_url: str, image_root: Path, **retention: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATEWATCH_")}
    env.update(
        {
            "PLATEWATCH_DATABASE_URL": db_url,
            "PLATEWATCH_DATA_DIR": str(image_root.parent / "var"),
            "PLATEWATCH_EDGE__IMAGE_ROOT": str(image_root),
            "PLATEWATCH_RETENTION__AUDIT_GRACE_MINUTES": "0",
        }
    )
    for key, value in retention.items():
        env[f"PLATEWATCH_RETENTION__{key.upper()}"] = str(value)
    return env


def run(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PLATEWATCH, "retention", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_paused(env: dict[str, str], timeout: float = 30) -> subprocess.Popen[bytes]:
    """Start a purge that stops at its test pause point; return once it says it is there."""
    proc = subprocess.Popen(
        [PLATEWATCH, "retention", "purge"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and b"retention: paused at" not in seen:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    if b"retention: paused at" in seen:
        return proc
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"purge never paused; stderr:\n{(seen + err).decode()}\n{out.decode()}")
