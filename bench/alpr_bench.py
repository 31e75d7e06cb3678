"""Edge reader benchmark: accuracy on openalpr-dev, and speed beside the naive fast-alpr loop.

The naive loop is `fast_alpr.ALPR(detector=<offline detector at its native 640x640>,
ocr=<offline recognizer>).predict` on every image or frame, measured in the same run on the
same weights, so the ratios hold on a noisy shared machine. Alone: `python -m bench alpr`.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from alpr.ctc import Reading
from alpr.detector import PlateDetector
from alpr.edge import EdgeReader
from alpr.evaluate import EvalResult, LabelledPlate, load_labels, match
from alpr.models import Models, load_models
from alpr.read import Box, normalize_plate
from alpr.reading import evaluate_labels
from alpr.recognize import Observation, PlateReader
from alpr.sources import Frame, load_image, open_source
from alpr.stats import EdgeStats
from bench.report import Figure, Report
from platewatch.settings import Settings, load_settings

if TYPE_CHECKING:
    from fast_alpr import ALPR

SECTION = "Edge reader"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DEV = SHARED / "openalpr-dev"
CLIP = SHARED / "samples" / "license_plate.mp4"
CLIP_PLATE = "LS15EBC"
COMMAND = "python -m bench alpr"
NAIVE = "naive fast-alpr loop"


def run(report: Report) -> None:
    settings = load_settings(None)
    models = load_models(settings.models, "offline")
    labels = load_labels(DEV / "labels.csv")
    ours = _accuracy(report, settings, models, labels)
    naive = _naive_photos(_naive_alpr(models), labels)
    _add(
        report,
        "openalpr-dev exact reads, naive loop",
        _pct(naive.figures().exact),
        "%",
        notes="ALPR.predict: 640x640 detector, tight crop, PP-OCRv4 argmax over A-Z0-9",
    )
    _add(
        report,
        "openalpr-dev images/s, edge reader",
        ours.images / ours.seconds,
        "images/s",
        baseline=(NAIVE, naive.images / naive.seconds),
        notes="640 long side letterboxed (not square), 3 crops per plate in one OCR batch, "
        "format-constrained decoding",
    )
    _video(report, settings, models)
    _recognizers(report, settings, models, labels)


def _recognizers(
    report: Report, settings: Settings, models: Models, labels: list[LabelledPlate]
) -> None:
    """CCT and the fused reader beside today's offline pack (`bench.alpr_recognizers`)."""
    from bench import alpr_recognizers as side

    all_models = side.with_cct(models, settings)
    if all_models is None:
        report.note(SECTION, f"CCT and fused readers not measured: {side.CCT_DIR} is absent")
        return
    side.compare_photos(report, SECTION, all_models, labels, DEV)
    side.compare_crops(report, SECTION, settings, all_models, labels, DEV)
    frames = list(open_source(str(CLIP)))
    _, today_fps, _ = _edge_run(settings, models, frames, len(frames))
    reads, fused_fps, _ = _edge_run(settings, all_models["fused"], frames, len(frames))
    _add(
        report,
        "license_plate.mp4 frames/s, fused reader (every frame)",
        fused_fps,
        "frames/s",
        baseline=("today's offline pack, same run", today_fps),
        notes=f"reads {reads}",
    )
    side.hotlist_recall(report, SECTION, settings, all_models, DEV)


def _add(
    report: Report,
    name: str,
    value: float,
    unit: str,
    *,
    baseline: tuple[str, float] | None = None,
    higher: bool = True,
    notes: str = "",
) -> None:
    report.add(
        Figure(
            section=SECTION,
            name=name,
            value=value,
            unit=unit,
            baseline=baseline[0] if baseline else None,
            baseline_value=baseline[1] if baseline else None,
            higher_is_better=higher,
            command=COMMAND,
            notes=notes,
        )
    )


def _pct(share: float | None) -> float:
    return 100 * (share or 0.0)


def _accuracy(
    report: Report, settings: Settings, models: Models, labels: list[LabelledPlate]
) -> EvalResult:
    result = evaluate_labels(settings, labels, DEV, models=models, region="labels", on_error=print)
    overall = result.figures()
    _add(
        report,
        "openalpr-dev exact reads",
        _pct(overall.exact),
        "%",
        notes="camera region = the photo's labelled region (us/eu/br), as a deployed camera "
        "is configured",
    )
    _add(report, "openalpr-dev within one edit", _pct(overall.within_one_edit), "%")
    _add(report, "openalpr-dev plates found (IoU>=0.5)", _pct(overall.detection_recall), "%")
    _add(
        report,
        "openalpr-dev ms per image (detect + read)",
        result.ms_per_image or 0.0,
        "ms",
        higher=False,
        notes="detector 2 threads, OCR 1 thread",
    )
    for region, fig in result.regions().items():
        _add(
            report,
            f"openalpr-dev {region} exact reads",
            _pct(fig.exact),
            "%",
            notes=f"{fig.plates} plates; within one edit {_pct(fig.within_one_edit):.1f}%; "
            f"found {_pct(fig.detection_recall):.1f}%",
        )
    unhinted = evaluate_labels(settings, labels, DEV, models=models, region="none", on_error=print)
    _add(
        report,
        "openalpr-dev exact reads, no region hint",
        _pct(unhinted.figures().exact),
        "%",
        notes=f"every region's formats tried; within one edit "
        f"{_pct(unhinted.figures().within_one_edit):.1f}%",
    )
    return result


