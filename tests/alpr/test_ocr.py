from __future__ import annotations

import numpy as np
import pytest

from alpr.ctc import ALPHABET, SEPARATOR
from alpr.models import Models
from alpr.ocr import PlateOCR, folding

from .conftest import CAR_PLATE, CAR_PLATE_BOX


def _plate(car_image: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = CAR_PLATE_BOX
    return car_image[y1:y2, x1:x2]


@pytest.fixture(scope="module")
def ocr(models: Models) -> PlateOCR:
    return PlateOCR(models.pack.recognizer)


def test_folding_keeps_plate_characters_only() -> None:
    kept, fold = folding(["a", "B", "7", "中", "-", "Ö"])
    # model classes: 0 blank, 1 a, 2 B, 3 7, 4 中, 5 -, 6 Ö, 7 space
    assert kept.tolist() == [0, 1, 2, 3, 5, 7]
    targets = fold.argmax(axis=1).tolist()
    assert targets == [
        0,
        1 + ALPHABET.index("A"),
        1 + ALPHABET.index("B"),
        1 + ALPHABET.index("7"),
        SEPARATOR,
        SEPARATOR,
    ]


def test_reads_a_real_plate(ocr: PlateOCR, car_image: np.ndarray) -> None:
    result = ocr.predict(_plate(car_image))
    assert result is not None
    assert result.text == CAR_PLATE
    assert isinstance(result.confidence, list) and len(result.confidence) == len(CAR_PLATE)
    assert min(result.confidence) > 0.5


def test_probabilities_are_distributions_and_batch_is_consistent(
    ocr: PlateOCR, car_image: np.ndarray
) -> None:
    crop = _plate(car_image)
    narrow = crop[:, : crop.shape[1] // 2]
    alone = ocr.probabilities([crop])[0]
    batch = ocr.probabilities([crop, narrow])
    assert alone.shape[1] == SEPARATOR + 1
    assert np.allclose(alone.sum(axis=1), 1.0, atol=1e-4)
    assert ocr.read([crop])[0].text == ocr.read([crop, narrow])[0].text == CAR_PLATE
    assert batch[1].shape[0] < batch[0].shape[0]  # padding frames of the narrow crop dropped


def test_empty_crop_gives_no_result(ocr: PlateOCR) -> None:
    assert ocr.predict(np.zeros((0, 0, 3), np.uint8)) is None
    assert ocr.probabilities([]) == []
