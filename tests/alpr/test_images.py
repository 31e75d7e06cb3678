from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr import images
from alpr.images import (
    ImageStoreError,
    image_paths,
    read_id_from_image,
    save_read_images,
)

READ_ID = "0b0c6a3e-7f1e-4a59-9a55-2a3b1c4d5e6f"
CROP = np.full((40, 120, 3), 200, np.uint8)
FRAME = np.full((360, 640, 3), 90, np.uint8)


def test_layout_is_camera_then_utc_date(tmp_path: Path) -> None:
    # 23:30 at UTC-5 is the next day in UTC: the folder follows UTC.
    local = datetime(2025, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    crop, frame = image_paths(tmp_path, "gate-2", local, READ_ID)
    assert crop == tmp_path / "gate-2" / "2025" / "02" / "01" / f"{READ_ID}_crop.jpg"
    assert frame == tmp_path / "gate-2" / "2025" / "02" / "01" / f"{READ_ID}_frame.jpg"
    assert read_id_from_image(crop) == READ_ID
    assert read_id_from_image(frame.as_posix()) == READ_ID
    assert read_id_from_image("notes.txt") is None
    assert read_id_from_image(f".tmp-{READ_ID}_crop.jpg") is None


def test_save_returns_relative_posix_paths_of_real_jpegs(tmp_path: Path) -> None:
    at = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    crop_rel, frame_rel = save_read_images(tmp_path, "cam1", at, READ_ID, crop=CROP, frame=FRAME)
    assert crop_rel == f"cam1/2025/06/02/{READ_ID}_crop.jpg"
    assert frame_rel == f"cam1/2025/06/02/{READ_ID}_frame.jpg"
    decoded = cv2.imread(str(tmp_path / frame_rel))
    assert decoded is not None and decoded.shape == FRAME.shape
    assert sorted(p.name for p in (tmp_path / "cam1/2025/06/02").iterdir()) == [
        f"{READ_ID}_crop.jpg",
        f"{READ_ID}_frame.jpg",
    ]


def test_a_crash_mid_write_leaves_no_file_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("alpr.images.os.fsync", crash)
    at = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    with pytest.raises(OSError, match="No space left"):
        save_read_images(tmp_path, "cam1", at, READ_ID, crop=CROP, frame=FRAME)
    folder = tmp_path / "cam1" / "2025" / "06" / "02"
    assert list(folder.iterdir()) == []  # neither a final name nor a temp file


def test_an_existing_image_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "x_crop.jpg"
    target.write_bytes(b"old")
    images.write_jpeg(target, CROP)
    assert target.read_bytes()[:2] == b"\xff\xd8"
    assert [p.name for p in tmp_path.iterdir()] == ["x_crop.jpg"]


def test_refuses_naive_times_and_path_like_ids(tmp_path: Path) -> None:
    with pytest.raises(ImageStoreError, match="timezone-aware"):
        image_paths(tmp_path, "cam1", datetime(2025, 1, 1), READ_ID)
    with pytest.raises(ImageStoreError, match=r"camera id '\.\./etc'"):
        image_paths(tmp_path, "../etc", datetime(2025, 1, 1, tzinfo=UTC), READ_ID)
    with pytest.raises(ImageStoreError, match="read id"):
        image_paths(tmp_path, "cam1", datetime(2025, 1, 1, tzinfo=UTC), "a/b")
    assert not any(os.scandir(tmp_path))
