"""Detector speed sweep: recall and ms of platedet at each input size, precision, graph
optimisation level and thread count, then detect + read, today against the new defaults.

Every setting runs on the same photo one after another (the order rotating per photo), so the
load of a shared machine falls on all of them alike; ratios are per-photo medians against
today's detector (fp16, 640, ORT_ENABLE_ALL, 2 threads). Recall is IoU >= 0.5 against the
labels (alpr/evaluate.py). The int8 model's activation ranges come from `calibration_frames`
(sample photos and clip frames), never from the dev photos. Alone: `python -m bench detector`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from alpr.ctc import Reading
from alpr.detector import Optimization, PlateDetector, float32_graph, head_only_graph
from alpr.evaluate import Figures, LabelledPlate, PlateOutcome, load_labels, match
from alpr.models import Models, load_models
from alpr.packs import fetch_offline
from alpr.quantize import int8_detector
from alpr.read import Box
from alpr.recognize import Observation, PlateReader
from alpr.settings import ModelSettings
from alpr.sources import load_image, open_source
from bench.report import Figure, Report

SECTION = "Detector speed"
COMMAND = "python -m bench detector"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DEV = SHARED / "openalpr-dev"
SAMPLES = SHARED / "samples"
CLIP = SAMPLES / "license_plate.mp4"
CLIP_STEP = 10
SIZES = (640, 512, 480, 416, 384, 320)
# Threads and optimisation level change what is found by rounding at most: timed on every 6th photo.
TIMING_STEP = 6
Precision = Literal["fp16", "int8", "dynamic"]
NO_READING = Reading("", (), (), 0.0, 0)
# Today's threshold first; int8 scores sit a little lower, so lower operating points are scored.
THRESHOLDS = (0.3, 0.25, 0.2)


@dataclass(frozen=True)
class Setting:
    precision: Precision
    size: int
    threads: int = 2
    optimization: Optimization = "all"
    timing_only: bool = False

    @property
    def name(self) -> str:
        return f"{self.precision} {self.size}, {self.threads} thr, opt {self.optimization}"

    @property
    def engine(self) -> tuple[Precision, int, Optimization]:
        return (self.precision, self.threads, self.optimization)


@dataclass
class Tally:
    ms: list[float] = field(default_factory=list)
    today_ms: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    # By confidence threshold: boxes above it are the same whether cut before or after NMS.
    outcomes: dict[float, list[PlateOutcome]] = field(default_factory=dict)
    extra_boxes: dict[float, int] = field(default_factory=dict)

    def add(self, plates: list[LabelledPlate], observations: list[Observation]) -> None:
        for threshold in THRESHOLDS:
            kept = [o for o in observations if o.detector_confidence >= threshold]
            outcomes = match(plates, kept)
            self.outcomes.setdefault(threshold, []).extend(outcomes)
            found = sum(bool(o.found) for o in outcomes)
            self.extra_boxes[threshold] = self.extra_boxes.get(threshold, 0) + len(kept) - found

    def recall(self, threshold: float) -> float:
        return 100 * (Figures.of(self.outcomes.get(threshold, [])).detection_recall or 0.0)


TODAY = Setting("fp16", 640)


def settings_swept() -> list[Setting]:
    rows = [Setting(p, s) for p in ("fp16", "int8") for s in SIZES]
    rows.append(Setting("dynamic", 640))
    rows += [Setting(p, 640, optimization="basic", timing_only=True) for p in ("fp16", "int8")] + [
        Setting(p, 640, threads=1, timing_only=True) for p in ("fp16", "int8")
    ]
    return rows


def calibration_frames() -> Iterator[np.ndarray]:
    """The sample photos and every tenth clip frame: never the dev photos recall is scored on."""
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix.lower() in {".jpg", ".png", ".webp"} and "plate" not in path.stem:
            yield load_image(path)
    for i, frame in enumerate(open_source(str(CLIP))):
        if i % CLIP_STEP == 0:
            yield frame.image


def _dynamic_graph(source: Path) -> bytes:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="platedet-dynamic-") as tmp:
        fp32, out = Path(tmp) / "fp32.onnx", Path(tmp) / "dynamic.onnx"
        fp32.write_bytes(float32_graph(head_only_graph(source)))
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8)
        return out.read_bytes()


def build_detectors(
    rows: list[Setting], source: Path, cache_dir: Path
) -> dict[tuple[Precision, int, Optimization], PlateDetector]:
    graphs: dict[Precision, bytes | None] = {
        "fp16": None,
        "int8": int8_detector(source, cache_dir).read_bytes(),
        "dynamic": _dynamic_graph(source),
    }
    return {
        engine: PlateDetector(
            source,
            graph=graphs[engine[0]],
            threads=engine[1],
            optimization=engine[2],
            conf_threshold=min(THRESHOLDS),
        )
        for engine in {row.engine for row in rows}
    }


def photos_by_file(labels: list[LabelledPlate]) -> dict[str, list[LabelledPlate]]:
    by_file: dict[str, list[LabelledPlate]] = {}
    for label in labels:
        by_file.setdefault(label.file, []).append(label)
    return by_file


def _observations(detector: PlateDetector, image: np.ndarray, size: int) -> list[Observation]:
    found = detector.detect(image, size)
    return [
        Observation(
            Box(
                x1=d.bounding_box.x1,
                y1=d.bounding_box.y1,
                x2=d.bounding_box.x2,
                y2=d.bounding_box.y2,
            ),
            float(d.confidence),
            NO_READING,
            None,
        )
        for d in found
    ]


def sweep(
    rows: list[Setting], source: Path, cache_dir: Path, labels: list[LabelledPlate]
) -> dict[Setting, Tally]:
    """Each setting on each dev photo (timing-only ones on every TIMING_STEP-th photo)."""
    detectors = build_detectors(rows, source, cache_dir)
    tallies = {row: Tally() for row in rows}
    for n, (name, plates) in enumerate(photos_by_file(labels).items()):
        image = load_image(DEV / name)
        todays = rows.index(TODAY)
        order = rows[n % len(rows) :] + rows[: n % len(rows)]
        times: dict[Setting, float] = {}
        for row in order:
            if row.timing_only and n % TIMING_STEP:
                continue
            started = time.perf_counter()
            observations = _observations(detectors[row.engine], image, row.size)
            times[row] = 1000 * (time.perf_counter() - started)
            tallies[row].ms.append(times[row])
            tallies[row].add(plates, observations)
        for row, ms in times.items():
            tallies[row].today_ms.append(times[rows[todays]])
            tallies[row].ratios.append(ms / times[rows[todays]])
    return tallies


def _add(report: Report, name: str, value: float, unit: str, **extra: object) -> None:
    report.add(Figure(section=SECTION, name=name, value=value, unit=unit, command=COMMAND, **extra))  # type: ignore[arg-type]


def report_sweep(report: Report, tallies: dict[Setting, Tally]) -> None:
    for row, tally in tallies.items():
        photos = len(tally.ms)
        found = ", ".join(
            f"{tally.recall(t):.2f}% at conf {t:g} ({100 * tally.extra_boxes[t] / photos:.0f} "
            "unlabelled boxes per 100 photos)"
            for t in THRESHOLDS
        )
        notes = (
            f"{photos} photos (every {TIMING_STEP}th): timing only, same graph as above"
            if row.timing_only
            else f"{photos} photos; found (IoU>=0.5) {found}"
        )
        _add(
            report,
            f"detector alone, {row.name}",
            statistics.median(tally.ms),
            "ms median",
            baseline="today's detector on the same photos",
            baseline_value=statistics.median(tally.today_ms),
            higher_is_better=False,
            notes=f"{notes}; per-photo time ratio to today, median "
            f"{statistics.median(tally.ratios):.2f}",
        )


# Today's offline pack, pinned here so the baseline stays today's when the defaults move.
TODAY_STREAM_INPUT = 512
TODAY_MODELS: dict[str, str | int | None] = {
    "detector_precision": "fp16",
    "photo_second_look": None,
    "detector_input": 640,
    "stream_detector_input": TODAY_STREAM_INPUT,
    "detector_threads": 2,
}


def detect_and_read(
    report: Report, today: Models, new: Models, labels: list[LabelledPlate]
) -> None:
    """Both packs on every dev photo, alternating which goes first."""
    ms: dict[str, list[float]] = {"today": [], "new": []}
    outcomes: dict[str, list[PlateOutcome]] = {"today": [], "new": []}
    packs = {"today": today, "new": new}
    for n, (name, plates) in enumerate(photos_by_file(labels).items()):
        image = load_image(DEV / name)
        for key in ("today", "new") if n % 2 else ("new", "today"):
            reader = PlateReader(packs[key], plates[0].region)
            started = time.perf_counter()
            observations = reader.read_frame(image)
            ms[key].append(1000 * (time.perf_counter() - started))
            outcomes[key] += match(plates, observations)
    ratio = statistics.median(a / b for a, b in zip(ms["new"], ms["today"], strict=True))
    figures = {key: Figures.of(items) for key, items in outcomes.items()}
    _add(
        report,
        "detect + read, ms per photo (median), new defaults",
        statistics.median(ms["new"]),
        "ms",
        baseline="today's offline pack, same photos",
        baseline_value=statistics.median(ms["today"]),
        higher_is_better=False,
        notes=f"{len(ms['new'])} openalpr-dev photos, camera region from the labels; per-photo "
        f"time ratio new/today, median {ratio:.2f}; found {_pct(figures['new'].detection_recall)} "
        f"(today {_pct(figures['today'].detection_recall)}), exact "
        f"{_pct(figures['new'].exact)} (today {_pct(figures['today'].exact)})",
    )


def _pct(share: float | None) -> str:
    return f"{100 * (share or 0.0):.2f}%"


def run(report: Report, photos: int | None = None) -> None:
    """The whole sweep; `photos` cuts it short for a smoke run. The clip: bench/detector_clip.py."""
    cache_dir = ModelSettings().cache_dir
    source = fetch_offline(cache_dir).detector
    labels = load_labels(DEV / "labels.csv")
    if photos is not None:
        labels = [lab for lab in labels if lab.file in list(photos_by_file(labels))[:photos]]
    report_sweep(report, sweep(settings_swept(), source, cache_dir, labels))
    today = load_models(ModelSettings(cache_dir=cache_dir, **TODAY_MODELS), "offline")
    new = load_models(ModelSettings(cache_dir=cache_dir), "offline")
    detect_and_read(report, today, new, labels)


if __name__ == "__main__":
    # `python -m bench.detector_sweep calibrate` rewrites alpr/platedet_int8_ranges.json;
    # `python -m bench.detector_sweep PHOTOS` is a smoke run that writes nothing.
    if sys.argv[1] == "calibrate":
        from alpr.quantize import calibrate

        used = calibrate(fetch_offline(ModelSettings().cache_dir).detector, calibration_frames())
        print(f"calibrated on {used} letterboxed frames")
    else:
        run(Report(), int(sys.argv[1]))
