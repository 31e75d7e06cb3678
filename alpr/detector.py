"""The offline plate detector: platedet's YOLOv8-seg weights behind fast-alpr's `BaseDetector`.

The shipped graph is fixed at 1x3x640x640 and ends in a decode baked for 8400 anchors of that
size, plus a mask branch we never use. We cut the graph at the three per-level head outputs and
decode boxes here, which makes the input size free: a 16:9 frame letterboxes to 640x384 instead
of 640x640 (same pixels on the plate, 40% less compute), and video can run at a smaller input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np
import onnxruntime as ort
from fast_alpr.base import BaseDetector
from open_image_models.detection.core.base import BoundingBox, DetectionResult

if TYPE_CHECKING:
    from alpr.settings import ModelSettings

Optimization = Literal["all", "extended", "basic", "none"]
OPTIMIZATION_LEVELS: dict[Optimization, ort.GraphOptimizationLevel] = {
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}

HEAD_OUTPUTS = (
    "/model.22/Concat_1_output_0",
    "/model.22/Concat_2_output_0",
    "/model.22/Concat_3_output_0",
)
STRIDES = (8, 16, 32)
DFL_BINS = 16
LETTERBOX_FILL = 114
LABEL = "License Plate"
# Quantisation lowers the scores of faint plates a little, so int8 is cut lower to find the same
# plates: with the output convolutions in float, 0.2 finds what fp16 finds at 0.3 on the dev
# photos (257 of 265; BENCHMARKS.md, Edge reader as shipped).
OPERATING_CONFIDENCE = {"fp16": 0.3, "int8": 0.2}


def head_only_graph(model_path: Path) -> bytes:
    """The detector graph cut at the box/class head, with a free input height and width."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_path))
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    keep: set[int] = set()
    stack = list(HEAD_OUTPUTS)
    while stack:
        node = producer.get(stack.pop())
        if node is None or id(node) in keep:
            continue
        keep.add(id(node))
        stack.extend(node.input)
    nodes = [n for n in graph.node if id(n) in keep]
    if len(nodes) < 100:
        msg = f"{model_path}: not the platedet YOLOv8 graph (head outputs not found)"
        raise ValueError(msg)
    used = {name for n in nodes for name in n.input}
    initializers = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.value_info[:]
    del graph.output[:]
    for name in HEAD_OUTPUTS:
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT16, [None] * 4))
    dims = graph.input[0].type.tensor_type.shape.dim
    for axis, label in ((2, "height"), (3, "width")):
        dims[axis].ClearField("dim_value")
        dims[axis].dim_param = label
    return bytes(model.SerializeToString())


def float32_graph(graph: bytes) -> bytes:
    """The fp16 graph with float32 weights and tensors: what ONNX Runtime's quantizer takes."""
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load_from_string(graph)
    for init in model.graph.initializer:
        if init.data_type == TensorProto.FLOAT16:
            wide = numpy_helper.to_array(init).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(wide, init.name))
    for node in model.graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                attr.i = TensorProto.FLOAT
            elif node.op_type == "Constant" and attr.t.data_type == TensorProto.FLOAT16:
                attr.t.CopyFrom(
                    numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float32))
                )
    for value in [*model.graph.input, *model.graph.output]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    return bytes(model.SerializeToString())


def session_options(threads: int, optimization: Optimization = "all") -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = OPTIMIZATION_LEVELS[optimization]
    return options


