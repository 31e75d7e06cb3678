"""The offline text recognizer: PP-OCRv4 (CTC) behind fast-alpr's `BaseOCR`, batched.

PP-OCRv4's Chinese model knows 6,623 characters. Plates use 36, so every frame's distribution is
folded onto blank, A-Z, 0-9 (lower case added to upper case) and one separator class (space,
dash, dot), and everything else is dropped and the rest renormalized: a state emblem can then
only be read as a plate character or as nothing, never as a Chinese glyph.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from fast_alpr.base import BaseOCR, OcrResult

from alpr.ctc import ALPHABET, SEPARATOR, Reading, greedy_reading
from alpr.detector import session_options

INPUT_HEIGHT = 48
MAX_WIDTH = 640
SEPARATORS = frozenset(" -.·:_|")


def folding(characters: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The model's classes (blank, dictionary..., space) that matter, and their plate classes.

    Returns the column indices to keep and a (kept x 38) matrix summing them onto blank, A-Z0-9
    and separator; gathering ~70 columns first keeps the fold cheap.
    """
    classes = ["", *characters, " "]
    kept: list[int] = [0]
    targets: list[int] = [0]
    for index, char in enumerate(classes[1:], start=1):
        upper = char.upper()
        if len(upper) == 1 and upper in ALPHABET:
            kept.append(index)
            targets.append(1 + ALPHABET.index(upper))
        elif char in SEPARATORS:
            kept.append(index)
            targets.append(SEPARATOR)
    fold = np.zeros((len(kept), SEPARATOR + 1), np.float32)
    fold[np.arange(len(kept)), targets] = 1.0
    return np.array(kept), fold


def _input_width(crop: np.ndarray) -> int:
    """Width at the recognizer's height, keeping the crop's aspect ratio."""
    width = math.ceil(INPUT_HEIGHT * crop.shape[1] / max(1, crop.shape[0]))
    return int(np.clip(width, 8, MAX_WIDTH))


class PlateOCR(BaseOCR):  # type: ignore[misc]  # fast-alpr ships no type hints
    """Recognize plate crops (BGR) in one batch; per-frame plate-class probabilities kept."""

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        self.session = ort.InferenceSession(
            str(model_path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        metadata = self.session.get_modelmeta().custom_metadata_map
        if "character" not in metadata:
            msg = f"{model_path}: no 'character' dictionary in the model metadata (not PP-OCR rec)"
            raise ValueError(msg)
        self.kept, self.fold = folding(metadata["character"].splitlines())
        self.input_name: str = self.session.get_inputs()[0].name

    def predict(self, cropped_plate: np.ndarray) -> OcrResult | None:
        if cropped_plate is None or cropped_plate.size == 0:
            return None
        reading = greedy_reading(self.probabilities([cropped_plate])[0])
        return OcrResult(text=reading.text, confidence=list(reading.char_probs))

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        return [greedy_reading(p) for p in self.probabilities(crops)]

    def probabilities(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Per crop a (frames x 38) matrix: blank, A-Z, 0-9, separator; rows sum to one."""
        if not crops:
            return []
        widths = [_input_width(c) for c in crops]
        canvas_w = -(-max(*widths, 2 * INPUT_HEIGHT) // 8) * 8
        batch = np.zeros((len(crops), 3, INPUT_HEIGHT, canvas_w), np.float32)
        for k, (crop, width) in enumerate(zip(crops, widths, strict=True)):
            resized = cv2.resize(crop, (width, INPUT_HEIGHT), interpolation=cv2.INTER_LINEAR)
            batch[k, :, :, :width] = resized.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
        raw = self.session.run(None, {self.input_name: batch})[0]
        frames_per_px = raw.shape[1] / canvas_w
        out = []
        for k, width in enumerate(widths):
            used = min(raw.shape[1], math.ceil(width * frames_per_px) + 1)
            folded = raw[k, :used][:, self.kept] @ self.fold
            out.append(folded / np.maximum(folded.sum(axis=1, keepdims=True), 1e-9))
        return out
