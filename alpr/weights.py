"""Pinned weight files: each known by its size and SHA-256, checked before use and on every copy.

The upstream packages (fast-plate-ocr, open-image-models) pin no digest, so the pins live here
and a file is only used, or written into the cache, when both its size and its digest match.
Hashing the fused pack's five files (39.6 MB) took 0.07-0.22 s on a shared 2-core machine,
against 1.6 s for loading the pack, so each start hashes again: a stamp keyed on size and mtime
would save little and would trust a file that was swapped with its mtime kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

BLOCK = 1 << 20


class Readable(Protocol):
    """A binary stream: a file, a wheel member, an HTTP response."""

    def read(self, size: int = -1, /) -> bytes: ...


class ModelsUnavailableError(RuntimeError):
    """No usable model files; the message says which were looked for and how to get them."""


@dataclass(frozen=True)
class Pin:
    """One weight file as the project expects it, byte for byte."""

    filename: str
    size: int
    sha256: str
    role: str
    license: str


@dataclass(frozen=True)
class Found:
    """What a file on disk actually is."""

    size: int
    sha256: str

    def matches(self, pin: Pin) -> bool:
        return self.size == pin.size and self.sha256 == pin.sha256


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def examine(path: Path) -> Found:
    return Found(path.stat().st_size, sha256_of(path))


def mismatch_text(path: Path, pin: Pin, found: Found) -> str:
    """'<path>: <role> is N bytes with SHA-256 x, expected M bytes with SHA-256 y (why)'."""
    why = "truncated" if found.size < pin.size else "a different file"
    return (
        f"{path}: {pin.role} is {found.size:,} bytes with SHA-256 {found.sha256}, expected "
        f"{pin.size:,} bytes with SHA-256 {pin.sha256} ({why})"
    )


def require(path: Path, pin: Pin, fix: str) -> Path:
    """`path` if it is exactly the pinned file, else an error saying how it differs and `fix`."""
    found = examine(path)
    if not found.matches(pin):
        msg = f"{mismatch_text(path, pin, found)}; delete it and {fix}"
        raise ModelsUnavailableError(msg)
    return path


def is_pinned(path: Path, pin: Pin) -> bool:
    return path.is_file() and examine(path).matches(pin)


def locate(directory: Path, subdirs: Iterable[str], filename: str) -> Path | None:
    """`filename` in `directory` itself or in one of its `subdirs` (other tools' cache layouts)."""
    for sub in ("", *subdirs):
        path = directory / sub / filename
        if path.is_file():
            return path
    return None


def install(source: Readable, target: Path, pin: Pin, origin: str) -> Path:
    """Write `source` to `target` only if it is the pinned file: temporary file, check, rename.

    At most one byte more than the pinned size is read, so a wrong source cannot fill the disk,
    and a failed copy leaves neither a partial file nor a temporary one behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{pin.filename}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while size <= pin.size and (block := source.read(min(BLOCK, pin.size + 1 - size))):
                digest.update(block)
                out.write(block)
                size += len(block)
        found = Found(size, digest.hexdigest())
        if not found.matches(pin):
            what = (
                f"more than {pin.size:,} bytes"
                if size > pin.size
                else f"{size:,} bytes with SHA-256 {found.sha256}"
            )
            msg = (
                f"{origin}: {pin.role} there is {what}, expected {pin.size:,} bytes with "
                f"SHA-256 {pin.sha256}; refusing to use it"
            )
            raise ModelsUnavailableError(msg)
        tmp.chmod(0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def install_copy(source: Path, target: Path, pin: Pin) -> Path:
    with source.open("rb") as fh:
        return install(fh, target, pin, str(source))
