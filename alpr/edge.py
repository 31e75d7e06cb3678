"""The edge reader: frames in, one `PlateRead` per vehicle pass out.

Per frame it decides how much work the frame deserves: none when nothing moved and no plate is
in view (motion gate); a detection every few frames when no plate found by the last detection
still wants reading (all read with confidence, or only missed ones left: keep-alive, no OCR);
otherwise detection, then OCR of the not-yet-settled plates in one batch. Photos (a folder, an
image) are read whole, each detection its own pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from alpr.images import save_read_images
from alpr.read import Alternative, CharChoice, PlateRead, mask_plate, new_read_id
from alpr.recognize import PlateReader
from alpr.settings import EdgeSettings
from alpr.sources import Frame, SourceError, is_stream, open_source
from alpr.stats import EdgeStats
from alpr.tracker import FinishedPass, PassTracker

if TYPE_CHECKING:
    from alpr.settings import AlprSections

logger = logging.getLogger(__name__)

MOTION_SIZE = (160, 90)
MOTION_DELTA = 18


class EdgeReader:
    """Turns a frame sequence into finished passes; `process` per frame, `flush` at the end."""

    def __init__(
        self, reader: PlateReader, edge: EdgeSettings, *, stream_input: int, photo_input: int
    ) -> None:
        self.reader = reader
        self.edge = edge
        self.stream_input = stream_input
        self.photo_input = photo_input
        self.tracker = PassTracker(
            timeout_s=edge.track_timeout_s,
            max_pass_s=edge.max_pass_s,
            settled_confidence=edge.settled_confidence,
            settled_frames=edge.settled_frames,
        )
        self.stats = EdgeStats()
        self._reference: np.ndarray | None = None
        self._last_detect = -1e9

    def process(self, frame: Frame) -> list[FinishedPass]:
        self.stats.frames += 1
        if frame.still:
            return self._still(frame)
        at = frame.stream_time
        if self._should_detect(frame):
            self._detect_and_read(frame)
        return self.tracker.expire(at)

    def flush(self) -> list[FinishedPass]:
        return self.tracker.flush()

    def _should_detect(self, frame: Frame) -> bool:
        small = cv2.cvtColor(cv2.resize(frame.image, MOTION_SIZE), cv2.COLOR_BGR2GRAY)
        moved = 1.0
        if self._reference is not None:
            moved = float(np.mean(cv2.absdiff(small, self._reference) > MOTION_DELTA))
        still = moved < self.edge.motion_threshold
        due = self.tracker.reading_due(self._last_detect)
        if still and not due:
            # Nothing changed since the last detection: no new plate, and plates in view
            # (parked, or waiting at a light) are still where they were.
            for track in self.tracker.tracks:
                # A track the last detection missed is not in view either: it may time out.
                if track.last_seen >= self._last_detect:
                    track.last_seen = frame.stream_time
            self.stats.skipped_still += 1
            return False
        since = frame.stream_time - self._last_detect
        if self.tracker.tracks and not due and since < self.edge.keepalive_s:
            self.stats.skipped_settled += 1
            return False
        self._reference = small
        self._last_detect = frame.stream_time
        return True

    def _detect_and_read(self, frame: Frame) -> None:
        at = frame.stream_time
        started = time.perf_counter()
        floor = self.edge.min_detector_confidence
        detections = [
            d for d in self.reader.detect(frame.image, self.stream_input) if d[1] >= floor
        ]
        self.stats.detect_seconds += time.perf_counter() - started
        self.stats.detected += 1
        tracks = self.tracker.assign([box for box, _ in detections], at)
        to_read = []
        for (box, score), known in zip(detections, tracks, strict=True):
            track = self.tracker.see(
                known, box, at, frame.captured_at, frame=frame.image, confidence=score
            )
            if not (track.settled or track.reported):
                to_read.append((box, score, track))
        if not to_read:
            return
        started = time.perf_counter()
        observations = self.reader.read_boxes(frame.image, [(b, s) for b, s, _ in to_read])
        self.stats.recognize_seconds += time.perf_counter() - started
        self.stats.recognize_calls += 1
        self.stats.recognized_plates += len(to_read)
        for (_, _, track), observation in zip(to_read, observations, strict=True):
            if observation is not None:
                self.tracker.add_reading(track, observation)

    def _still(self, frame: Frame) -> list[FinishedPass]:
        """A photo: every legible plate is a pass of its own."""
        tracker = PassTracker(timeout_s=0.0 + 1e-9, max_pass_s=float("inf"))
        for observation in self.reader.read_frame(frame.image, self.photo_input):
            track = tracker.see(
                None,
                observation.box,
                0.0,
                frame.captured_at,
                frame=frame.image,
                confidence=observation.detector_confidence,
            )
            tracker.add_reading(track, observation)
        self.stats.detected += 1
        return tracker.flush()


def to_plate_read(
    finished: FinishedPass,
    *,
    camera_id: str,
    source: str | None,
    image_root: Path | None,
    jpeg_quality: int = 90,
) -> PlateRead:
    """Build the pass's `PlateRead`, saving its crop and context frame when `image_root` is set."""
    track, result = finished.track, finished.vote
    best, view = track.best, track.view
    assert best is not None and view is not None
    read_id = new_read_id()
    crop_path = frame_path = None
    if image_root is not None:
        crop_path, frame_path = save_read_images(
            image_root,
            camera_id,
            view.captured_at,
            read_id,
            crop=view.crop(),
            frame=view.frame,
            quality=jpeg_quality,
        )
    return PlateRead(
        read_id=read_id,
        camera_id=camera_id,
        captured_at=view.captured_at,
        plate=result.text,
        confidence=result.confidence,
        char_confidences=result.char_confidences,
        char_choices=tuple(
            tuple(CharChoice(char=c, p=p) for c, p in position) for position in result.char_choices
        ),
        alternatives=tuple(Alternative(plate=t, confidence=c) for t, c in result.alternatives),
        region=best.region,
        box=view.box,
        crop_path=crop_path,
        frame_path=frame_path,
        frame_count=max(1, track.frames),
        source=source,
    )


