from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from alpr.detector import PlateDetector
from alpr.evaluate import MATCH_IOU, LabelledPlate, iou, load_labels
from alpr.packs import PackFiles, sha256_of
from alpr.quantize import DerivedRecord, derived_path, int8_detector
from alpr.read import Box
from alpr.settings import ModelSettings
from alpr.sources import load_image

PER_REGION = 3


def _record(model: Path) -> DerivedRecord:
    return DerivedRecord.model_validate_json(model.with_suffix(".json").read_text("utf-8"))


@pytest.fixture
def built(model_cache: Path, offline_pack: PackFiles, tmp_path: Path) -> Path:
    """A current derived model in a fresh cache (copied from the shared one, built once)."""
    shared = int8_detector(offline_pack.detector, model_cache)
    target = derived_path(tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copy2(shared, target)
    shutil.copy2(shared.with_suffix(".json"), target.with_suffix(".json"))
    return target


def _best_iou(detector: PlateDetector, image: np.ndarray, label: LabelledPlate) -> float:
    assert label.box is not None
    return max(
        (
            iou(label.box, Box(x1=b.x1, y1=b.y1, x2=b.x2, y2=b.y2))
            for b in (d.bounding_box for d in detector.detect(image))
        ),
        default=0.0,
    )


def test_new_defaults_find_the_plates_todays_detector_finds(
    model_cache: Path, offline_pack: PackFiles, openalpr_dev: Path
) -> None:
    settings = ModelSettings(cache_dir=model_cache)
    assert settings.detector_precision == "int8"
    new = PlateDetector.from_settings(offline_pack.detector, settings)
    assert new.input_dtype.__name__ == "float32"
    today = PlateDetector(offline_pack.detector, input_size=settings.detector_input)
    labels = load_labels(openalpr_dev / "labels.csv")
    plates_in = Counter(label.file for label in labels)
    found_today = 0
    for region in ("us", "eu", "br"):
        alone = [lab for lab in labels if lab.region == region and plates_in[lab.file] == 1]
        for label in alone[:PER_REGION]:
            image = load_image(openalpr_dev / label.file)
            if _best_iou(today, image, label) < MATCH_IOU:
                continue
            found_today += 1
            assert _best_iou(new, image, label) >= MATCH_IOU, label.file
    assert found_today >= 2 * PER_REGION


def test_a_current_derived_file_is_reused(built: Path, offline_pack: PackFiles) -> None:
    before = built.stat().st_mtime_ns
    assert int8_detector(offline_pack.detector, built.parent.parent) == built
    assert built.stat().st_mtime_ns == before


def test_a_truncated_derived_file_is_rebuilt(built: Path, offline_pack: PackFiles) -> None:
    good = sha256_of(built)
    with built.open("r+b") as fh:
        fh.truncate(built.stat().st_size // 2)
    int8_detector(offline_pack.detector, built.parent.parent)
    assert sha256_of(built) == _record(built).sha256 == good


def test_a_file_built_from_other_weights_is_rebuilt(built: Path, offline_pack: PackFiles) -> None:
    record = built.with_suffix(".json")
    stale = _record(built).model_copy(update={"source_sha256": "0" * 64})
    record.write_text(stale.model_dump_json(), encoding="utf-8")
    before = built.stat().st_mtime_ns
    int8_detector(offline_pack.detector, built.parent.parent)
    assert built.stat().st_mtime_ns != before
    assert _record(built).source_sha256 == sha256_of(offline_pack.detector)
    assert sha256_of(built) == _record(built).sha256
