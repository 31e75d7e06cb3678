from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpr.cct import PAD, CctConfig, CctConfigError, CctOCR, slot_reading, text_log_prob
from alpr.ctc import ALPHABET
from alpr.models import CctRecognizer, Models
from alpr.sources import load_image

from .conftest import CCT_CONFIG


@pytest.fixture(scope="module")
def cct(cct_models: Models) -> CctOCR:
    assert isinstance(cct_models.recognizer, CctRecognizer)
    return cct_models.recognizer.cct


def _slots(text: str, sure: float = 0.9) -> np.ndarray:
    slots = np.full((10, len(ALPHABET) + 1), (1 - sure) / len(ALPHABET))
    for i in range(10):
        slots[i, ALPHABET.index(text[i]) if i < len(text) else PAD] = sure
    return slots


def test_plate_crops_read_with_every_slot_kept(cct: CctOCR, samples: Path) -> None:
    crops = [
        load_image(samples / name) for name in ("fpo_test_plate_1.png", "fpo_test_plate_2.png")
    ]
    outputs = cct.outputs(crops)
    assert [o.slots.shape for o in outputs] == [(10, 37), (10, 37)]
    assert np.allclose([o.slots.sum(axis=1) for o in outputs], 1.0, atol=1e-3)
    texts = [r.text for o in outputs if (r := slot_reading(o.slots, None)) is not None]
    # The second crop's label says KRN301; the glyph is drawn like a W and CCT reads it so.
    assert texts[0] == "AD799KB" and texts[1][:2] + texts[1][3:] == "KR301"


def test_country_head_names_the_plate_country_or_nothing(
    cct: CctOCR, car_image: np.ndarray
) -> None:
    (output,) = cct.outputs([car_image[262:354, 388:591]])  # a Quebec plate
    assert output.region == "Canada" and output.region_p >= 0.5


def test_format_pulls_slots_onto_letters_and_digits() -> None:
    slots = _slots("ABC1234")
    slots[1, ALPHABET.index("8")] = 0.95  # a B the model rated as an 8
    assert slot_reading(slots, None).text == "A8C1234"  # type: ignore[union-attr]
    fitted = slot_reading(slots, "LLLNNNN")
    assert fitted is not None and fitted.text == "ABC1234" and fitted.pattern == "LLLNNNN"
    assert fitted.char_choices[1][0][0] == "B" and fitted.char_choices[1][1][0] == "8"
    assert fitted.log_prob == pytest.approx(text_log_prob(slots, "ABC1234"))
    assert slot_reading(slots, "N" * 11) is None


def test_a_config_the_reader_cannot_run_is_refused(tmp_path: Path) -> None:
    assert CctConfig.load(CCT_CONFIG).slots == 10
    bad = tmp_path / "plate_config.yaml"
    bad.write_text(
        CCT_CONFIG.read_text().replace("keep_aspect_ratio: false", "keep_aspect_ratio: true")
    )
    with pytest.raises(CctConfigError, match=r"plate_config.yaml: keep_aspect_ratio must be false"):
        CctConfig.load(bad)
    bad.write_text("- not a mapping\n")
    with pytest.raises(CctConfigError, match="not a fast-plate-ocr plate config"):
        CctConfig.load(bad)
