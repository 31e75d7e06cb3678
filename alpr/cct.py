"""fast-plate-ocr's CCT recognizer, run here so its probabilities are kept.

The model has fixed slots: each of its 10 heads gives a distribution over `0-9A-Z_` (`_` is the
pad after the last character), and a second head names the plate's country. fast-plate-ocr
returns only each slot's argmax; here every slot's distribution is kept (re-ordered to the
CTC side's A-Z then 0-9, pad last), so format priors and the fusion with PP-OCRv4 can weigh
the characters the model also considered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import yaml
from fast_alpr.base import BaseOCR, OcrResult

from alpr.ctc import ALPHABET, CLASS_MASKS, TOP_CHOICES, Reading
from alpr.detector import session_options

PAD = len(ALPHABET)  # column of the pad symbol in a slot matrix
# A country the model names with less confidence than this is not reported.
MIN_REGION_P = 0.5
# Countries of the head whose plate conventions `alpr.formats` knows.
FORMAT_REGIONS = {"United States": "us", "Brazil": "br"}


class CctConfigError(ValueError):
    """The plate config does not describe a model this reader can run."""


@dataclass(frozen=True)
class CctConfig:
    slots: int
    alphabet: str
    pad: str
    height: int
    width: int
    regions: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> CctConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            msg = f"{path}: not a fast-plate-ocr plate config (expected a YAML mapping)"
            raise CctConfigError(msg)
        config = cls(
            slots=int(data["max_plate_slots"]),
            alphabet=str(data["alphabet"]),
            pad=str(data["pad_char"]),
            height=int(data["img_height"]),
            width=int(data["img_width"]),
            regions=tuple(str(r) for r in data.get("plate_regions") or ()),
        )
        problems = [
            "keep_aspect_ratio must be false" if data.get("keep_aspect_ratio") else "",
            "image_color_mode must be rgb" if data.get("image_color_mode", "rgb") != "rgb" else "",
            "alphabet must be A-Z, 0-9 and the pad"
            if sorted(config.alphabet) != sorted(ALPHABET + config.pad)
            else "",
        ]
        if any(problems):
            msg = f"{path}: {'; '.join(p for p in problems if p)}"
            raise CctConfigError(msg)
        return config


@dataclass(frozen=True)
class CctOutput:
    """One crop: (slots x 37) probabilities, A-Z, 0-9, pad; and the country, if named."""

    slots: np.ndarray
    region: str | None
    region_p: float


class CctOCR(BaseOCR):  # type: ignore[misc]  # fast-alpr ships no type hints
    """Recognize plate crops (BGR) in one batch with the CCT model."""

    def __init__(self, model_path: Path, config_path: Path, *, threads: int = 1) -> None:
        self.config = CctConfig.load(config_path)
        self.session = ort.InferenceSession(
            str(model_path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        names = [o.name for o in self.session.get_outputs()]
        self.plate_output = names[0]
        self.region_output = names[1] if len(names) > 1 and self.config.regions else None
        self.input_name: str = self.session.get_inputs()[0].name
        order = ALPHABET + self.config.pad
        self.columns = np.array([self.config.alphabet.index(c) for c in order])

    def outputs(self, crops: list[np.ndarray]) -> list[CctOutput]:
        if not crops:
            return []
        size = (self.config.width, self.config.height)
        batch = np.stack(
            [
                cv2.cvtColor(cv2.resize(c, size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
                for c in crops
            ]
        )
        wanted = [self.plate_output] + ([self.region_output] if self.region_output else [])
        raw = self.session.run(wanted, {self.input_name: batch})
        slots = raw[0][:, :, self.columns]
        out = []
        for k in range(len(crops)):
            region, region_p = None, 0.0
            if self.region_output is not None:
                best = int(raw[1][k].argmax())
                region_p = float(raw[1][k][best])
                name = self.config.regions[best]
                if region_p >= MIN_REGION_P and name != "Unknown":
                    region = name
            out.append(CctOutput(slots[k], region, round(region_p, 4)))
        return out

    def predict(self, cropped_plate: np.ndarray) -> OcrResult | None:
        if cropped_plate is None or cropped_plate.size == 0:
            return None
        output = self.outputs([cropped_plate])[0]
        reading = slot_reading(output.slots, None)
        if reading is None:
            return None
        return OcrResult(
            text=reading.text,
            confidence=list(reading.char_probs),
            region=output.region,
            region_confidence=output.region_p,
        )


def text_log_prob(slots: np.ndarray, text: str) -> float:
    """Log-probability of `text` under the slots: its characters, then pads to the end."""
    if len(text) > len(slots):
        return -1e9
    cols = [ALPHABET.index(c) for c in text] + [PAD] * (len(slots) - len(text))
    picked = slots[np.arange(len(slots)), cols]
    return float(np.log(np.maximum(picked, 1e-9)).sum())


def slot_reading(slots: np.ndarray, pattern: str | None) -> Reading | None:
    """The best text, free or spelling `pattern` (L letter, N digit, A either), with per-slot
    shares; a free text ends at the first slot whose best symbol is the pad."""
    if pattern is None:
        best = slots.argmax(axis=1)
        length = int(np.argmax(best == PAD)) if (best == PAD).any() else len(slots)
        masks = [np.ones(len(ALPHABET), bool)] * length
    else:
        if len(pattern) > len(slots):
            return None
        length = len(pattern)
        masks = [CLASS_MASKS[p] for p in pattern]
    if length == 0:
        return None
    chars = [int(np.where(m, slots[i, :PAD], -1.0).argmax()) for i, m in enumerate(masks)]
    text = "".join(ALPHABET[c] for c in chars)
    probs, choices = [], []
    for i, char in enumerate(chars):
        share = slots[i, :PAD] / max(float(slots[i, :PAD].sum()), 1e-9)
        order = [char] + [int(j) for j in np.argsort(-share) if int(j) != char]
        probs.append(round(float(share[char]), 4))
        choices.append(tuple((ALPHABET[j], round(float(share[j]), 4)) for j in order[:TOP_CHOICES]))
    return Reading(
        text=text,
        char_probs=tuple(probs),
        char_choices=tuple(choices),
        log_prob=text_log_prob(slots, text),
        frames=len(slots),
        pattern=pattern,
    )
