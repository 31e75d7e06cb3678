"""One frame in, plate observations out: detect, cut crop variants, recognize all in one batch.

Each plate is read from up to three crops: the detector's box, the box's character band (US
plates carry a state name above and a slogan below the characters, which a one-line recognizer
otherwise reads as extra characters), and that band after perspective rectification on the
plate's corners. The recognizer's per-frame probabilities pick the best of the three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alpr.corners import rectify
from alpr.ctc import Reading
from alpr.models import Models
from alpr.read import Box

BAND_TOP = 0.15
BAND_BOTTOM = 0.10
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


def _clip(frame: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    height, width = frame.shape[:2]
    left, top = max(0, int(x1)), max(0, int(y1))
    right, bottom = min(width, round(x2)), min(height, round(y2))
    return frame[top:bottom, left:right]


def _band(crop: np.ndarray) -> np.ndarray:
    height = crop.shape[0]
    return crop[int(BAND_TOP * height) : height - int(BAND_BOTTOM * height)]


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
        """Detect and read every plate of a frame."""
        observations = self.read_boxes(frame, self.detect(frame, input_size))
        return [o for o in observations if o is not None]

    def read_boxes(
        self, frame: np.ndarray, boxes: Sequence[tuple[Box, float]]
    ) -> list[Observation | None]:
        """Read the given boxes of one frame (every crop in one batch); None where illegible."""
        if not boxes:
            return []
        variants = [self._variants(frame, box) for box, _ in boxes]
        readings = self.models.recognizer.read(variants, self.region)
        out: list[Observation | None] = []
        for (box, score), result in zip(boxes, readings, strict=True):
            if result is None:
                out.append(None)
                continue
            reading, region = result
            out.append(Observation(box, score, reading, region))
        return out

    def _variants(self, frame: np.ndarray, box: Box) -> list[np.ndarray]:
        tight = _clip(frame, box.x1, box.y1, box.x2, box.y2)
        if tight.shape[0] < 4 or tight.shape[1] < 4:
            return []
        crops = [tight, _band(tight)]
        if self.models.corners is not None:
            width, height = box.x2 - box.x1, box.y2 - box.y1
            left = max(0, int(box.x1 - WINDOW_MARGIN_X * width))
            top = max(0, int(box.y1 - WINDOW_MARGIN_Y * height))
            window = _clip(
                frame,
                left,
                top,
                box.x2 + WINDOW_MARGIN_X * width,
                box.y2 + WINDOW_MARGIN_Y * height,
            )
            quad = self.models.corners.corners(window)
            if quad is not None:
                crops.append(_band(rectify(window, quad, height=96)))
        return crops
