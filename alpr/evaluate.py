"""Accuracy of the reader on labelled photos: `platewatch eval` and the benchmark.

Labels are a CSV `file,plate_text,x,y,w,h,region` (file relative to the images folder, box may be
blank). A labelled plate counts as found when a detection overlaps its box with IoU >= 0.5; its
text is the read of that detection (or, without a box, of the most confident unclaimed one).
Texts are compared after `normalize_plate` (upper case, A-Z and 0-9 only). In crops mode the
detector is skipped: each labelled box is read as if detected, which scores the recognizers alone.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from alpr.read import Box, normalize_plate
from alpr.recognize import Observation, PlateReader
from alpr.sources import SourceError, load_image

REQUIRED_COLUMNS = ("file", "plate_text", "x", "y", "w", "h", "region")
MATCH_IOU = 0.5


class LabelsError(ValueError):
    """The labels file is unreadable or malformed; the message names the file and line."""


@dataclass(frozen=True)
class LabelledPlate:
    file: str
    plate: str
    box: Box | None
    region: str | None
    line: int


@dataclass(frozen=True)
class PlateOutcome:
    label: LabelledPlate
    read: str
    found: bool | None

    @property
    def exact(self) -> bool:
        return self.read == self.label.plate

    @property
    def within_one_edit(self) -> bool:
        return edit_distance(self.read, self.label.plate) <= 1


@dataclass
class EvalResult:
    images: int = 0
    seconds: float = 0.0
    outcomes: list[PlateOutcome] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ms_per_image(self) -> float | None:
        return round(1000 * self.seconds / self.images, 1) if self.images else None

    def figures(self) -> Figures:
        return Figures.of(self.outcomes)

    def regions(self) -> dict[str, Figures]:
        by_region: dict[str, list[PlateOutcome]] = defaultdict(list)
        for outcome in self.outcomes:
            by_region[outcome.label.region or "unknown"].append(outcome)
        return {name: Figures.of(items) for name, items in sorted(by_region.items())}

    def summary(self) -> dict[str, object]:
        """The figures `platewatch eval --json` prints, overall and per region."""
        return {
            "images": self.images,
            **asdict(self.figures()),
            "ms_per_image": self.ms_per_image,
            "failed": len(self.failed),
            "regions": {name: asdict(f) for name, f in self.regions().items()},
        }


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


@dataclass(frozen=True)
class Figures:
    """Shares of plates (0-1); recall only over plates with a labelled box."""

    plates: int
    detection_recall: float | None
    exact: float | None
    within_one_edit: float | None

    @classmethod
    def of(cls, outcomes: list[PlateOutcome]) -> Figures:
        boxed = [o for o in outcomes if o.found is not None]
        return cls(
            plates=len(outcomes),
            detection_recall=_share(sum(bool(o.found) for o in boxed), len(boxed)),
            exact=_share(sum(o.exact for o in outcomes), len(outcomes)),
            within_one_edit=_share(sum(o.within_one_edit for o in outcomes), len(outcomes)),
        )


def _unread(label: LabelledPlate) -> PlateOutcome:
    return PlateOutcome(label, "", None if label.box is None else False)


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[:], i
        for j, cb in enumerate(b, start=1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
    return row[-1]


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter
    return inter / union if union > 0 else 0.0


def _box(row: dict[str, str], where: str) -> Box | None:
    cells = [(row.get(k) or "").strip() for k in ("x", "y", "w", "h")]
    if not any(cells):
        return None
    try:
        x, y, w, h = (round(float(c)) for c in cells)
    except ValueError as exc:
        msg = f"{where}: box x,y,w,h must be numbers or all blank"
        raise LabelsError(msg) from exc
    return Box(x1=x, y1=y, x2=x + w, y2=y + h)


def load_labels(path: Path) -> list[LabelledPlate]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read labels ({exc})"
        raise LabelsError(msg) from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        msg = f"{path}:1: missing column(s) {', '.join(missing)}"
        raise LabelsError(msg)
    labels = []
    for line, row in enumerate(reader, start=2):
        where = f"{path}:{line}"
        if not (row.get("file") or "").strip():
            msg = f"{where}: empty file name"
            raise LabelsError(msg)
        labels.append(
            LabelledPlate(
                file=row["file"].strip(),
                plate=normalize_plate(row.get("plate_text") or ""),
                box=_box(row, where),
                region=(row.get("region") or "").strip().lower() or None,
                line=line,
            )
        )
    return labels


def match(labels: list[LabelledPlate], observations: list[Observation]) -> list[PlateOutcome]:
    """Pair each labelled plate of one image with the detection that shows it."""
    claimed: set[int] = set()
    outcomes = []
    for label in sorted(labels, key=lambda lab: lab.box is None):
        pick: int | None = None
        if label.box is not None:
            overlaps = [(iou(label.box, o.box), i) for i, o in enumerate(observations)]
            best = max((o for o in overlaps if o[1] not in claimed), default=(0.0, -1))
            pick = best[1] if best[0] >= MATCH_IOU else None
        else:
            free = [i for i in range(len(observations)) if i not in claimed]
            pick = max(free, key=lambda i: observations[i].detector_confidence, default=None)
        if pick is not None:
            claimed.add(pick)
        text = observations[pick].reading.text if pick is not None else ""
        found = None if label.box is None else pick is not None
        outcomes.append(PlateOutcome(label=label, read=text, found=found))
    return outcomes


def evaluate(
    reader: PlateReader,
    labels: Iterable[LabelledPlate],
    images_dir: Path,
    *,
    input_size: int | None = None,
    crops: bool = False,
    on_error: Callable[[str], None] = lambda _message: None,
) -> EvalResult:
    by_file: dict[str, list[LabelledPlate]] = defaultdict(list)
    for label in labels:
        by_file[label.file].append(label)
    result = EvalResult()
    for name, plates in by_file.items():
        try:
            image = load_image(images_dir / name)
        except SourceError as exc:
            on_error(str(exc))
            result.failed.append(name)
            result.outcomes += [_unread(p) for p in plates]
            continue
        started = time.perf_counter()
        if crops:
            outcomes = read_crops(reader, image, plates)
        else:
            outcomes = match(plates, reader.read_frame(image, input_size))
        result.seconds += time.perf_counter() - started
        result.images += 1
        result.outcomes += outcomes
    return result


def read_crops(
    reader: PlateReader, image: np.ndarray, plates: list[LabelledPlate]
) -> list[PlateOutcome]:
    """Read each labelled box (the whole image when it has none) as if the detector had found
    it: the recognizers alone, with the same crops they get behind the detector."""
    height, width = image.shape[:2]
    boxes = [(p.box or Box(x1=0, y1=0, x2=width, y2=height), 1.0) for p in plates]
    observations = reader.read_boxes(image, boxes)
    return [
        PlateOutcome(label=p, read=o.reading.text if o is not None else "", found=None)
        for p, o in zip(plates, observations, strict=True)
    ]
