"""The crops one plate is read from, cut once per detection and shared by the recognizers.

`tight` is the detector's box; `band` its character band (US plates carry a state name above
and a slogan below the characters, which a one-line recognizer otherwise reads as extra
characters); `rectified` that band after perspective correction on the plate's corners (when
the corner model is loaded and finds them); `wide` the box with a margin, closer to how CCT's
training crops were cut (its box edges fall outside the characters, ours often on the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

CropName = Literal["tight", "band", "rectified", "wide"]
BAND_TOP = 0.15
BAND_BOTTOM = 0.10
WIDE_X = 0.1
WIDE_Y = 0.2


@dataclass(frozen=True)
class PlateCrops:
    tight: np.ndarray
    band: np.ndarray
    rectified: np.ndarray | None
    wide: np.ndarray

    def pick(self, names: tuple[CropName, ...]) -> list[np.ndarray]:
        """The named crops that exist and are not empty, in the order asked."""
        crops = (getattr(self, name) for name in names)
        return [c for c in crops if c is not None and c.size]


def clip(frame: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    height, width = frame.shape[:2]
    left, top = max(0, int(x1)), max(0, int(y1))
    right, bottom = min(width, round(x2)), min(height, round(y2))
    return frame[top:bottom, left:right]


def band(crop: np.ndarray) -> np.ndarray:
    height = crop.shape[0]
    return crop[int(BAND_TOP * height) : height - int(BAND_BOTTOM * height)]
