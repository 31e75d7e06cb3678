from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpr.detector import PlateDetector
from alpr.models import Models, load_models, load_pack
from alpr.packs import ModelsUnavailableError, PackFiles
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


def test_recognizer_follows_the_pack_and_the_settings(
    model_cache: Path, offline_pack: PackFiles, cct_pack: PackFiles
) -> None:
    settings = ModelSettings(cache_dir=model_cache)
    assert load_pack(settings, cct_pack).recognizer.name == "fused"
    assert load_pack(settings, offline_pack).recognizer.name == "ppocr"
    chosen = ModelSettings(cache_dir=model_cache, recognizer="cct")
    assert load_pack(chosen, cct_pack).recognizer.name == "cct"
    assert load_pack(chosen, cct_pack, "ppocr").recognizer.name == "ppocr"
    fused = load_pack(settings, cct_pack).recognizer
    assert "rectified" not in fused.uses and "wide" in fused.uses


def test_cct_asked_for_without_its_files_says_how_to_get_them(
    model_cache: Path, offline_pack: PackFiles
) -> None:
    settings = ModelSettings(cache_dir=model_cache)
    for choice in ("cct", "fused"):
        with pytest.raises(ModelsUnavailableError, match=rf"recognizer '{choice}' needs the CCT"):
            load_pack(settings, offline_pack, choice)
    with pytest.raises(ModelsUnavailableError, match="recognizer 'tesseract': choose one of"):
        load_pack(settings, offline_pack, "tesseract")
