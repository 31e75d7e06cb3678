"""The edge reader as shipped (`models` defaults: the fused pack, int8 platedet, the fused
recognizer) against today's offline pack (platedet as shipped, fp16, and PP-OCRv4) on the 265
openalpr-dev photos, each photo read by both in turn in the same run, detection included; then
the hotlist experiments of bench/hotlist_recall.py on what each reads, with today's matcher
settings (the hit threshold included)."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from pathlib import Path

from alpr.evaluate import PlateOutcome, load_labels, match
from alpr.models import Models, load_models
from alpr.recognize import PlateReader
from alpr.settings import ModelSettings
from alpr.sources import load_image
from bench.report import Figure, Report

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "openalpr-dev"
SECTION = "Edge reader as shipped"
COMMAND = "python -m bench alpr-shipped"
TODAY = "today's offline pack (fp16 platedet + PP-OCRv4), same run"


def _pct(outcomes: list[PlateOutcome], within_one: bool = False) -> float:
    hits = sum(o.within_one_edit if within_one else o.exact for o in outcomes)
    return 100 * hits / max(1, len(outcomes))


def _add(
    report: Report,
    name: str,
    value: float,
    unit: str,
    baseline_value: float,
    *,
    higher_is_better: bool = True,
    notes: str = "",
) -> None:
    report.add(
        Figure(
            section=SECTION,
            name=name,
            value=value,
            unit=unit,
            baseline=TODAY,
            baseline_value=baseline_value,
            higher_is_better=higher_is_better,
            command=COMMAND,
            notes=notes,
        )
    )


def _found(outcomes: list[PlateOutcome]) -> float:
    return 100 * sum(bool(o.found) for o in outcomes) / max(1, len(outcomes))


def run(report: Report) -> None:
    shipped = load_models(ModelSettings())
    today = load_models(
        ModelSettings(detector_precision="fp16", recognizer="ppocr", photo_second_look=None),
        "offline",
    )
    runs: dict[str, Models] = {"shipped": shipped, "today": today}
    _photos(report, runs)
    _hotlist_recall(report, runs)


def _photos(report: Report, runs: dict[str, Models]) -> None:
    shipped = runs["shipped"]
    outcomes: dict[str, list[PlateOutcome]] = defaultdict(list)
    ms: dict[str, list[float]] = defaultdict(list)
    for label in load_labels(DEV / "labels.csv"):
        image = load_image(DEV / label.file)
        for name, models in runs.items():
            started = time.perf_counter()
            seen = PlateReader(models, label.region).read_frame(image, 640)
            ms[name].append(1000 * (time.perf_counter() - started))
            outcomes[name] += match([label], seen)
    new, old = outcomes["shipped"], outcomes["today"]
    pack = f"{shipped.pack.kind} pack, recognizer {type(shipped.recognizer).__name__}"
    _add(report, "exact reads, 265 dev photos", _pct(new), "%", _pct(old), notes=pack)
    for region in ("us", "eu", "br"):
        mine = [o for o in new if o.label.region == region]
        theirs = [o for o in old if o.label.region == region]
        _add(report, f"{region} exact reads", _pct(mine), "%", _pct(theirs), notes=f"{len(mine)}")
    _add(report, "within one character", _pct(new, True), "%", _pct(old, True))
    _add(report, "plates found (IoU>=0.5)", _found(new), "%", _found(old))
    _add(
        report,
        "median ms per photo (detect + read)",
        statistics.median(ms["shipped"]),
        "ms",
        statistics.median(ms["today"]),
        higher_is_better=False,
        notes="both read every photo in turn, so load on the machine hits both alike",
    )


def _hotlist_recall(report: Report, runs: dict[str, Models]) -> None:
    """bench/hotlist_recall.py's photo experiment on what each pack reads (`platewatch read`'s
    path: no region hint, the reads the matcher would be given)."""
    from bench.alpr_recognizers import photo_reads
    from bench.hotlist_bench import OUT, SYNTHETIC, labels, synthetic_plates
    from bench.hotlist_recall import recall_experiment, synthetic_experiment
    from platewatch.settings import load_settings

    settings = load_settings(None)
    OUT.mkdir(parents=True, exist_ok=True)
    entries = synthetic_plates(SYNTHETIC, 2024, {x.plate for x in labels()})
    for name, models in runs.items():
        what = "photos, as shipped" if name == "shipped" else f"photos, {TODAY}"
        reads = photo_reads(settings, models, DEV)
        recall_experiment(report, entries, reads, what=what, section=SECTION, command=COMMAND)
        if name == "shipped":
            # The hit threshold's false-alert side: the shipped reader's noise on 100,000
            # plates that are not on the list.
            synthetic_experiment(
                report,
                entries,
                reads,
                what="synthetic reads with the shipped reader's noise",
                section=SECTION,
                command=COMMAND,
            )
