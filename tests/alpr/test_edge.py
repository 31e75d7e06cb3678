from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.edge import EdgeReader, read_passes
from alpr.images import read_id_from_image
from alpr.recognize import PlateReader
from alpr.sources import Frame, SourceError, open_source
from platewatch.settings import Settings

from .conftest import CAR_PLATE, CLIP_PLATE


def test_real_clip_gives_one_read_with_its_images(settings: Settings, samples: Path) -> None:
    reads = list(
        read_passes(settings, source=str(samples / "license_plate.mp4"), camera_id="cam-7")
    )
    assert [r.plate for r in reads] == [CLIP_PLATE]
    (read,) = reads
    assert read.camera_id == "cam-7" and read.frame_count > 5
    assert read.captured_at.utcoffset() == timedelta(0)
    assert read.confidence >= settings.edge.min_read_confidence
    assert len(read.char_confidences) == len(read.char_choices) == len(CLIP_PLATE)
    root = settings.edge.image_root
    day = read.captured_at.astimezone(UTC)
    folder = f"cam-7/{day:%Y}/{day:%m}/{day:%d}"
    assert read.crop_path == f"{folder}/{read.read_id}_crop.jpg"
    assert read.frame_path == f"{folder}/{read.read_id}_frame.jpg"
    assert read_id_from_image(read.crop_path) == read.read_id
    frame = cv2.imread(str(root / read.frame_path))
    assert frame is not None and frame.shape == (720, 1280, 3)
    assert cv2.imread(str(root / read.crop_path)) is not None


def test_work_is_skipped_once_the_plate_is_read(
    settings: Settings, reader: PlateReader, samples: Path
) -> None:
    edge = EdgeReader(reader, settings.edge, stream_input=512, photo_input=640)
    frames = list(open_source(str(samples / "license_plate.mp4"), max_fps=15))
    passes = [p for f in frames for p in edge.process(f)] + edge.flush()
    assert [p.vote.text for p in passes if p.vote.confidence > 0.3] == [CLIP_PLATE]
    stats = edge.stats
    assert stats.frames == len(frames) == 70
    assert stats.recognized_plates < 15  # OCR stops once the plate is settled...
    assert stats.detected < stats.frames  # ...and detection only keeps the track alive


def test_photos_are_read_one_pass_per_plate(settings: Settings, samples: Path) -> None:
    reads = list(read_passes(settings, source=str(samples / "car.jpg"), camera_id="cam1"))
    assert [r.plate for r in reads] == [CAR_PLATE]
    assert reads[0].frame_count == 1


def test_stop_ends_the_reader(settings: Settings, samples: Path) -> None:
    stop = threading.Event()
    stop.set()
    assert (
        list(
            read_passes(
                settings, source=str(samples / "license_plate.mp4"), camera_id="cam1", stop=stop
            )
        )
        == []
    )


def test_missing_source_is_an_error(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        next(read_passes(settings, source=str(tmp_path / "none.mp4"), camera_id="cam1"))


def test_static_scene_is_not_looked_at(settings: Settings, reader: PlateReader) -> None:
    # A still frame repeated: after the first, motion gating skips every detection.
    edge = EdgeReader(reader, settings.edge, stream_input=512, photo_input=640)
    image = np.full((360, 640, 3), 120, np.uint8)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(20):
        edge.process(Frame(image, start, i / 15, i, "synthetic"))
    assert edge.stats.detected == 1
    assert edge.stats.skipped_still == 19


def test_video_ignores_boxes_below_the_tracking_floor(
    settings: Settings, reader: PlateReader, samples: Path
) -> None:
    frames = list(open_source(str(samples / "license_plate.mp4"), max_fps=15))[:12]
    floors = {}
    for floor in (0.3, 0.99):
        edge = EdgeReader(
            reader,
            settings.edge.model_copy(update={"min_detector_confidence": floor}),
            stream_input=512,
            photo_input=640,
        )
        passes = [p for f in frames for p in edge.process(f)] + edge.flush()
        floors[floor] = [p.vote.text for p in passes]
    assert floors[0.3] == [CLIP_PLATE]
    assert floors[0.99] == []
