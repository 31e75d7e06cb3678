from __future__ import annotations

from pathlib import Path

import pytest

from alpr.ctc import Reading
from alpr.evaluate import (
    LabelledPlate,
    LabelsError,
    edit_distance,
    evaluate,
    load_labels,
    match,
)
from alpr.models import Models
from alpr.read import Box
from alpr.recognize import Observation, PlateReader

# A fixed subset, every 22nd row of labels.csv (the full 265 photos are the bench's).
SUBSET_STRIDE = 22


def _obs(text: str, box: Box, score: float = 0.8) -> Observation:
    reading = Reading(text, tuple(0.9 for _ in text), tuple(((c, 0.9),) for c in text), -1, 20)
    return Observation(box, score, reading, None)


def test_labels_are_checked_with_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "labels.csv"
    csv.write_text("file,plate_text,x,y,w,h,region\na.jpg,ab-123,1,2,3,4,US\nb.jpg,X1,,,,,\n")
    first, second = load_labels(csv)
    assert first == LabelledPlate("a.jpg", "AB123", Box(x1=1, y1=2, x2=4, y2=6), "us", 2)
    assert second.box is None and second.region is None
    csv.write_text("file,plate_text,x,y,w,h\n")
    with pytest.raises(LabelsError, match=r"labels.csv:1: missing column\(s\) region"):
        load_labels(csv)
    csv.write_text("file,plate_text,x,y,w,h,region\na.jpg,AB1,1,two,3,4,us\n")
    with pytest.raises(LabelsError, match=r"labels.csv:2: box x,y,w,h must be numbers"):
        load_labels(csv)
    with pytest.raises(LabelsError, match="cannot read labels"):
        load_labels(tmp_path / "missing.csv")


def test_matching_by_overlap_then_by_confidence() -> None:
    boxed = LabelledPlate("a.jpg", "AB123", Box(x1=0, y1=0, x2=100, y2=50), "us", 2)
    free = LabelledPlate("a.jpg", "XY9", None, "us", 3)
    far = _obs("XY9", Box(x1=300, y1=0, x2=400, y2=50), 0.9)
    near = _obs("AB128", Box(x1=5, y1=0, x2=100, y2=50), 0.5)
    got = {o.label.plate: o for o in match([boxed, free], [far, near])}
    assert got["AB123"].found and got["AB123"].read == "AB128"
    assert not got["AB123"].exact and got["AB123"].within_one_edit
    assert got["XY9"].found is None and got["XY9"].exact
    missed = match([boxed], [far])[0]
    assert missed.found is False and missed.read == ""


def test_edit_distance() -> None:
    assert edit_distance("ABC123", "ABC123") == 0
    assert edit_distance("ABC123", "A8C123") == 1
    assert edit_distance("ABC123", "ABC1234") == 1
    assert edit_distance("", "AB") == 2


def test_accuracy_on_a_fixed_subset_of_real_photos(reader: PlateReader, openalpr_dev: Path) -> None:
    labels = load_labels(openalpr_dev / "labels.csv")
    subset = labels[::SUBSET_STRIDE]
    result = evaluate(reader, subset, openalpr_dev, input_size=640)
    figures = result.figures()
    assert result.images == figures.plates == len(subset) == 13
    assert figures.detection_recall is not None and figures.detection_recall >= 0.8
    # A floor well under the bench's full-set figure: this catches a broken pipeline, it does
    # not measure accuracy (make bench does, on all 265 photos).
    assert figures.exact is not None and figures.exact >= 0.6
    assert set(result.regions()) == {"us", "eu", "br"}


def test_unreadable_photos_are_reported_and_counted_as_missed(
    reader: PlateReader, tmp_path: Path
) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\x00" * 10)
    errors: list[str] = []
    label = LabelledPlate("bad.jpg", "AB123", Box(x1=0, y1=0, x2=9, y2=9), "us", 2)
    result = evaluate(reader, [label], tmp_path, on_error=errors.append)
    assert result.images == 0 and result.failed == ["bad.jpg"]
    assert errors == [
        f"{tmp_path / 'bad.jpg'}: not a decodable image (corrupt or unsupported format)"
    ]
    assert result.summary()["detection_recall"] == 0.0


def test_crops_mode_reads_the_labelled_boxes_without_the_detector(
    fused_models: Models, samples: Path, openalpr_dev: Path
) -> None:
    """A plate-only image (no box: the whole image) and labelled boxes of photos."""
    crop = LabelledPlate("fpo_test_plate_1.png", "AD799KB", None, None, 2)
    result = evaluate(PlateReader(fused_models, None), [crop], samples, crops=True)
    assert [o.read for o in result.outcomes] == ["AD799KB"]
    assert result.figures().detection_recall is None  # no detector, nothing to find
    subset = load_labels(openalpr_dev / "labels.csv")[::SUBSET_STRIDE]
    boxed = evaluate(PlateReader(fused_models, None), subset, openalpr_dev, crops=True)
    assert boxed.images == len(subset) and (boxed.figures().exact or 0) >= 0.6