def _naive_alpr(models: Models) -> ALPR:
    from fast_alpr import ALPR

    return ALPR(
        detector=PlateDetector(models.pack.detector, input_size=640, square=True),
        ocr=models.recognizer.ocr,
    )


def _text_only(text: str) -> Reading:
    clean = normalize_plate(text)
    return Reading(clean, tuple(1.0 for _ in clean), tuple(((c, 1.0),) for c in clean), 0.0, 1)


def _naive_photos(alpr: ALPR, labels: list[LabelledPlate]) -> EvalResult:
    result = EvalResult()
    by_file: dict[str, list[LabelledPlate]] = {}
    for label in labels:
        by_file.setdefault(label.file, []).append(label)
    for name, plates in by_file.items():
        image = load_image(DEV / name)
        started = time.perf_counter()
        found = alpr.predict(image)
        result.seconds += time.perf_counter() - started
        result.images += 1
        observations = []
        for r in found:
            b = r.detection.bounding_box
            box = Box(x1=b.x1, y1=b.y1, x2=b.x2, y2=b.y2)
            text = r.ocr.text if r.ocr else ""
            observations.append(
                Observation(box, float(r.detection.confidence), _text_only(text), None)
            )
        result.outcomes += match(plates, observations)
    return result


def _video(report: Report, settings: Settings, models: Models) -> None:
    frames = list(open_source(str(CLIP)))
    alpr = _naive_alpr(models)
    started = time.perf_counter()
    texts = Counter(
        normalize_plate(r.ocr.text) for f in frames for r in alpr.predict(f.image) if r.ocr
    )
    naive_fps = len(frames) / (time.perf_counter() - started)
    naive_text = texts.most_common(1)[0][0] if texts else ""
    reads, edge_fps, stats = _edge_run(settings, models, frames, len(frames))
    _add(
        report,
        "license_plate.mp4 frames/s, edge reader (every frame)",
        edge_fps,
        "frames/s",
        baseline=(f"{NAIVE}, every frame", naive_fps),
        notes=f"{len(frames)} frames; detector ran on {stats.detected}, OCR read "
        f"{stats.recognized_plates} plates; {stats.skipped_settled} frames skipped as settled, "
        f"{stats.skipped_still} as still",
    )
    capped = list(open_source(str(CLIP), max_fps=settings.edge.max_fps))
    capped_reads, capped_fps, capped_stats = _edge_run(settings, models, capped, len(frames))
    _add(
        report,
        f"license_plate.mp4 frames/s, edge reader at {settings.edge.max_fps:g} fps cap",
        capped_fps,
        "source frames/s",
        baseline=(f"{NAIVE}, every frame", naive_fps),
        notes=f"{len(capped)} of {len(frames)} frames taken; detector ran on "
        f"{capped_stats.detected}; reads {capped_reads}",
    )
    correct = 100.0 * (reads == [CLIP_PLATE])
    _add(
        report,
        "license_plate.mp4 vehicles read exactly, edge reader",
        correct,
        "%",
        baseline=(
            "naive loop, majority of its per-frame reads",
            100.0 * (naive_text == CLIP_PLATE),
        ),
        notes=f"1 vehicle ({CLIP_PLATE}): edge reader gave {reads}; the naive loop gave "
        f"{sum(texts.values())} per-frame reads, {texts.get(CLIP_PLATE, 0)} of them exact, "
        f"most often {naive_text!r}",
    )


def _edge_run(
    settings: Settings, models: Models, frames: list[Frame], source_frames: int
) -> tuple[list[str], float, EdgeStats]:
    engine = EdgeReader(
        PlateReader(models, settings.edge.region),
        settings.edge,
        stream_input=settings.models.stream_detector_input,
        photo_input=settings.models.detector_input,
    )
    started = time.perf_counter()
    finished = [p for f in frames for p in engine.process(f)] + engine.flush()
    elapsed = time.perf_counter() - started
    reads = [
        p.vote.text for p in finished if p.vote.confidence >= settings.edge.min_read_confidence
    ]
    return reads, source_frames / elapsed, engine.stats
