"""Tracking plates across frames: one track per vehicle pass, finished when the vehicle leaves.

Detections join the track whose box, moved by the track's velocity, overlaps them best (or whose
centre is within about a plate width), so a plate seen every frame of a slow pass stays one track
and yields one read. A track finishes when unseen for `timeout_s` of stream time or when it has
lasted `max_pass_s`; a track finished by the time limit keeps following its vehicle silently, so
a parked car is reported once, not every `max_pass_s`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from alpr.ctc import Reading
from alpr.read import Box
from alpr.recognize import Observation
from alpr.vote import Vote, reading_weight, vote

MIN_IOU = 0.1
# In plate widths. Cars are several plate widths apart, so this joins a fast plate's sightings
# before its velocity is known without joining two cars.
MAX_CENTRE_DISTANCE = 2.5


@dataclass(eq=False)
class Track:
    track_id: int
    box: Box
    first_seen: float
    last_seen: float
    first_captured_at: datetime
    velocity: tuple[float, float] = (0.0, 0.0)
    frames: int = 1
    ballots: list[tuple[Reading, float]] = field(default_factory=list)
    best: Observation | None = None
    view: PlateView | None = None
    settled: bool = False
    reported: bool = False

    def predicted(self, at: float) -> Box:
        dt = at - self.last_seen
        dx, dy = round(self.velocity[0] * dt), round(self.velocity[1] * dt)
        b = self.box
        return Box(x1=b.x1 + dx, y1=b.y1 + dy, x2=b.x2 + dx, y2=b.y2 + dy)

    def current_vote(self) -> Vote | None:
        return vote(self.ballots)


@dataclass(frozen=True, eq=False)
class PlateView:
    """The pass's best look at the plate: what the read's crop and context frame show."""

    box: Box
    frame: np.ndarray = field(repr=False)
    captured_at: datetime
    score: float

    def crop(self, margin: float = 0.1) -> np.ndarray:
        b = self.box
        dx, dy = round(margin * (b.x2 - b.x1)), round(margin * (b.y2 - b.y1))
        height, width = self.frame.shape[:2]
        return self.frame[
            max(0, b.y1 - dy) : min(height, b.y2 + dy), max(0, b.x1 - dx) : min(width, b.x2 + dx)
        ].copy()


def view_score(box: Box, detector_confidence: float, frame_shape: tuple[int, ...]) -> float:
    """Sure detections of whole, large plates make the best evidence images."""
    height, width = frame_shape[:2]
    cut = box.x1 <= 1 or box.y1 <= 1 or box.x2 >= width - 1 or box.y2 >= height - 1
    area = (box.x2 - box.x1) * (box.y2 - box.y1)
    return detector_confidence - (0.5 if cut else 0.0) + 1e-7 * area


@dataclass(frozen=True)
class FinishedPass:
    track: Track
    vote: Vote


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter
    return inter / union if union > 0 else 0.0


def _affinity(predicted: Box, box: Box) -> float:
    """Above zero when `box` plausibly is the same plate; higher is more likely."""
    overlap = _iou(predicted, box)
    if overlap >= MIN_IOU:
        return 1.0 + overlap
    width = max(1, predicted.x2 - predicted.x1, box.x2 - box.x1)
    dx = (predicted.x1 + predicted.x2 - box.x1 - box.x2) / 2
    dy = (predicted.y1 + predicted.y2 - box.y1 - box.y2) / 2
    distance = float(np.hypot(dx, dy)) / width
    return 1.0 - distance / MAX_CENTRE_DISTANCE if distance < MAX_CENTRE_DISTANCE else 0.0


class PassTracker:
    """Groups per-frame detections into vehicle passes."""

    def __init__(
        self,
        *,
        timeout_s: float,
        max_pass_s: float,
        settled_confidence: float = 0.9,
        settled_frames: int = 3,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_pass_s = max_pass_s
        self.settled_confidence = settled_confidence
        self.settled_frames = settled_frames
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)

    def reading_due(self, detected_at: float) -> bool:
        """Whether a plate found by the detection at `detected_at` still wants reading.

        Only such a plate makes the next frame worth a detection. A track missed there (most
        often a one-frame false detection, else a plate hidden for a moment) waits for the
        keep-alive detection: on the sample clip one 0.31-confidence ghost kept the detector on
        every frame for the 1.5 s it took to time out, two thirds of the clip's detections.
        """
        return any(
            not (t.settled or t.reported) and t.last_seen >= detected_at for t in self.tracks
        )

    def assign(self, boxes: Sequence[Box], at: float) -> list[Track | None]:
        """The live track each box continues (greedy by affinity), None for a new plate."""
        pairs = sorted(
            (
                (_affinity(track.predicted(at), box), ti, bi)
                for ti, track in enumerate(self.tracks)
                for bi, box in enumerate(boxes)
            ),
            reverse=True,
        )
        out: list[Track | None] = [None] * len(boxes)
        used: set[int] = set()
        for affinity, ti, bi in pairs:
            if affinity <= 0 or ti in used or out[bi] is not None:
                continue
            used.add(ti)
            out[bi] = self.tracks[ti]
        return out

    def see(
        self,
        track: Track | None,
        box: Box,
        at: float,
        captured_at: datetime,
        *,
        frame: np.ndarray,
        confidence: float,
    ) -> Track:
        """Record a detection (read or not) on a track, starting one if needed."""
        score = view_score(box, confidence, frame.shape)
        if track is None:
            track = Track(next(self._ids), box, at, at, captured_at)
            track.view = PlateView(box, frame, captured_at, score)
            self.tracks.append(track)
            return track
        if track.view is None or score > track.view.score:
            track.view = PlateView(box, frame, captured_at, score)
        dt = at - track.last_seen
        if dt > 0:
            vx = ((box.x1 + box.x2) - (track.box.x1 + track.box.x2)) / 2 / dt
            vy = ((box.y1 + box.y2) - (track.box.y1 + track.box.y2)) / 2 / dt
            # The first measurement is the velocity; later ones are smoothed against jitter.
            keep = 0.5 if track.frames > 1 else 0.0
            track.velocity = (
                keep * track.velocity[0] + (1 - keep) * vx,
                keep * track.velocity[1] + (1 - keep) * vy,
            )
        track.box, track.last_seen = box, at
        track.frames += 1
        return track

    def add_reading(self, track: Track, observation: Observation) -> None:
        track.ballots.append(
            (
                observation.reading,
                reading_weight(observation.reading, observation.detector_confidence),
            )
        )
        if track.best is None or _quality(observation) > _quality(track.best):
            track.best = observation
        current = track.current_vote()
        recent = [r.text for r, _ in track.ballots[-self.settled_frames :]]
        track.settled = (
            current is not None
            and len(recent) >= self.settled_frames
            and all(text == current.text for text in recent)
            and current.confidence >= self.settled_confidence
        )

    def expire(self, at: float) -> list[FinishedPass]:
        """Passes that ended by `at`: vehicle gone, or on view for `max_pass_s`."""
        finished = []
        for track in list(self.tracks):
            gone = at - track.last_seen > self.timeout_s
            too_long = at - track.first_seen >= self.max_pass_s
            if gone:
                self.tracks.remove(track)
            if (gone or too_long) and not track.reported:
                track.reported = True
                result = track.current_vote()
                if result is not None:
                    finished.append(FinishedPass(track, result))
        return finished

    def flush(self) -> list[FinishedPass]:
        """End every pass (the source ended)."""
        return self.expire(float("inf"))


def _quality(observation: Observation) -> float:
    """The reading whose region stands for the pass: the surest, then the larger plate."""
    return observation.reading.confidence + 1e-6 * observation.area
