"""Edge frames per second on the sample clip: today's pack and tracker against the new defaults.

Each configuration reads every frame of `license_plate.mp4` in turn, the order reversed on each
repetition, so a shared machine's load falls on all alike; ratios are per run. Alone:
`python -m bench detector-clip`.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

from alpr.edge import EdgeReader
from alpr.models import Models, load_models
from alpr.recognize import PlateReader
from alpr.settings import EdgeSettings, ModelSettings
from alpr.sources import Frame, open_source
from alpr.tracker import PassTracker
from bench.detector_sweep import CLIP, TODAY_MODELS, TODAY_STREAM_INPUT
from bench.report import Figure, Report

SECTION = "Detector speed: sample clip"
CLIP_COMMAND = "python -m bench detector-clip"


class TodaysTracker(PassTracker):
    """The tracker before detection reuse: any unsettled track, even one the last detection
    missed, kept the detector on every frame until it timed out."""

    def reading_due(self, detected_at: float) -> bool:
        del detected_at
        return any(not t.settled for t in self.tracks)


@dataclass(frozen=True)
class ClipRun:
    name: str
    models: Models
    stream_input: int
    todays_tracker: bool
    edge: EdgeSettings


def _run_clip(run: ClipRun, frames: list[Frame]) -> tuple[float, str]:
    edge = run.edge
    engine = EdgeReader(
        PlateReader(run.models, edge.region),
        edge,
        stream_input=run.stream_input,
        photo_input=ModelSettings().detector_input,
    )
    if run.todays_tracker:
        engine.tracker = TodaysTracker(
            timeout_s=edge.track_timeout_s,
            max_pass_s=edge.max_pass_s,
            settled_confidence=edge.settled_confidence,
            settled_frames=edge.settled_frames,
        )
    started = time.perf_counter()
    finished = [p for f in frames for p in engine.process(f)] + engine.flush()
    fps = len(frames) / (time.perf_counter() - started)
    reads = [p.vote.text for p in finished if p.vote.confidence >= edge.min_read_confidence]
    stats = engine.stats
    return (
        fps,
        f"detector on {stats.detected} frames, OCR {stats.recognized_plates} plates, reads {reads}",
    )


def clip_fps(report: Report, runs: list[ClipRun], frames: list[Frame], reps: int) -> None:
    """The edge reader on every frame of the sample clip, each run in turn, `reps` times."""
    fps: dict[str, list[float]] = {r.name: [] for r in runs}
    seen: dict[str, str] = {}
    for rep in range(reps):
        for run in runs if rep % 2 == 0 else runs[::-1]:
            fps[run.name].append((result := _run_clip(run, frames))[0])
            seen[run.name] = result[1]
    today = runs[0].name
    for run in runs[1:]:
        ratios = [a / b for a, b in zip(fps[run.name], fps[today], strict=True)]
        report.add(
            Figure(
                section=SECTION,
                name=f"license_plate.mp4 frames/s, edge reader (every frame), {run.name}",
                value=statistics.median(fps[run.name]),
                unit="frames/s",
                baseline=today,
                baseline_value=statistics.median(fps[today]),
                command=CLIP_COMMAND,
                notes=f"{len(frames)} frames, {reps} runs each, in turn; per-run ratios "
                f"{', '.join(f'{r:.2f}' for r in ratios)}; {seen[run.name]}; today: "
                f"{seen[today]}",
            )
        )


def run(report: Report, clip_frames: int | None = None, reps: int = 2) -> None:
    cache_dir = ModelSettings().cache_dir
    today = load_models(ModelSettings(cache_dir=cache_dir, **TODAY_MODELS), "offline")
    new = load_models(ModelSettings(cache_dir=cache_dir), "offline")
    # As shipped: `auto` takes the fused pack (CCT beside PP-OCRv4) when it is in the cache.
    shipped = load_models(ModelSettings(cache_dir=cache_dir))
    stream_input = ModelSettings().stream_detector_input
    # Today's reader tracked every box its detector kept (fp16: 0.3 and up).
    todays_edge = EdgeSettings(min_detector_confidence=0.0)
    runs = [
        ClipRun(
            "today's pack and tracker",
            today,
            TODAY_STREAM_INPUT,
            True,
            todays_edge,
        ),
        ClipRun(
            "today's pack, detection reuse",
            today,
            TODAY_STREAM_INPUT,
            False,
            todays_edge,
        ),
        ClipRun("new detector, today's tracker", new, stream_input, True, EdgeSettings()),
        ClipRun(
            "new defaults (new detector, detection reuse)", new, stream_input, False, EdgeSettings()
        ),
        ClipRun(
            f"as shipped ({shipped.pack.kind} pack, detection reuse)",
            shipped,
            stream_input,
            False,
            EdgeSettings(),
        ),
    ]
    frames = list(open_source(str(CLIP)))[:clip_frames]
    clip_fps(report, runs, frames, reps)


if __name__ == "__main__":
    # A smoke run that writes nothing: `python -m bench.detector_clip FRAMES`.
    run(Report(), int(sys.argv[1]), reps=1)
