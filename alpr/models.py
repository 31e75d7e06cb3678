"""Loading a model pack into the objects that read plates, behind fast-alpr's hooks.

`load_models` returns a detector (`fast_alpr.BaseDetector`) and a recognizer that turns the crop
variants of each plate into one reading. With the offline pack the recognizer keeps the CTC
probabilities and applies the format priors; with the hub pack it uses fast-plate-ocr's reading.
`Models.alpr()` gives a plain `fast_alpr.ALPR` on the same weights (the naive per-frame loop).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alpr.ctc import ALPHABET, Reading
from alpr.formats import choose_reading
from alpr.packs import PackFiles, resolve_pack

if TYPE_CHECKING:
    from fast_alpr import ALPR
    from fast_alpr.base import BaseDetector, BaseOCR
    from open_image_models.detection.core.base import DetectionResult

    from alpr.corners import CornerDetector
    from alpr.settings import ModelSettings

logger = logging.getLogger(__name__)


class Recognizer(ABC):
    """Reads one plate from its crop variants (tight, band, rectified), all plates in a batch."""

    ocr: BaseOCR

    @abstractmethod
    def read(
        self, variants: Sequence[Sequence[np.ndarray]], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        """One (reading, region) per plate, or None where nothing legible was found."""


class OfflineRecognizer(Recognizer):
    def __init__(self, pack: PackFiles, threads: int) -> None:
        from alpr.ocr import PlateOCR

        self.ocr = self.plate_ocr = PlateOCR(pack.recognizer, threads=threads)

    def read(
        self, variants: Sequence[Sequence[np.ndarray]], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        flat = [crop for crops in variants for crop in crops if crop.size]
        probabilities = self.plate_ocr.probabilities(flat)
        out: list[tuple[Reading, str | None] | None] = []
        start = 0
        for crops in variants:
            count = sum(1 for c in crops if c.size)
            out.append(choose_reading(probabilities[start : start + count], region))
            start += count
        return out


class HubRecognizer(Recognizer):
    """fast-plate-ocr's recognizer: fixed slots, so no CTC path to constrain; argmax kept."""

    def __init__(self, pack: PackFiles, threads: int) -> None:
        from fast_alpr.default_ocr import DefaultOCR

        from alpr.detector import session_options

        assert pack.recognizer_config is not None
        self.ocr = DefaultOCR(
            model_path=pack.recognizer,
            config_path=pack.recognizer_config,
            device="cpu",
            providers=["CPUExecutionProvider"],
            sess_options=session_options(threads),
        )

    def read(
        self, variants: Sequence[Sequence[np.ndarray]], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        out: list[tuple[Reading, str | None] | None] = []
        for crops in variants:
            result = self.ocr.predict(crops[0]) if crops and crops[0].size else None
            if result is None:
                out.append(None)
                continue
            pairs = [
                (c, p)
                for c, p in zip(result.text.upper(), _as_list(result.confidence), strict=False)
                if c in ALPHABET
            ]
            if not pairs:
                out.append(None)
                continue
            reading = Reading(
                text="".join(c for c, _ in pairs),
                char_probs=tuple(round(p, 4) for _, p in pairs),
                char_choices=tuple(((c, round(p, 4)),) for c, p in pairs),
                log_prob=float(np.log(np.maximum([p for _, p in pairs], 1e-9)).sum()),
                frames=len(pairs),
            )
            out.append((reading, region or result.region))
        return out


def _as_list(confidence: float | list[float]) -> list[float]:
    return [float(c) for c in confidence] if isinstance(confidence, list) else [float(confidence)]


@dataclass
class Models:
    """A loaded pack: detector, recognizer and (offline, optional) the corner model."""

    pack: PackFiles
    detector: BaseDetector
    recognizer: Recognizer
    corners: CornerDetector | None

    def detect(self, frame: np.ndarray, input_size: int | None = None) -> list[DetectionResult]:
        from alpr.detector import PlateDetector

        if isinstance(self.detector, PlateDetector):
            return self.detector.detect(frame, input_size)
        return list(self.detector.predict(frame))

    def alpr(self) -> ALPR:
        """fast-alpr's own pipeline on these weights: detect, then OCR every crop alone."""
        from fast_alpr import ALPR

        return ALPR(detector=self.detector, ocr=self.recognizer.ocr)


def load_models(settings: ModelSettings, spec: str | None = None) -> Models:
    """Resolve `spec` (default: the settings' pack) and load it (`ModelsUnavailableError`)."""
    pack = resolve_pack(spec or settings.pack, settings.cache_dir)
    logger.info("models: %s pack from %s", pack.kind, pack.origin)
    if pack.kind == "hub":
        from fast_alpr.default_detector import DefaultDetector

        from alpr.detector import session_options
        from alpr.packs import HUB_DETECTOR

        hub_detector = DefaultDetector(
            model_name=HUB_DETECTOR,
            providers=["CPUExecutionProvider"],
            sess_options=session_options(settings.detector_threads),
        )
        return Models(pack, hub_detector, HubRecognizer(pack, settings.ocr_threads), None)
    from alpr.corners import CornerDetector
    from alpr.detector import PlateDetector

    detector = PlateDetector.from_settings(pack.detector, settings)
    corners = CornerDetector(pack.corners, threads=settings.ocr_threads) if pack.corners else None
    return Models(pack, detector, OfflineRecognizer(pack, settings.ocr_threads), corners)
