"""The image store: each read's plate crop and context frame as JPEG, laid out for retention.

Layout (the retention job depends on it; change both together):

    <image_root>/<camera_id>/<YYYY>/<MM>/<DD>/<read_id>_crop.jpg
    <image_root>/<camera_id>/<YYYY>/<MM>/<DD>/<read_id>_frame.jpg

The date is the UTC date of the capture time. Files are written to a temporary name in the same
folder and renamed into place, so a crash never leaves a half-written JPEG under a final name.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

CROP_SUFFIX = "_crop.jpg"
FRAME_SUFFIX = "_frame.jpg"
TEMP_PREFIX = ".tmp-"
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_READ_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_IMAGE_NAME = re.compile(r"^(?P<read_id>[A-Za-z0-9][A-Za-z0-9-]{0,63})_(crop|frame)\.jpg$")


class ImageStoreError(ValueError):
    """A camera or read id that cannot be a path segment, or an image that cannot be written."""


def _segment(value: str, what: str, pattern: re.Pattern[str] = _SAFE_SEGMENT) -> str:
    if not pattern.match(value):
        msg = (
            f"{what} {value!r} cannot name a file or folder: use letters, digits, '.', '_' or "
            "'-' (at most 64, starting with a letter or digit)"
        )
        raise ImageStoreError(msg)
    return value


def image_dir(root: Path, camera_id: str, captured_at: datetime) -> Path:
    """The folder of one camera's images for the UTC day of `captured_at`."""
    if captured_at.tzinfo is None:
        msg = "captured_at must be timezone-aware (UTC); got a naive datetime"
        raise ImageStoreError(msg)
    day = captured_at.astimezone(UTC)
    return root / _segment(camera_id, "camera id") / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"


def image_paths(
    root: Path, camera_id: str, captured_at: datetime, read_id: str
) -> tuple[Path, Path]:
    """(crop path, frame path) of one read."""
    folder = image_dir(root, camera_id, captured_at)
    rid = _segment(read_id, "read id", _READ_ID)
    return folder / f"{rid}{CROP_SUFFIX}", folder / f"{rid}{FRAME_SUFFIX}"


def read_id_from_image(path: Path | str) -> str | None:
    """The read id an image file belongs to, or None if the name is not one of ours."""
    match = _IMAGE_NAME.match(Path(path).name)
    return match.group("read_id") if match else None


def relative(root: Path, path: Path) -> str:
    """`path` relative to the image root, POSIX separators (what PlateRead stores)."""
    return PurePosixPath(path.relative_to(root).as_posix()).as_posix()


def write_jpeg(path: Path, image: np.ndarray, quality: int = 90) -> None:
    """Encode and write atomically: a temp file in the same folder, fsync, then rename."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        msg = f"{path}: image could not be encoded as JPEG"
        raise ImageStoreError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".jpg", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(encoded.tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def save_read_images(
    root: Path,
    camera_id: str,
    captured_at: datetime,
    read_id: str,
    *,
    crop: np.ndarray,
    frame: np.ndarray,
    quality: int = 90,
) -> tuple[str, str]:
    """Write both images; returns (crop, frame) paths relative to `root` for the PlateRead."""
    crop_path, frame_path = image_paths(root, camera_id, captured_at, read_id)
    write_jpeg(frame_path, frame, quality)
    write_jpeg(crop_path, crop, quality)
    return relative(root, crop_path), relative(root, frame_path)