class PlateDetector(BaseDetector):  # type: ignore[misc]  # fast-alpr ships no type hints
    """Plate boxes in frame pixels; `input_size` is the letterboxed long side (multiple of 32).

    `graph` replaces the head cut of `model_path` (the int8 model derived from it); the input's
    float type follows the graph's.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        input_size: int = 640,
        square: bool = False,
        conf_threshold: float = 0.3,
        iou_threshold: float = 0.5,
        threads: int = 2,
        graph: bytes | None = None,
        optimization: Optimization = "all",
    ) -> None:
        self.session = ort.InferenceSession(
            head_only_graph(model_path) if graph is None else graph,
            session_options(threads, optimization),
            providers=["CPUExecutionProvider"],
        )
        model_input = self.session.get_inputs()[0]
        self.input_name: str = model_input.name
        self.input_dtype = np.float16 if model_input.type == "tensor(float16)" else np.float32
        self.input_size = input_size
        self.square = square
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold

    @classmethod
    def from_settings(cls, model_path: Path, settings: ModelSettings) -> PlateDetector:
        """The detector the settings ask for; int8 builds (or reuses) its derived model."""
        graph = None
        precision = settings.detector_precision
        if precision == "int8":
            from alpr.quantize import int8_detector

            graph = int8_detector(model_path, settings.cache_dir).read_bytes()
        confidence = settings.detector_confidence
        return cls(
            model_path,
            input_size=settings.detector_input,
            conf_threshold=OPERATING_CONFIDENCE[precision] if confidence is None else confidence,
            threads=settings.detector_threads,
            graph=graph,
        )

    def predict(self, frame: np.ndarray) -> list[DetectionResult]:
        return self.detect(frame)

    def detect(self, frame: np.ndarray, input_size: int | None = None) -> list[DetectionResult]:
        size = input_size or self.input_size
        batch, scale, pad_x, pad_y = self._letterbox(frame, size)
        outputs: list[Any] = self.session.run(None, {self.input_name: batch})
        boxes, scores = _decode(outputs, self.conf_threshold)
        if not len(boxes):
            return []
        boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pad_x) / scale).clip(0, frame.shape[1])
        boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - pad_y) / scale).clip(0, frame.shape[0])
        xywh = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes.tolist()]
        keep = np.array(
            cv2.dnn.NMSBoxes(xywh, scores.tolist(), self.conf_threshold, self.iou_threshold)
        ).flatten()
        results = []
        for i in keep[np.argsort(-scores[keep])]:
            x1, y1, x2, y2 = (round(v) for v in boxes[i])
            if x2 - x1 < 4 or y2 - y1 < 2:
                continue
            box = BoundingBox(x1, y1, x2, y2)
            results.append(
                DetectionResult(label=LABEL, confidence=float(scores[i]), bounding_box=box)
            )
        return results

    def _letterbox(self, frame: np.ndarray, size: int) -> tuple[np.ndarray, float, int, int]:
        height, width = frame.shape[:2]
        scale = size / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        if self.square:
            canvas_w = canvas_h = size
        else:
            canvas_w, canvas_h = -(-new_w // 32) * 32, -(-new_h // 32) * 32
        pad_x, pad_y = (canvas_w - new_w) // 2, (canvas_h - new_h) // 2
        canvas = np.full((canvas_h, canvas_w, 3), LETTERBOX_FILL, np.uint8)
        canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.resize(
            frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR
        )
        # platedet was exported from an RGB-trained model; frames arrive in OpenCV's BGR.
        rgb = canvas[:, :, ::-1].transpose(2, 0, 1)[None]
        scaled = rgb.astype(self.input_dtype) / np.array(255, self.input_dtype)
        return scaled, scale, pad_x, pad_y


def _decode(outputs: list[Any], conf_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """YOLOv8 anchor-free decode: distribution-focal box sides around each grid cell."""
    all_boxes, all_scores = [], []
    logit_threshold = float(np.log(conf_threshold / (1 - conf_threshold)))
    for level, stride in zip(outputs, STRIDES, strict=True):
        head = level[0]
        ys, xs = np.nonzero(head[4 * DFL_BINS] > logit_threshold)
        if not len(ys):
            continue
        logits = head[:, ys, xs].astype(np.float32)
        dist = logits[: 4 * DFL_BINS].reshape(4, DFL_BINS, -1)
        dist = np.exp(dist - dist.max(axis=1, keepdims=True))
        dist /= dist.sum(axis=1, keepdims=True)
        sides = (dist * np.arange(DFL_BINS, dtype=np.float32)[None, :, None]).sum(axis=1)
        cx, cy = xs + 0.5, ys + 0.5
        boxes = np.stack([cx - sides[0], cy - sides[1], cx + sides[2], cy + sides[3]], axis=1)
        all_boxes.append(boxes * stride)
        all_scores.append(1.0 / (1.0 + np.exp(-logits[4 * DFL_BINS])))
    if not all_boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    return np.concatenate(all_boxes), np.concatenate(all_scores)
