from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from alpr.cct import text_log_prob
from alpr.ctc import ALPHABET, SEPARATOR
from alpr.evaluate import load_labels
from alpr.fusion import PlateEvidence, cct_log_probs, ctc_log_probs, fuse
from alpr.models import FusedRecognizer, Models
from alpr.read import Box, PlateRead
from alpr.reading import read_inputs
from alpr.recognize import PlateReader
from alpr.sources import load_image
from hotlist.index_build import write_index
from hotlist.index_file import IndexFile, ListInfo
from hotlist.matcher import Matcher
from platewatch.settings import Settings

from .conftest import CAR_PLATE

DEV_PHOTOS = (
    "us/0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg",
    "br/AZJ6991.jpg",
    "us/33fa5185-0286-4e8f-b775-46162eba39d4.jpg",
    "us/wts-lg-000068.jpg",
    "us/wts-lg-000189.jpg",
    "eu/test_059.jpg",
)


def _brute_force_ctc(q: np.ndarray, text: str) -> float:
    """Sum over every path of the classes that carry mass (blank, A, B, separator)."""
    classes = [0, 1 + ALPHABET.index("A"), 1 + ALPHABET.index("B"), SEPARATOR]
    total = 0.0
    for path in itertools.product(classes, repeat=len(q)):
        spelled, previous = [], -1
        for raw in path:
            cls = 0 if raw == SEPARATOR else raw
            if cls and cls != previous:
                spelled.append(ALPHABET[cls - 1])
            previous = cls
        if "".join(spelled) == text:
            total += float(np.prod([q[t, c] for t, c in enumerate(path)]))
    return float(np.log(total))


def test_ctc_forward_is_the_sum_over_every_path() -> None:
    rng = np.random.default_rng(7)
    q = np.zeros((5, SEPARATOR + 1))
    q[:, [0, 1, 2, SEPARATOR]] = rng.dirichlet(np.ones(4), size=5)
    texts = ["A", "AB", "AA", "BAB", "ABAB"]
    expected = [_brute_force_ctc(q, t) for t in texts]
    assert ctc_log_probs(q, texts) == pytest.approx(expected, abs=1e-6)


def test_cct_score_is_the_characters_then_the_pads(
    cct_models: Models, car_image: np.ndarray
) -> None:
    from alpr.models import CctRecognizer

    assert isinstance(cct_models.recognizer, CctRecognizer)
    (output,) = cct_models.recognizer.cct.outputs([car_image[262:354, 388:591]])
    texts = [CAR_PLATE, CAR_PLATE[:-1], "ABC1234"]
    assert cct_log_probs(output.slots, texts) == pytest.approx(
        [text_log_prob(output.slots, t) for t in texts]
    )
    assert fuse(PlateEvidence((), ()), None) is None


@pytest.mark.parametrize("name", ["car.jpg", "car2.jpg", "car3.jpg", "car4.jpg"])
def test_fused_and_cct_readers_read_the_samples(
    fused_models: Models, cct_models: Models, samples: Path, name: str
) -> None:
    import csv

    truth = {r["file"]: r["plate_text"] for r in csv.DictReader((samples / "labels.csv").open())}
    image = load_image(samples / name)
    for models in (fused_models, cct_models):
        (seen,) = PlateReader(models, None).read_frame(image, 640)
        reading = seen.reading
        # car3 is a Californian vanity plate; CCT names the country, so the US convention
        # (O printed as 0, hotlists keyed with the digit) applies, as it does on a US camera.
        expected = "V0DKAA" if name == "car3.jpg" else truth[name]
        assert reading.text == expected, models.recognizer.name
        assert len(reading.char_probs) == len(reading.char_choices) == len(reading.text)
        assert all(c[0][0] == t for c, t in zip(reading.char_choices, reading.text, strict=True))
        assert all(0 <= p <= 1 for p in reading.char_probs)


def test_fused_reader_on_openalpr_dev_photos(
    fused_models: Models, models: Models, openalpr_dev: Path
) -> None:
    """Photos both read right, and photos PP-OCRv4 with the format priors misreads (RBZ0503,
    1359973, FK4973L7, BA3020Z) that the fusion gets right."""
    labels = {lab.file: lab for lab in load_labels(openalpr_dev / "labels.csv")}
    assert isinstance(fused_models.recognizer, FusedRecognizer)
    for name in DEV_PHOTOS:
        label = labels[name]
        image = load_image(openalpr_dev / name)
        seen = PlateReader(fused_models, label.region).read_frame(image, 640)
        assert label.plate in [o.reading.text for o in seen], name


def test_a_ca_hotlist_plate_read_with_a_wrong_region_guess_still_alerts(
    fused_models: Models, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    """car.jpg is a Quebec plate: CCT's country head says Canada. On a list as a California
    plate (CA), the guess disagrees with the entry's state; the match is flagged, not hidden."""
    reads: list[PlateRead] = []
    read_inputs(
        settings,
        [str(samples / "car.jpg")],
        models=fused_models,
        region=None,
        camera_id="cam-1",
        on_read=reads.append,
        on_error=pytest.fail,
    )
    (read,) = reads
    assert read.plate == CAR_PLATE and read.region == "Canada"
    path = tmp_path / "index.pwx"
    write_index(
        path,
        [ListInfo(1, "NCIC", 1, 1, "ncic", None, None, None)],
        [(1, 1, CAR_PLATE, "CA", 0)],
        [(1, 1)],
    )
    result = Matcher(IndexFile(path)).match(read)
    assert result.decision == "alert"
    assert [(m.entry_state, m.state_mismatch, m.decision) for m in result.matches] == [
        ("CA", True, "alert")
    ]


def test_a_photo_with_no_plate_at_the_first_look_is_looked_at_again_larger(
    fused_models: Models, openalpr_dev: Path
) -> None:
    """test_042's plate is small in a wide photo: platedet finds nothing at 640 (fp16) and
    finds it at 1024, where the pack's second look goes."""
    [label] = [
        lab for lab in load_labels(openalpr_dev / "labels.csv") if lab.file == "eu/test_042.jpg"
    ]
    image = load_image(openalpr_dev / label.file)
    one_look = dataclasses.replace(fused_models, photo_second_look=None)
    assert PlateReader(one_look, label.region).read_frame(image, 640) == []
    assert fused_models.photo_second_look == 1024
    seen = PlateReader(fused_models, label.region).read_frame(image, 640)
    assert [o.reading.text for o in seen] == [label.plate]


def test_a_photo_whose_first_look_finds_a_plate_is_not_looked_at_again(
    fused_models: Models, samples: Path
) -> None:
    image = load_image(samples / "car.jpg")
    sizes: list[int | None] = []
    looking = PlateReader(fused_models, None)
    detect = looking.detect

    def counted(frame: np.ndarray, input_size: int | None = None) -> list[tuple[Box, float]]:
        sizes.append(input_size)
        return detect(frame, input_size)

    looking.detect = counted  # type: ignore[method-assign]
    assert len(looking.read_frame(image, 640)) == 1
    assert sizes == [640]
