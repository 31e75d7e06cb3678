from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpr.detector import PlateDetector
from alpr.models import Models, load_models
from alpr.packs import ModelsUnavailableError
from alpr.settings import ModelSettings

from .conftest import CAR_PLATE


def test_offline_pack_loads_behind_fast_alpr_hooks(models: Models) -> None:
    from fast_alpr.base import BaseDetector, BaseOCR

    assert isinstance(models.detector, BaseDetector) and isinstance(models.detector, PlateDetector)
    assert isinstance(models.recognizer.ocr, BaseOCR)
    assert models.corners is not None and models.pack.kind == "offline"


def test_plain_fast_alpr_on_the_same_weights(models: Models, car_image: np.ndarray) -> None:
    results = models.alpr().predict(car_image)
    assert [r.ocr.text for r in results if r.ocr] == [CAR_PLATE]


def test_thread_counts_come_from_settings(model_cache: Path, models: Models) -> None:
    del models
    loaded = load_models(
        ModelSettings(cache_dir=model_cache, detector_threads=1, detector_input=512), "offline"
    )
    assert isinstance(loaded.detector, PlateDetector)
    assert loaded.detector.input_size == 512


def test_hub_without_cache_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alpr.packs.hub_files", lambda: None)
    with pytest.raises(ModelsUnavailableError, match="hub models are not cached"):
        load_models(ModelSettings(cache_dir=tmp_path), "hub")
