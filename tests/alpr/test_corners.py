from __future__ import annotations

import numpy as np
import pytest

from alpr.corners import CornerDetector, order_corners, rectify
from alpr.models import Models

from .conftest import CAR_PLATE_BOX


@pytest.fixture(scope="module")
def corners(models: Models) -> CornerDetector:
    assert models.corners is not None
    return models.corners


def test_finds_the_corners_of_a_real_plate(corners: CornerDetector, car_image: np.ndarray) -> None:
    x1, y1, x2, y2 = CAR_PLATE_BOX
    left, top = x1 - 60, y1 - 50
    window = car_image[top : y2 + 50, left : x2 + 60]
    quad = corners.corners(window)
    assert quad is not None
    quad_in_frame = quad + np.array([left, top], np.float32)
    assert abs(quad_in_frame[0][0] - x1) < 20 and abs(quad_in_frame[0][1] - y1) < 20
    assert abs(quad_in_frame[2][0] - x2) < 20 and abs(quad_in_frame[2][1] - y2) < 20


def test_no_plate_no_corners(corners: CornerDetector) -> None:
    assert corners.corners(np.full((120, 240, 3), 90, np.uint8)) is None
    assert corners.corners(np.zeros((0, 0, 3), np.uint8)) is None


def test_order_and_rectify() -> None:
    shuffled = np.array([[90, 50], [10, 10], [10, 50], [90, 10]], np.float32)
    assert order_corners(shuffled).tolist() == [[10, 10], [90, 10], [90, 50], [10, 50]]
    image = np.zeros((100, 100, 3), np.uint8)
    image[10:50, 10:90] = 255
    flat = rectify(image, order_corners(shuffled), height=40)
    assert flat.shape == (40, 80, 3)
    assert flat.mean() > 200
