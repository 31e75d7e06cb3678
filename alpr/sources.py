"""Frame sources: a video file, an RTSP/HTTP stream, a folder of images, or one image.

Every frame carries a UTC capture time and a stream time in seconds. For a video file the
stream time is the frame's presentation time and the capture time is the opening time plus it,
so the tracker's timeouts do not depend on how fast this machine decodes. A live stream uses the
clock, caps the frame rate by skipping, and reconnects with exponential backoff when it drops.
Problems with one input are reported through `on_error` as a `SourceError` naming the input and
the reason; the other inputs go on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".ts"})
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
FIRST_BACKOFF_S = 1.0
# FFmpeg's own log lines ("moov atom not found") would add noise to the one line per bad input
# we print; OpenCV reads this when it opens a capture.
FFMPEG_QUIET = ("OPENCV_FFMPEG_LOGLEVEL", "-8")


class SourceError(Exception):
    """An input that could not be read (fully); str() is one line: what, where, why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True, eq=False)
class Frame:
    image: np.ndarray = field(repr=False)
    captured_at: datetime
    stream_time: float
    index: int
    source: str
    # Independent photos (a folder, an image) are separate scenes: nothing is tracked across.
    still: bool = False


ErrorSink = Callable[[SourceError], None]


def _log_error(error: SourceError) -> None:
    logger.warning("%s", error)


def is_stream(spec: str) -> bool:
    return spec.lower().startswith(STREAM_SCHEMES)


def load_image(path: Path) -> np.ndarray:
    """Decode one image file or raise `SourceError` saying why it cannot be read."""
    if not path.exists():
        raise SourceError(str(path), "no such file")
    if path.is_dir():
        raise SourceError(str(path), "is a folder, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(str(path), f"cannot read ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise SourceError(str(path), "empty file")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(str(path), "not a decodable image (corrupt or unsupported format)")
    return image


def open_source(
    spec: str,
    *,
    max_fps: float | None = None,
    stop: threading.Event | None = None,
    on_error: ErrorSink = _log_error,
    start_time: datetime | None = None,
    reconnect_max_s: float = 30.0,
) -> Iterator[Frame]:
    """Frames of one input, whatever its kind; problems go to `on_error`."""
    stop = stop or threading.Event()
    if is_stream(spec):
        yield from stream_frames(
            spec, max_fps=max_fps, stop=stop, reconnect_max_s=reconnect_max_s, on_error=on_error
        )
        return
    path = Path(spec)
    if not path.exists():
        on_error(SourceError(spec, "no such file or folder"))
    elif path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        yield from folder_frames(path, stop=stop, on_error=on_error)
    else:
        yield from video_frames(
            path, max_fps=max_fps, stop=stop, on_error=on_error, start_time=start_time
        )


def folder_frames(path: Path, *, stop: threading.Event, on_error: ErrorSink) -> Iterator[Frame]:
    """Images of a folder in name order (or one image); each is its own scene."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            on_error(SourceError(str(path), f"folder has no images ({suffixes})"))
            return
    else:
        files = [path]
    for index, file in enumerate(files):
        if stop.is_set():
            return
        try:
            image = load_image(file)
        except SourceError as exc:
            on_error(exc)
            continue
        yield Frame(image, datetime.now(UTC), float(index), index, str(file), still=True)


def video_frames(
    path: Path,
    *,
    max_fps: float | None,
    stop: threading.Event,
    on_error: ErrorSink,
    start_time: datetime | None = None,
) -> Iterator[Frame]:
    """Frames of a video file at most `max_fps` per second of video time."""
    os.environ.setdefault(*FFMPEG_QUIET)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            on_error(
                SourceError(str(path), "cannot open as video (corrupt, truncated or not a video)")
            )
            return
        expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        # A file was recorded before it is read: it ends now, so no frame is dated in the future
        # (a future capture time would outlive the retention clock and outrank live reads).
        start = start_time or datetime.now(UTC) - timedelta(seconds=expected / fps)
        min_gap = 1.0 / max_fps if max_fps else 0.0
        index, last = 0, -1e9
        while not stop.is_set():
            ok, image = capture.read()
            if not ok or image is None:
                break
            stream_time = index / fps
            if stream_time - last >= min_gap - 1e-6:
                last = stream_time
                captured = min(start + timedelta(seconds=stream_time), datetime.now(UTC))
                yield Frame(image, captured, stream_time, index, str(path))
            index += 1
        if stop.is_set():
            return
        if index == 0:
            on_error(SourceError(str(path), "no decodable frames (corrupt or truncated video)"))
        elif expected and index < expected - 1:
            on_error(
                SourceError(
                    str(path),
                    f"truncated video: decoding stopped at frame {index} of "
                    f"{expected}; frames before it were read",
                )
            )
    finally:
        capture.release()


def stream_frames(
    url: str,
    *,
    max_fps: float | None,
    stop: threading.Event,
    reconnect_max_s: float,
    on_error: ErrorSink = _log_error,
) -> Iterator[Frame]:
    """A live stream, reconnecting with backoff until `stop` is set; each failure to connect
    and each drop goes to `on_error` (logged, and counted by the edge's camera health)."""
    backoff = FIRST_BACKOFF_S
    started = time.monotonic()
    index, last = 0, -1e9
    min_gap = 1.0 / max_fps if max_fps else 0.0
    os.environ.setdefault(*FFMPEG_QUIET)
    while not stop.is_set():
        capture = cv2.VideoCapture(url)
        if not capture.isOpened():
            on_error(SourceError(url, f"unreachable; retrying in {backoff:.0f} s"))
            capture.release()
            stop.wait(backoff)
            backoff = min(reconnect_max_s, backoff * 2)
            continue
        logger.info("stream %s connected", url)
        backoff = FIRST_BACKOFF_S
        while not stop.is_set():
            ok, image = capture.read()
            if not ok or image is None:
                on_error(SourceError(url, "dropped; reconnecting"))
                break
            now = time.monotonic() - started
            if now - last >= min_gap:
                last = now
                yield Frame(image, datetime.now(UTC), now, index, url)
            index += 1
        capture.release()
