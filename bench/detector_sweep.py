"""placeholder"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from alpr.sources import load_image, open_source

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SAMPLES = SHARED / "samples"
CLIP = SAMPLES / "license_plate.mp4"
CLIP_STEP = 10


def calibration_frames() -> Iterator[np.ndarray]:
    """The sample photos and every tenth clip frame: never the dev photos recall is scored on."""
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix.lower() in {".jpg", ".png", ".webp"} and "plate" not in path.stem:
            yield load_image(path)
    for i, frame in enumerate(open_source(str(CLIP))):
        if i % CLIP_STEP == 0:
            yield frame.image
