from __future__ import annotations

import numpy as np
import pytest

from alpr.detector import PlateDetector, head_only_graph
from alpr.evaluate import iou
from alpr.packs import PackFiles
from alpr.read import Box

from .conftest import CAR_PLATE_BOX

TRUTH = Box(x1=CAR_PLATE_BOX[0], y1=CAR_PLATE_BOX[1], x2=CAR_PLATE_BOX[2], y2=CAR_PLATE_BOX[3])


def _boxes(detector: PlateDetector, image: np.ndarray, size: int) -> list[Box]:
    return [
        Box(x1=d.bounding_box.x1, y1=d.bounding_box.y1, x2=d.bounding_box.x2, y2=d.bounding_box.y2)
        for d in detector.detect(image, size)
    ]


@pytest.fixture(scope="module")
def detector(offline_pack: PackFiles) -> PlateDetector:
    return PlateDetector(offline_pack.detector, threads=2)


def test_finds_the_plate_in_frame_pixels(detector: PlateDetector, car_image: np.ndarray) -> None:
    boxes = _boxes(detector, car_image, 640)
    assert len(boxes) == 1
    assert iou(boxes[0], TRUTH) > 0.8


def test_free_input_size_keeps_the_box(detector: PlateDetector, car_image: np.ndarray) -> None:
    # The shipped graph only took 640x640; the cut graph takes any multiple of 32.
    for size in (512, 800):
        assert iou(_boxes(detector, car_image, size)[0], TRUTH) > 0.8


def test_square_letterbox_matches_the_rectangular_one(
    offline_pack: PackFiles, car_image: np.ndarray, detector: PlateDetector
) -> None:
    square = PlateDetector(offline_pack.detector, square=True)
    assert iou(_boxes(square, car_image, 640)[0], _boxes(detector, car_image, 640)[0]) > 0.9


def test_fast_alpr_hook_returns_detection_results(
    detector: PlateDetector, car_image: np.ndarray
) -> None:
    (result,) = detector.predict(car_image)
    assert result.label == "License Plate"
    assert 0.3 < result.confidence <= 1.0


def test_empty_scene_has_no_plate(detector: PlateDetector) -> None:
    assert detector.detect(np.full((360, 640, 3), 128, np.uint8)) == []


def test_other_graph_is_rejected(offline_pack: PackFiles) -> None:
    with pytest.raises(ValueError, match="not the platedet YOLOv8 graph"):
        head_only_graph(offline_pack.recognizer)
