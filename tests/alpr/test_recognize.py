from __future__ import annotations

import numpy as np

from alpr.evaluate import iou
from alpr.read import Box
from alpr.recognize import PlateReader

from .conftest import CAR_PLATE, CAR_PLATE_BOX


def test_reads_every_plate_of_a_frame(reader: PlateReader, car_image: np.ndarray) -> None:
    (observation,) = reader.read_frame(car_image, 640)
    assert observation.reading.text == CAR_PLATE
    assert observation.reading.confidence > 0.9
    assert (
        iou(
            observation.box,
            Box(x1=CAR_PLATE_BOX[0], y1=CAR_PLATE_BOX[1], x2=CAR_PLATE_BOX[2], y2=CAR_PLATE_BOX[3]),
        )
        > 0.8
    )


def test_read_boxes_keeps_order_and_marks_illegible(
    reader: PlateReader, car_image: np.ndarray
) -> None:
    gravel = Box(x1=10, y1=560, x2=200, y2=640)
    plate = Box(x1=CAR_PLATE_BOX[0], y1=CAR_PLATE_BOX[1], x2=CAR_PLATE_BOX[2], y2=CAR_PLATE_BOX[3])
    sliver = Box(x1=5, y1=5, x2=7, y2=7)
    results = reader.read_boxes(car_image, [(gravel, 0.5), (plate, 0.9), (sliver, 0.5)])
    assert len(results) == 3
    assert results[1] is not None and results[1].reading.text == CAR_PLATE
    assert results[2] is None
    assert results[0] is None or results[0].reading.text != CAR_PLATE