def read_passes(
    settings: AlprSections,
    *,
    source: str,
    camera_id: str,
    models: str | None = None,
    stop: threading.Event | None = None,
    stats: EdgeStats | None = None,
) -> Iterator[PlateRead]:
    """Read `source` and yield one `PlateRead` per vehicle pass, images saved under the root.

    `stats`, when given, receives the running totals (for a metrics exporter).

    Returns when the source ends (open passes are flushed) or `stop` is set. Raises
    `ModelsUnavailableError` when no model pack can be loaded and `SourceError` for a missing path.
    """
    from alpr.models import load_models

    if not is_stream(source) and not Path(source).exists():
        raise SourceError(source, "no such file or folder")
    edge = settings.edge
    loaded = load_models(settings.models, models)
    reader = PlateReader(loaded, edge.region)
    engine = EdgeReader(
        reader,
        edge,
        stream_input=settings.models.stream_detector_input,
        photo_input=settings.models.detector_input,
    )
    if stats is not None:
        engine.stats = stats
    engine.stats.model_pack = loaded.pack.kind

    def on_error(error: SourceError) -> None:
        logger.warning("%s", error)
        engine.stats.source_failed(str(error))

    frames = open_source(
        source,
        max_fps=edge.max_fps,
        stop=stop,
        on_error=on_error,
        reconnect_max_s=edge.reconnect_max_s,
    )
    for frame in frames:
        for finished in engine.process(frame):
            if finished.vote.confidence >= edge.min_read_confidence:
                engine.stats.read_emitted()
                yield _emit(finished, edge, camera_id, source)
    for finished in engine.flush():
        if finished.vote.confidence >= edge.min_read_confidence:
            engine.stats.read_emitted()
            yield _emit(finished, edge, camera_id, source)
    logger.info(
        "source %s done: %d frames, %d detected, %d plates recognized",
        source,
        engine.stats.frames,
        engine.stats.detected,
        engine.stats.recognized_plates,
    )


def _emit(finished: FinishedPass, edge: EdgeSettings, camera_id: str, source: str) -> PlateRead:
    read = to_plate_read(
        finished,
        camera_id=camera_id,
        source=source,
        image_root=edge.image_root,
        jpeg_quality=edge.jpeg_quality,
    )
    logger.info(
        "pass on %s: %s (%.2f, %d frames)",
        camera_id,
        mask_plate(read.plate),
        read.confidence,
        read.frame_count,
    )
    return read
