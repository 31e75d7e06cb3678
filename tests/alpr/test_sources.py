from __future__ import annotations

import itertools
import logging
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alpr.sources import (
    SourceError,
    is_stream,
    load_image,
    open_source,
    stream_frames,
)

START = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def collect(spec: str, **kwargs: object) -> tuple[list, list[SourceError]]:  # type: ignore[type-arg]
    errors: list[SourceError] = []
    frames = list(open_source(spec, on_error=errors.append, **kwargs))  # type: ignore[arg-type]
    return frames, errors


def test_video_times_follow_the_frames_not_the_clock(make_avi: Callable[..., Path]) -> None:
    clip = make_avi(frames=30, fps=15)
    frames, errors = collect(str(clip), start_time=START)
    assert errors == []
    assert [f.index for f in frames] == list(range(30))
    assert frames[15].stream_time == pytest.approx(1.0)
    assert frames[15].captured_at == START + timedelta(seconds=1)
    assert frames[0].captured_at.tzinfo is UTC and not frames[0].still


def test_a_file_read_now_ends_now_and_no_frame_is_in_the_future(
    make_avi: Callable[..., Path],
) -> None:
    before = datetime.now(UTC)
    frames, errors = collect(str(make_avi(frames=30, fps=15)))
    after = datetime.now(UTC)
    assert errors == []
    # Two seconds of video, recorded before it was read: the first frame is dated ~2 s ago.
    first = frames[0].captured_at
    assert before - timedelta(seconds=2.5) <= first <= before - timedelta(seconds=1.5)
    assert all(f.captured_at <= after for f in frames)
    assert all(a.captured_at <= b.captured_at for a, b in itertools.pairwise(frames))


def test_frame_rate_cap_skips_frames(make_avi: Callable[..., Path]) -> None:
    frames, _ = collect(str(make_avi(frames=30, fps=15)), max_fps=5, start_time=START)
    assert [f.index for f in frames] == list(range(0, 30, 3))


def test_truncated_video_reads_what_it_can_and_says_so(
    make_avi: Callable[..., Path], tmp_path: Path
) -> None:
    clip = make_avi(frames=60)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    frames, errors = collect(str(cut))
    assert 0 < len(frames) < 60
    (error,) = errors
    assert str(error).startswith(f"{cut}: truncated video: decoding stopped at frame")
    assert "of 60" in str(error)


def test_video_that_cannot_be_opened(tmp_path: Path, samples: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((samples / "license_plate.mp4").read_bytes()[:200_000])
    frames, errors = collect(str(cut))
    assert frames == []
    assert [str(e) for e in errors] == [
        f"{cut}: cannot open as video (corrupt, truncated or not a video)"
    ]


def test_folder_in_name_order_skipping_bad_images(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "car.jpg", tmp_path / "b.jpg")
    shutil.copy(samples / "car2.jpg", tmp_path / "a.jpg")
    (tmp_path / "c.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "notes.txt").write_text("ignored")
    frames, errors = collect(str(tmp_path))
    assert [Path(f.source).name for f in frames] == ["a.jpg", "b.jpg"]
    assert all(f.still for f in frames)
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'c.jpg'}: not a decodable image (corrupt or unsupported format)"
    ]


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    _, errors = collect(str(tmp_path))
    assert str(errors[0]).startswith(f"{tmp_path}: folder has no images (")
    _, errors = collect(str(tmp_path / "gone.mp4"))
    assert str(errors[0]) == f"{tmp_path / 'gone.mp4'}: no such file or folder"


def test_load_image_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(SourceError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(SourceError, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_stream_retries_with_backoff_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    url = "http://127.0.0.1:9/camera.mjpg"  # discard port: nothing listens, refused at once
    assert is_stream(url) and not is_stream("/data/clip.mp4")
    stop = threading.Event()
    timer = threading.Timer(2.5, stop.set)
    timer.start()
    with caplog.at_level(logging.WARNING, logger="alpr.sources"):
        frames = list(stream_frames(url, max_fps=5, stop=stop, reconnect_max_s=30))
    timer.cancel()
    assert frames == []
    retries = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    # attempts at 0 s, 1 s and 3 s (backoff 1, 2, ...): two or three before the stop at 2.5 s
    assert 2 <= len(retries) <= 3
    assert "retrying in 1 s" in retries[0] and "retrying in 2 s" in retries[1]
