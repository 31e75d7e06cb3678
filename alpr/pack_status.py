"""What the model caches hold, file by file, and what is wrong with it (`platewatch models`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alpr.packs import (
    FIX_CCT,
    FIX_HUB,
    FIX_OFFLINE,
    PACK_CONTENTS,
    PackFiles,
    cct_dir,
    hub_paths,
    offline_dir,
)
from alpr.pins import CCT_FILES, HUB_DETECTOR_PIN, OFFLINE_FILES, WheelFile
from alpr.weights import Pin, examine, mismatch_text


@dataclass(frozen=True)
class FileStatus:
    """One known model file. `problem` says what is wrong and what to do; None when nothing is
    (a pack that was never fetched is not a problem)."""

    pack: str
    path: Path
    role: str
    state: str
    problem: str | None = None


def describe(files: PackFiles) -> str:
    """'fused pack (platedet detector + PP-OCRv4 and CCT recognizers) from <where>'."""
    return f"{files.kind} pack ({PACK_CONTENTS[files.kind]}) from {files.origin}"


def pack_status(cache_dir: Path, *, verify: bool) -> list[FileStatus]:
    """One row per known model file: present, missing, or (with verify) checked against its pin."""
    rows = [_offline_row(offline_dir(cache_dir), item, verify) for item in OFFLINE_FILES]
    rows += _group("fused", [cct_dir(cache_dir) / p.filename for p in CCT_FILES], CCT_FILES, verify)
    hub_pins = (HUB_DETECTOR_PIN, *CCT_FILES)
    rows += _group("hub", list(hub_paths()), hub_pins, verify)
    return rows


def _offline_row(directory: Path, item: WheelFile, verify: bool) -> FileStatus:
    row = _row("offline", directory / item.pin.filename, item.pin, verify, FIX_OFFLINE)
    if row.state == "missing" and not item.required:
        return FileStatus(row.pack, row.path, row.role, "missing (optional)")
    return row


def _group(pack: str, paths: list[Path], pins: tuple[Pin, ...], verify: bool) -> list[FileStatus]:
    """Rows of a pack fetched as a whole: absent is fine, a partial copy is a problem."""
    fix = FIX_CCT if pack == "fused" else FIX_HUB
    if not any(p.is_file() for p in paths):
        absent = "not fetched" if pack == "fused" else "not cached"
        return [FileStatus(pack, p, pin.role, absent) for p, pin in zip(paths, pins, strict=True)]
    return [_row(pack, p, pin, verify, fix) for p, pin in zip(paths, pins, strict=True)]


def _row(pack: str, path: Path, pin: Pin, verify: bool, fix: str) -> FileStatus:
    if not path.is_file():
        return FileStatus(pack, path, pin.role, "missing", f"{path}: missing ({pin.role}); {fix}")
    if not verify:
        return FileStatus(pack, path, pin.role, "present")
    found = examine(path)
    if found.matches(pin):
        return FileStatus(pack, path, pin.role, "ok (sha256)")
    problem = f"{mismatch_text(path, pin, found)}; delete it and {fix}"
    return FileStatus(pack, path, pin.role, "SIZE/SHA-256 MISMATCH", problem)
