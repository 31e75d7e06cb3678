"""One frame in, plate observations out: detect, cut the plate crops, recognize all in one batch.

Each plate is cut once into the crops of `alpr.crops` (tight, band, rectified, wide); the
recognizer reads the ones it uses (the corner model runs only when one of them is `rectified`)
and turns them into one reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alpr.corners import rectify
from alpr.crops import WIDE_X, WIDE_Y, PlateCrops, band, clip
from alpr.ctc import Reading
from alpr.models import Models
from alpr.read import Box

WINDOW_MARGIN_X = 0.3
WINDOW_MARGIN_Y = 0.6


@dataclass(frozen=True)
class Observation:
    """One plate seen in one frame."""

    box: Box
    detector_confidence: float
    reading: Reading
    region: str | None

    @property
    def area(self) -> int:
        return (self.box.x2 - self.box.x1) * (self.box.y2 - self.box.y1)


class PlateReader:
    """Reads plates in frames with a loaded model pack; `region` selects the format priors."""

    def __init__(self, models: Models, region: str | None = None) -> None:
        self.models = models
        self.region = region

    def detect(self, frame: np.ndarray, input_size: int | None = None) -> list[tuple[Box, float]]:
        """Plate boxes with detector confidence, most confident first."""
        return [
            (
                Box(
                    x1=d.bounding_box.x1,
                    y1=d.bounding_box.y1,
                    x2=d.bounding_box.x2,
                    y2=d.bounding_box.y2,
                ),
                float(d.confidence),
            )
            for d in self.models.detect(frame, input_size)
        ]

    def read_frame(self, frame: np.ndarray, input_size: int | None = None) -> list[Observation]:
        """Detect and read every plate of a photo.

        A photo in which the first look finds no plate is looked at again at the pack's
        `photo_second_look` size: a far or small plate the detector misses at one scale it often
        finds at another. Video never comes here (most of its frames show no plate at all).
        """
        boxes = self.detect(frame, input_size)
        second = self.models.photo_second_look
        if not boxes and second is not None and second != (input_size or 0):
            boxes = self.detect(frame, second)
        observations = self.read_boxes(frame, boxes)
        return [o for o in observations if o is not None]

    def read_boxes(
        self, frame: np.ndarray, boxes: Sequence[tuple[Box, float]]
    ) -> list[Observation | None]:
        """Read the given boxes of one frame (every crop in one batch); None where illegible."""
        if not boxes:
            return []
        variants = [self._variants(frame, box) for box, _ in boxes]
        legible = [v for v in variants if v is not None]
        read = iter(self.models.recognizer.read(legible, self.region))
        readings = [None if v is None else next(read) for v in variants]
        out: list[Observation | None] = []
        for (box, score), result in zip(boxes, readings, strict=True):
            if result is None:
                out.append(None)
                continue
            reading, region = result
            out.append(Observation(box, score, reading, region))
        return out

    def _variants(self, frame: np.ndarray, box: Box) -> PlateCrops | None:
        tight = clip(frame, box.x1, box.y1, box.x2, box.y2)
        if tight.shape[0] < 4 or tight.shape[1] < 4:
            return None
        width, height = box.x2 - box.x1, box.y2 - box.y1
        wide = clip(
            frame,
            box.x1 - WIDE_X * width,
            box.y1 - WIDE_Y * height,
            box.x2 + WIDE_X * width,
            box.y2 + WIDE_Y * height,
        )
        return PlateCrops(tight, band(tight), self._rectified(frame, box), wide)

    def _rectified(self, frame: np.ndarray, box: Box) -> np.ndarray | None:
        if self.models.corners is None or "rectified" not in self.models.recognizer.uses:
            return None
        width, height = box.x2 - box.x1, box.y2 - box.y1
        left = max(0, int(box.x1 - WINDOW_MARGIN_X * width))
        top = max(0, int(box.y1 - WINDOW_MARGIN_Y * height))
        window = clip(
            frame,
            left,
            top,
            box.x2 + WINDOW_MARGIN_X * width,
            box.y2 + WINDOW_MARGIN_Y * height,
        )
        quad = self.models.corners.corners(window)
        return None if quad is None else band(rectify(window, quad, height=96))
