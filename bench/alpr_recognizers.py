"""Recognizers side by side on openalpr-dev: today's offline pack (PP-OCRv4), CCT, and fused.

Every photo is detected once (the offline detector) and the same boxes go to each recognizer,
so the accuracy figures differ only by recognizer and the ms per photo is the shared detection
plus that recognizer's own time, measured in the same run. Fusion weights and crops were
chosen on the even-indexed photos; the odd-indexed ones are reported apart as held out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from alpr.evaluate import LabelledPlate, PlateOutcome, match
from alpr.models import Models, recognizer_for
from alpr.reading import evaluate_labels, read_inputs
from alpr.recognize import PlateReader
from alpr.sources import load_image
from bench.report import Figure, Report
from platewatch.settings import Settings

SHARED_MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
CCT_DIR = SHARED_MODELS / "fast-plate-ocr" / "cct-xs-v2-global-model"
CCT_FILES = ("cct_xs_v2_global.onnx", "cct_xs_v2_global_plate_config.yaml")
TODAY = "ppocr"


def with_cct(offline: Models, settings: Settings) -> dict[str, Models] | None:
    """ppocr (today's pack), cct and fused on the same detector; None without the weights."""
    model, config = (CCT_DIR / name for name in CCT_FILES)
    if not (model.is_file() and config.is_file()):
        return None
    pack = replace(offline.pack, cct_model=model, cct_config=config)
    out = {TODAY: offline}
    for name in ("cct", "fused"):
        recognizer = recognizer_for(settings.models, pack, name)
        out[name] = Models(pack, offline.detector, recognizer, offline.corners)
    return out


def _figure(section: str, name: str, value: float, unit: str, **extra: Any) -> Figure:
    return Figure(
        section=section, name=name, value=value, unit=unit, command="python -m bench alpr", **extra
    )


def _pct(outcomes: list[PlateOutcome], test: str = "exact") -> float:
    if not outcomes:
        return float("nan")
    hits = sum(o.exact if test == "exact" else o.within_one_edit for o in outcomes)
    return 100 * hits / max(1, len(outcomes))


def compare_photos(
    report: Report,
    section: str,
    all_models: dict[str, Models],
    labels: list[LabelledPlate],
    dev: Path,
) -> None:
    """Exact and within-one per recognizer and region, held-out half, and ms per photo."""
    outcomes: dict[str, list[tuple[int, PlateOutcome]]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    detect_s = 0.0
    some = next(iter(all_models.values()))
    for index, label in enumerate(labels):
        image = load_image(dev / label.file)
        started = time.perf_counter()
        boxes = PlateReader(some, label.region).detect(image, 640)
        detect_s += time.perf_counter() - started
        for name, models in all_models.items():
            started = time.perf_counter()
            seen = PlateReader(models, label.region).read_boxes(image, boxes)
            seconds[name] += time.perf_counter() - started
            observed = [o for o in seen if o is not None]
            outcomes[name] += [(index, o) for o in match([label], observed)]
    photos = len(labels)
    today_ms = 1000 * (detect_s + seconds[TODAY]) / photos
    for name, pairs in outcomes.items():
        every = [o for _, o in pairs]
        by_region: dict[str, list[PlateOutcome]] = defaultdict(list)
        for o in every:
            by_region[o.label.region or "unknown"].append(o)
        regions = ", ".join(f"{r} {_pct(v):.1f}% of {len(v)}" for r, v in sorted(by_region.items()))
        held = [o for i, o in pairs if i % 2 == 1]
        tuned = [o for i, o in pairs if i % 2 == 0]
        report.add(
            _figure(
                section,
                f"recognizer {name}: openalpr-dev exact reads",
                _pct(every),
                "%",
                baseline=f"{TODAY} (today's offline pack)",
                baseline_value=_pct([o for _, o in outcomes[TODAY]]),
                notes=f"{regions}; held-out odd photos {_pct(held):.1f}% (tuned on even "
                f"{_pct(tuned):.1f}%); same detections for every recognizer",
            )
        )

        def held_in(
            region: str, pairs: list[tuple[int, PlateOutcome]] = pairs
        ) -> list[PlateOutcome]:
            return [o for i, o in pairs if i % 2 and o.label.region == region]

        for region, items in sorted(by_region.items()):
            report.add(
                _figure(
                    section,
                    f"recognizer {name}: {region} exact reads",
                    _pct(items),
                    "%",
                    notes=f"{len(items)} plates; held out {_pct(held_in(region)):.1f}%",
                )
            )
        found = [o for o in every if o.read]
        report.add(
            _figure(
                section,
                f"recognizer {name}: within one character",
                _pct(every, "within_one_edit"),
                "%",
                notes=f"of plates detected and read: {_pct(found, 'within_one_edit'):.1f}% "
                f"({len(found)} of {len(every)}); held out {_pct(held, 'within_one_edit'):.1f}%",
            )
        )
        ms = 1000 * (detect_s + seconds[name]) / photos
        report.add(
            _figure(
                section,
                f"recognizer {name}: ms per photo (detect + read)",
                ms,
                "ms",
                baseline=f"{TODAY} (today's offline pack), same run",
                baseline_value=today_ms,
                higher_is_better=False,
                notes=f"detection {1000 * detect_s / photos:.0f} ms shared; this recognizer "
                f"{1000 * seconds[name] / photos:.0f} ms per photo",
            )
        )


def compare_crops(
    report: Report,
    section: str,
    settings: Settings,
    all_models: dict[str, Models],
    labels: list[LabelledPlate],
    dev: Path,
) -> None:
    """`platewatch eval --crops`: the labelled boxes read without the detector."""
    for name, models in all_models.items():
        result = evaluate_labels(
            settings, labels, dev, models=models, region="labels", on_error=print, crops=True
        )
        regions = ", ".join(f"{r} {100 * (f.exact or 0):.1f}%" for r, f in result.regions().items())
        report.add(
            _figure(
                section,
                f"recognizer {name}: labelled crops read exactly (no detector)",
                100 * (result.figures().exact or 0.0),
                "%",
                notes=f"{regions}; within one "
                f"{100 * (result.figures().within_one_edit or 0):.1f}%; "
                f"{result.ms_per_image} ms per photo",
            )
        )


def photo_reads(settings: Settings, models: Models, dev: Path) -> list[dict[str, Any]]:
    """What `platewatch read --json` gives for every photo (no region hint), in process."""
    photos = sorted(str(p) for p in dev.glob("*/*") if p.suffix.lower() in {".jpg", ".png"})
    reads: list[dict[str, Any]] = []

    def keep(read: Any) -> None:
        payload = read.model_dump(mode="json")
        payload["box"] = read.box.as_list()
        reads.append(payload)

    read_inputs(
        settings,
        photos,
        models=models,
        region=None,
        camera_id="bench",
        on_read=keep,
        on_error=print,
    )
    return reads


def hotlist_recall(
    report: Report, section: str, settings: Settings, all_models: dict[str, Models], dev: Path
) -> None:
    """bench/hotlist_recall.py's photo experiment on each recognizer's reads."""
    from bench.hotlist_bench import OUT, SYNTHETIC, labels, synthetic_plates
    from bench.hotlist_recall import recall_experiment

    OUT.mkdir(parents=True, exist_ok=True)
    entries = synthetic_plates(SYNTHETIC, 2024, {x.plate for x in labels()})
    for name in (TODAY, "fused"):
        reads = photo_reads(settings, all_models[name], dev)
        recall_experiment(
            report,
            entries,
            reads,
            what=f"photos, recognizer {name}",
            section=section,
            command="python -m bench alpr",
        )
