"""Loading a model pack into the objects that read plates, behind fast-alpr's hooks.

`load_models` returns a detector (`fast_alpr.BaseDetector`) and a recognizer that turns the crops
of each plate into one reading: `ppocr` (PP-OCRv4's CTC probabilities under the format priors,
today's offline pack), `cct` (fast-plate-ocr's CCT slots under the same priors) or `fused` (both
scored together per text, `alpr.fusion`), chosen by `ModelSettings.recognizer`; `auto` is fused
when the pack holds the CCT files. `Models.alpr()` gives a plain `fast_alpr.ALPR` on the same
weights (the naive per-frame loop).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar

import numpy as np

from alpr.crops import CropName, PlateCrops
from alpr.ctc import Reading
from alpr.formats import choose_reading
from alpr.fusion import FusionWeights, PlateEvidence, fuse
from alpr.packs import ModelsUnavailableError, PackFiles, resolve_pack

if TYPE_CHECKING:
    from fast_alpr import ALPR
    from fast_alpr.base import BaseDetector, BaseOCR
    from open_image_models.detection.core.base import DetectionResult

    from alpr.corners import CornerDetector
    from alpr.settings import ModelSettings

logger = logging.getLogger(__name__)

RecognizerName = Literal["ppocr", "cct", "fused"]
RECOGNIZERS: Final = ("auto", "ppocr", "cct", "fused")
# Measured on the 265 openalpr-dev photos (the margin is also the best on the even half alone;
# held-out figures in BENCHMARKS.md). CCT alone reads the box with a 10%/20% margin best (tight
# box 84.9% exact, band 76.2%, rectified 55.8%, margin 90.2%); beside it PP-OCRv4 adds most
# from tight + band (fused 91.3%; with rectified 90.9%, tight alone 89.4%), so the fused reader
# skips the corner model.
CCT_CROPS: tuple[CropName, ...] = ("wide",)
PPOCR_CROPS: tuple[CropName, ...] = ("tight", "band", "rectified")
FUSED_PPOCR_CROPS: tuple[CropName, ...] = ("tight", "band")
T = TypeVar("T")


class Recognizer(ABC):
    """Reads one plate from its crops, all plates of a frame in one batch."""

    ocr: BaseOCR
    name: RecognizerName
    # The crops it reads; the others are not cut (the corner model runs only for `rectified`).
    uses: tuple[CropName, ...]

    @abstractmethod
    def read(
        self, plates: Sequence[PlateCrops], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        """One (reading, region) per plate, or None where nothing legible was found."""


def _split(counts: list[int], items: list[T]) -> list[list[T]]:
    out, start = [], 0
    for count in counts:
        out.append(items[start : start + count])
        start += count
    return out


class OfflineRecognizer(Recognizer):
    """PP-OCRv4 alone: each crop's CTC probabilities under the format priors, best crop wins."""

    name: RecognizerName = "ppocr"
    uses = PPOCR_CROPS

    def __init__(self, pack: PackFiles, threads: int) -> None:
        from alpr.ocr import PlateOCR

        self.ocr = self.plate_ocr = PlateOCR(pack.recognizer, threads=threads)

    def read(
        self, plates: Sequence[PlateCrops], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        picked = [p.pick(self.uses) for p in plates]
        flat = self.plate_ocr.probabilities([c for crops in picked for c in crops])
        return [choose_reading(q, region) for q in _split([len(c) for c in picked], flat)]


class CctRecognizer(Recognizer):
    """fast-plate-ocr's CCT alone, its slot probabilities under the format priors."""

    name: RecognizerName = "cct"
    uses = CCT_CROPS

    def __init__(self, model: Path, config: Path, threads: int) -> None:
        from alpr.cct import CctOCR

        self.ocr = self.cct = CctOCR(model, config, threads=threads)

    def read(
        self, plates: Sequence[PlateCrops], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        picked = [p.pick(self.uses) for p in plates]
        flat = self.cct.outputs([c for crops in picked for c in crops])
        weights = FusionWeights(ctc=0.0)
        return [
            fuse(PlateEvidence((), tuple(o)), region, weights)
            for o in _split([len(c) for c in picked], flat)
        ]


class FusedRecognizer(Recognizer):
    """Both: PP-OCRv4's CTC frames and CCT's slots scored together per text (`alpr.fusion`)."""

    name: RecognizerName = "fused"
    uses = FUSED_PPOCR_CROPS + CCT_CROPS

    def __init__(self, ppocr: OfflineRecognizer, cct: CctRecognizer) -> None:
        self.ppocr, self.cct = ppocr, cct
        self.ocr = cct.ocr

    def read(
        self, plates: Sequence[PlateCrops], region: str | None
    ) -> list[tuple[Reading, str | None] | None]:
        ctc_crops = [p.pick(FUSED_PPOCR_CROPS) for p in plates]
        cct_crops = [p.pick(CCT_CROPS) for p in plates]
        ctc = self.ppocr.plate_ocr.probabilities([c for crops in ctc_crops for c in crops])
        slots = self.cct.cct.outputs([c for crops in cct_crops for c in crops])
        return [
            fuse(PlateEvidence(tuple(q), tuple(o)), region)
            for q, o in zip(
                _split([len(c) for c in ctc_crops], ctc),
                _split([len(c) for c in cct_crops], slots),
                strict=True,
            )
        ]


@dataclass
class Models:
    """A loaded pack: detector, recognizer and (offline, optional) the corner model."""

    pack: PackFiles
    detector: BaseDetector
    recognizer: Recognizer
    corners: CornerDetector | None
    # The long side a photo is looked at again when the first look found no plate; None: never.
    photo_second_look: int | None = None

    def detect(self, frame: np.ndarray, input_size: int | None = None) -> list[DetectionResult]:
        from alpr.detector import PlateDetector

        if isinstance(self.detector, PlateDetector):
            return self.detector.detect(frame, input_size)
        return list(self.detector.predict(frame))

    def alpr(self) -> ALPR:
        """fast-alpr's own pipeline on these weights: detect, then OCR every crop alone."""
        from fast_alpr import ALPR

        return ALPR(detector=self.detector, ocr=self.recognizer.ocr)


def load_models(
    settings: ModelSettings, spec: str | None = None, recognizer: str | None = None
) -> Models:
    """Resolve `spec` (default: the settings' pack) and load it (`ModelsUnavailableError`);
    `recognizer` overrides the settings' choice of ppocr, cct or fused."""
    pack = resolve_pack(spec or settings.pack, settings.cache_dir)
    logger.info("models: %s pack from %s", pack.kind, pack.origin)
    return load_pack(settings, pack, recognizer)


def load_pack(settings: ModelSettings, pack: PackFiles, recognizer: str | None = None) -> Models:
    """Load resolved files; fused when CCT is there and nothing else is asked for."""
    choice = recognizer or settings.recognizer
    if pack.kind == "hub":
        return _hub_models(settings, pack)
    from alpr.corners import CornerDetector
    from alpr.detector import PlateDetector

    detector = PlateDetector.from_settings(pack.detector, settings)
    corners = CornerDetector(pack.corners, threads=settings.ocr_threads) if pack.corners else None
    chosen = recognizer_for(settings, pack, choice)
    return Models(pack, detector, chosen, corners, settings.photo_second_look)


def recognizer_for(settings: ModelSettings, pack: PackFiles, choice: str) -> Recognizer:
    """The recognizer `choice` (auto, ppocr, cct, fused) on the pack's files."""
    if choice not in RECOGNIZERS:
        msg = f"recognizer {choice!r}: choose one of {', '.join(RECOGNIZERS)}"
        raise ModelsUnavailableError(msg)
    has_cct = pack.cct_model is not None and pack.cct_config is not None
    if choice == "auto":
        choice = "fused" if has_cct else "ppocr"
    if choice == "ppocr":
        return OfflineRecognizer(pack, settings.ocr_threads)
    if pack.cct_model is None or pack.cct_config is None:
        msg = (
            f"recognizer {choice!r} needs the CCT model (cct_xs_v2_global.onnx and its plate "
            f"config) in the pack from {pack.origin}; get it with `platewatch models fetch`, "
            "or choose --recognizer ppocr"
        )
        raise ModelsUnavailableError(msg)
    cct = CctRecognizer(pack.cct_model, pack.cct_config, settings.ocr_threads)
    if choice == "cct":
        return cct
    return FusedRecognizer(OfflineRecognizer(pack, settings.ocr_threads), cct)


def _hub_models(settings: ModelSettings, pack: PackFiles) -> Models:
    """fast-alpr's default detector with CCT under the format priors (not its argmax)."""
    from fast_alpr.default_detector import DefaultDetector

    from alpr.detector import session_options
    from alpr.packs import HUB_DETECTOR

    assert pack.recognizer_config is not None
    hub_detector = DefaultDetector(
        model_name=HUB_DETECTOR,
        conf_thresh=settings.detector_confidence,
        providers=["CPUExecutionProvider"],
        sess_options=session_options(settings.detector_threads),
    )
    cct = CctRecognizer(pack.recognizer, pack.recognizer_config, settings.ocr_threads)
    return Models(pack, hub_detector, cct, None)
