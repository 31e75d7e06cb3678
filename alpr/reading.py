"""What `platewatch read` and `platewatch eval` do, as functions scripts and tests can call.

Each input is read on its own: a bad one is reported through `on_error` (one line naming it and
why) and the others go on. Photos give one read per legible plate; videos and streams one read
per vehicle pass through the same tracker as the edge reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alpr.edge import EdgeReader, to_plate_read
from alpr.evaluate import EvalResult, LabelledPlate, evaluate
from alpr.packs import ModelsUnavailableError
from alpr.read import PlateRead
from alpr.recognize import PlateReader
from alpr.sources import SourceError, open_source

if TYPE_CHECKING:
    from alpr.models import Models
    from alpr.settings import AlprSections


@dataclass
class InputsSummary:
    """What `read_inputs` did with the inputs it was given (hotlist.ingest.ReadOutcome is what
    the matcher did with one read)."""

    readable: int = 0
    reads: int = 0
    fatal: str | None = None
    errors: int = 0
    # Inputs (as given) that gave no frame or reported an error, such as one bad photo in a folder.
    failed: list[str] = field(default_factory=list)


def read_inputs(
    settings: AlprSections,
    paths: Sequence[str],
    *,
    models: str | Models | None,
    region: str | None,
    camera_id: str,
    on_read: Callable[[PlateRead], None],
    on_error: Callable[[str], None],
    recognizer: str | None = None,
) -> InputsSummary:
    """Read every input; `readable` counts inputs that gave at least one frame."""
    from alpr.models import Models, load_models

    outcome = InputsSummary()
    try:
        loaded = (
            models
            if isinstance(models, Models)
            else load_models(settings.models, models, recognizer)
        )
    except ModelsUnavailableError as exc:
        outcome.fatal = str(exc)
        return outcome
    reader = PlateReader(loaded, region)
    for path in paths:
        errors_before = outcome.errors
        frames_seen = _read_one(
            settings,
            reader=reader,
            path=path,
            camera_id=camera_id,
            on_read=on_read,
            on_error=on_error,
            outcome=outcome,
        )
        outcome.readable += frames_seen > 0
        if frames_seen == 0 or outcome.errors > errors_before:
            outcome.failed.append(path)
    return outcome


def _read_one(
    settings: AlprSections,
    *,
    reader: PlateReader,
    path: str,
    camera_id: str,
    on_read: Callable[[PlateRead], None],
    on_error: Callable[[str], None],
    outcome: InputsSummary,
) -> int:
    engine = EdgeReader(
        reader,
        settings.edge,
        stream_input=settings.models.stream_detector_input,
        photo_input=settings.models.detector_input,
    )

    def report(error: SourceError) -> None:
        outcome.errors += 1
        on_error(str(error))

    frames = 0
    finished = []
    for frame in open_source(path, max_fps=settings.edge.max_fps, on_error=report):
        frames += 1
        finished += engine.process(frame)
    finished += engine.flush()
    for item in finished:
        if item.vote.confidence < settings.edge.min_read_confidence:
            continue
        on_read(to_plate_read(item, camera_id=camera_id, source=path, image_root=None))
        outcome.reads += 1
    return frames


def evaluate_labels(
    settings: AlprSections,
    labels: Sequence[LabelledPlate],
    images_dir: Path,
    *,
    models: str | Models | None,
    region: str,
    on_error: Callable[[str], None],
    recognizer: str | None = None,
    crops: bool = False,
) -> EvalResult:
    """Evaluate on labelled photos (or, with `crops`, on their labelled boxes without the
    detector); `region` is labels, none, or one of us/eu/br."""
    from alpr.models import Models, load_models

    loaded = (
        models if isinstance(models, Models) else load_models(settings.models, models, recognizer)
    )
    groups: dict[str | None, list[LabelledPlate]] = {}
    for label in labels:
        key = label.region if region == "labels" else (None if region == "none" else region)
        groups.setdefault(key, []).append(label)
    total = EvalResult()
    for key, rows in groups.items():
        part = evaluate(
            PlateReader(loaded, key),
            rows,
            images_dir,
            input_size=settings.models.detector_input,
            crops=crops,
            on_error=on_error,
        )
        total.images += part.images
        total.seconds += part.seconds
        total.outcomes += part.outcomes
        total.failed += part.failed
    return total
