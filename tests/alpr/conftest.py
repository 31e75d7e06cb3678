"""Fixtures of the edge reader's tests: the real offline model pack, fetched once per session.

The pack goes to the same cache `make` uses (PLATEWATCH_MODELS__CACHE_DIR, else
~/.cache/platewatch/models), outside the repository; only a missing file is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.models import Models, load_models, load_pack
from alpr.packs import PackFiles, fetch_fused, fetch_offline
from alpr.recognize import PlateReader
from alpr.settings import ModelSettings, default_model_cache
from platewatch.settings import Settings, load_settings

CAR_PLATE_BOX = (388, 262, 591, 354)  # samples/car.jpg: a Quebec plate, FMA6383
CAR_PLATE = "FMA6383"
CLIP_PLATE = "LS15EBC"  # samples/license_plate.mp4: one car, a UK plate
SHARED_MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"
CCT_SHARED = SHARED_MODELS / "fast-plate-ocr" / "cct-xs-v2-global-model"


@pytest.fixture(scope="session")
def model_cache() -> Path:
    env = os.environ.get("PLATEWATCH_MODELS__CACHE_DIR")
    return Path(env) if env else default_model_cache()


@pytest.fixture(scope="session")
def offline_pack(model_cache: Path) -> PackFiles:
    return fetch_offline(model_cache)


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """../shared/models (the CCT weights, in fast-plate-ocr's cache layout)."""
    if not CCT_SHARED.is_dir():
        pytest.skip(f"CCT weights not found at {CCT_SHARED}: ../shared/models is absent")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def fused_pack(model_cache: Path, offline_pack: PackFiles, shared_models: Path) -> PackFiles:
    """The offline pack plus CCT copied from ../shared/models into the same cache (no network)."""
    del offline_pack
    return fetch_fused(
        model_cache, release_url="http://127.0.0.1:9/unused", timeout_s=1, source=shared_models
    )


@pytest.fixture(scope="session")
def models(model_cache: Path, offline_pack: PackFiles) -> Models:
    del offline_pack
    return load_models(ModelSettings(cache_dir=model_cache), "offline")


@pytest.fixture(scope="session")
def reader(models: Models) -> PlateReader:
    return PlateReader(models, None)


@pytest.fixture
def settings(model_cache: Path, offline_pack: PackFiles, tmp_path: Path) -> Settings:
    del offline_pack
    return load_settings(
        None,
        data_dir=tmp_path,
        models={"cache_dir": model_cache, "pack": "offline"},
        edge={"image_root": tmp_path / "images"},
    )


@pytest.fixture(scope="session")
def samples(shared_data: Path) -> Path:
    return shared_data / "samples"


@pytest.fixture(scope="session")
def car_image(samples: Path) -> np.ndarray:
    image = cv2.imread(str(samples / "car.jpg"))
    assert image is not None
    return image


@pytest.fixture(scope="session")
def openalpr_dev(shared_data: Path) -> Path:
    return shared_data / "openalpr-dev"


def write_mjpeg_avi(path: Path, frames: int, fps: int = 15) -> Path:
    """A small MJPEG AVI with a counter drawn in each frame (AVI decodes up to a truncation)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (320, 240))
    for i in range(frames):
        frame = np.full((240, 320, 3), (i * 4) % 255, np.uint8)
        cv2.putText(frame, str(i), (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def make_avi(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "clip.avi", frames: int = 30, fps: int = 15) -> Path:
        return write_mjpeg_avi(tmp_path / name, frames, fps)

    return make


CCT_DIR = Path(__file__).resolve().parents[3] / "shared" / "models" / "fast-plate-ocr"
CCT_MODEL = CCT_DIR / "cct-xs-v2-global-model" / "cct_xs_v2_global.onnx"
CCT_CONFIG = CCT_DIR / "cct-xs-v2-global-model" / "cct_xs_v2_global_plate_config.yaml"


@pytest.fixture(scope="session")
def cct_pack(offline_pack: PackFiles) -> PackFiles:
    """The offline pack with the shared CCT weights beside it."""
    if not (CCT_MODEL.is_file() and CCT_CONFIG.is_file()):
        pytest.skip(f"CCT weights not found at {CCT_MODEL.parent} (../shared/models is absent)")
    return replace(offline_pack, cct_model=CCT_MODEL, cct_config=CCT_CONFIG)


@pytest.fixture(scope="session")
def fused_models(model_cache: Path, cct_pack: PackFiles) -> Models:
    # The recognizer tests pin platedet as shipped (fp16): their photos were chosen on its
    # crops, and the int8 detector's slightly different boxes change single photos' reads
    # (one of them, R820503, reads R8Z0503). The shipped int8 + fused pair is measured by
    # `make bench` (Edge reader: shipped defaults against today's offline pack).
    return load_pack(ModelSettings(cache_dir=model_cache, detector_precision="fp16"), cct_pack)


@pytest.fixture(scope="session")
def cct_models(model_cache: Path, cct_pack: PackFiles) -> Models:
    return load_pack(ModelSettings(cache_dir=model_cache), cct_pack, "cct")
