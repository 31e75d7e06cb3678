"""The int8 plate detector: platedet's head cut, statically quantised (QDQ), in the model cache.

It is derived from the verified platedet file, never shipped: weights per channel int8,
activations uint8 with ranges calibrated once on the sample photos and clip frames (never the dev
photos recall is measured on) and kept in the repository as `platedet_int8_ranges.json`, so a
build needs no images and an air-gapped site builds the same file. A record beside the derived
file holds what it was built from and its own SHA-256; any mismatch (another platedet, new
ranges, another quantizer, a truncated or edited file) rebuilds it before it is used.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from onnxruntime.quantization import CalibrationDataReader

from alpr.detector import PlateDetector, float32_graph, head_only_graph
from alpr.packs import offline_dir, offline_from_dir, sha256_of
from alpr.settings import default_model_cache

logger = logging.getLogger(__name__)

RECIPE: Final = (
    "platedet head cut, fp32, QDQ per-channel s8 weights, u8 activations, output convs fp32, "
    "MinMax v2"
)
RANGES: Final = Path(__file__).with_name("platedet_int8_ranges.json")
# Calibrated at the sizes the reader runs, so the ranges cover both plate scales.
CALIBRATION_SIZES: Final = (640, 512)


class DerivedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    recipe: str
    source_sha256: str
    ranges_sha256: str
    quantizer: str
    sha256: str
    size: int


def derived_path(cache_dir: Path) -> Path:
    return cache_dir / "derived" / "platedet-int8.onnx"


def _record_path(model: Path) -> Path:
    return model.with_suffix(".json")


def _quantizer_version() -> str:
    import onnxruntime

    return f"onnxruntime {onnxruntime.__version__}"


def _is_current(model: Path, want: DerivedRecord) -> bool:
    try:
        record = DerivedRecord.model_validate_json(_record_path(model).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return False
    same_inputs = record.model_copy(update={"sha256": "", "size": 0}) == want
    return (
        same_inputs
        and model.is_file()
        and model.stat().st_size == record.size
        and sha256_of(model) == record.sha256
    )


def int8_detector(source: Path, cache_dir: Path) -> Path:
    """The derived int8 model of `source` (a verified platedet file), rebuilt when stale."""
    if not RANGES.is_file():
        msg = (
            f"{RANGES}: calibration ranges missing; reinstall platewatch or set "
            "models.detector_precision=fp16"
        )
        raise FileNotFoundError(msg)
    target = derived_path(cache_dir)
    want = DerivedRecord(
        recipe=RECIPE,
        source_sha256=sha256_of(source),
        ranges_sha256=sha256_of(RANGES),
        quantizer=_quantizer_version(),
        sha256="",
        size=0,
    )
    if not _is_current(target, want):
        logger.info("building the int8 detector from %s into %s", source, target)
        _build(source, target, want)
    return target


class _QuietPreprocessHint(logging.Filter):
    """The quantizer advises pre-processing (shape inference, fusion) on the root logger at every
    build; the recipe's recall is measured without it, and a user's first load should not print
    advice meant for whoever tunes the recipe."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-process" not in record.getMessage()


def _quantize(
    fp32_model: Path, out: Path, ranges: Path, reader: CalibrationDataReader | None = None
) -> None:
    hint = _QuietPreprocessHint()
    logging.getLogger().addFilter(hint)
    try:
        _quantize_static(fp32_model, out, ranges, reader)
    finally:
        logging.getLogger().removeFilter(hint)


def output_nodes(fp32_model: Path) -> list[str]:
    """The nodes that write the head's outputs and the convolutions that feed them.

    Quantised, their uint8 outputs gave the scores and box distances a handful of levels each
    (dev-photo confidences fell on 0.19, 0.21, 0.28, 0.39, ...): boxes came out coarse enough to
    cost five exact reads of 265, and the operating point could not be set between two levels.
    Kept in float they cost almost nothing (six 1x1 convolutions on the smallest maps).
    """
    import onnx

    graph = onnx.load(str(fp32_model)).graph
    outputs = {o.name for o in graph.output}
    writers = [n for n in graph.node if set(n.output) & outputs]
    feeding = {name for n in writers for name in n.input}
    convs = [n for n in graph.node if n.op_type == "Conv" and set(n.output) & feeding]
    return [n.name for n in writers + convs]


def _quantize_static(
    fp32_model: Path, out: Path, ranges: Path, reader: CalibrationDataReader | None
) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(
        str(fp32_model),
        str(out),
        reader,  # None when the ranges file is given
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        calibration_cache_path=str(ranges),
        nodes_to_exclude=output_nodes(fp32_model),
    )


def _build(source: Path, target: Path, want: DerivedRecord) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".platedet-int8-", dir=target.parent) as tmp:
        work = Path(tmp)
        fp32 = work / "fp32.onnx"
        fp32.write_bytes(float32_graph(head_only_graph(source)))
        ranges = work / "ranges.json"
        shutil.copyfile(RANGES, ranges)
        built = work / "int8.onnx"
        _quantize(fp32, built, ranges)
        record = want.model_copy(update={"sha256": sha256_of(built), "size": built.stat().st_size})
        built.chmod(0o644)
        # The record goes last: a crash between the two leaves a record that no longer matches.
        built.replace(target)
        staged = work / "record.json"
        staged.write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
        staged.replace(_record_path(target))


class _Frames:
    """ONNX Runtime's calibration reader over letterboxed frames."""

    def __init__(self, batches: list[np.ndarray], name: str) -> None:
        self._batches = iter(batches)
        self._name = name

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {self._name: batch}


def calibrate(source: Path, frames: Iterable[np.ndarray], out: Path = RANGES) -> int:
    """Write the activation ranges of `source` seen on `frames`; returns how many were used."""
    fp32_graph = float32_graph(head_only_graph(source))
    letterbox = PlateDetector(source, graph=fp32_graph, threads=1)
    batches = [
        letterbox._letterbox(frame, size)[0] for frame in frames for size in CALIBRATION_SIZES
    ]
    with tempfile.TemporaryDirectory(prefix="platedet-calibrate-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        fp32.write_bytes(fp32_graph)
        ranges = Path(tmp) / "ranges.json"
        _quantize(fp32, Path(tmp) / "int8.onnx", ranges, _Frames(batches, letterbox.input_name))
        shutil.copyfile(ranges, out)
    return len(batches)


def main(argv: list[str]) -> int:
    """`python -m alpr.quantize CACHE_DIR`: build the int8 detector (what `make models` runs)."""
    cache_dir = Path(argv[0]) if argv else default_model_cache()
    pack = offline_from_dir(offline_dir(cache_dir))
    print(f"int8 detector: {int8_detector(pack.detector, cache_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
