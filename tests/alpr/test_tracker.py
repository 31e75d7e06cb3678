from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from alpr.ctc import Reading
from alpr.read import Box
from alpr.recognize import Observation
from alpr.tracker import PassTracker, Track

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FRAME = np.zeros((720, 1280, 3), np.uint8)


def observe(
    tracker: PassTracker, boxes: list[Box], at: float, text: str = "7ABC123", p: float = 0.97
) -> list[Track]:
    tracks = []
    for box, known in zip(boxes, tracker.assign(boxes, at), strict=True):
        track = tracker.see(known, box, at, T0 + timedelta(seconds=at), frame=FRAME, confidence=0.8)
        reading = Reading(text, tuple(p for _ in text), tuple(((c, p),) for c in text), -1.0, 20)
        tracker.add_reading(track, Observation(box, 0.8, reading, "us"))
        tracks.append(track)
    return tracks


def box_at(x: int, y: int = 500) -> Box:
    return Box(x1=x, y1=y, x2=x + 120, y2=y + 60)


def test_a_slow_car_read_every_frame_is_one_pass() -> None:
    tracker = PassTracker(timeout_s=1.5, max_pass_s=30)
    finished = []
    for i in range(150):  # 10 s at 15 fps, creeping 4 px per frame
        observe(tracker, [box_at(100 + 4 * i)], i / 15)
        finished += tracker.expire(i / 15)
    assert finished == []  # still in view: nothing reported yet
    finished += tracker.expire(10.0 + 1.6)
    assert len(finished) == 1
    (done,) = finished
    assert done.vote.text == "7ABC123"
    assert done.track.frames == 150
    assert tracker.tracks == []


def test_two_cars_side_by_side_are_two_passes() -> None:
    tracker = PassTracker(timeout_s=1.0, max_pass_s=30)
    for i in range(10):
        observe(tracker, [box_at(100 + 10 * i)], i / 15, text="7ABC123")
        observe(tracker, [box_at(900 - 10 * i)], i / 15, text="8XYZ789")
    texts = sorted(p.vote.text for p in tracker.flush())
    assert texts == ["7ABC123", "8XYZ789"]


def test_a_fast_plate_is_followed_between_sparse_detections() -> None:
    tracker = PassTracker(timeout_s=1.0, max_pass_s=30)
    for i in range(8):  # detected every 0.25 s, moving 200 px between detections
        observe(tracker, [box_at(50 + 200 * i)], i * 0.25)
    assert len(tracker.tracks) == 1


def test_a_parked_car_is_reported_once_at_the_time_limit() -> None:
    tracker = PassTracker(timeout_s=1.5, max_pass_s=5)
    reports = []
    for i in range(300):  # 20 s parked
        observe(tracker, [box_at(400)], i / 15)
        reports += tracker.expire(i / 15)
    assert len(reports) == 1
    assert len(tracker.tracks) == 1  # still followed, silently
    assert tracker.flush() == []


def test_settles_after_agreeing_confident_frames() -> None:
    tracker = PassTracker(timeout_s=1.5, max_pass_s=30, settled_confidence=0.9, settled_frames=3)
    (track,) = observe(tracker, [box_at(100)], 0.0)
    assert not track.settled
    observe(tracker, [box_at(104)], 0.07)
    observe(tracker, [box_at(108)], 0.13)
    assert track.settled and not tracker.reading_due(0.13)
    (unsure,) = observe(tracker, [box_at(900)], 0.2, p=0.6)
    assert not unsure.settled and tracker.reading_due(0.2)


def test_a_plate_missed_by_the_last_detection_waits_for_the_keep_alive() -> None:
    # A one-frame false detection must not keep the detector on every frame until it times out.
    tracker = PassTracker(timeout_s=1.5, max_pass_s=30, settled_confidence=0.9, settled_frames=3)
    for i in range(3):
        observe(tracker, [box_at(100 + 4 * i)], i / 15)
    (ghost,) = observe(tracker, [box_at(900)], 3 / 15, p=0.6)
    assert tracker.reading_due(3 / 15)
    observe(tracker, [box_at(112)], 4 / 15)
    assert not ghost.settled and ghost in tracker.tracks
    assert not tracker.reading_due(4 / 15)


def test_best_view_prefers_a_whole_plate_to_one_cut_by_the_frame_edge() -> None:
    tracker = PassTracker(timeout_s=1.5, max_pass_s=30)
    cut = Box(x1=0, y1=500, x2=80, y2=560)
    whole = box_at(60)
    track = tracker.see(None, cut, 0.0, T0, frame=FRAME, confidence=0.9)
    tracker.see(track, whole, 0.1, T0, frame=FRAME, confidence=0.7)
    assert track.view is not None and track.view.box == whole
    assert track.view.crop().shape[:2] == (72, 144)
