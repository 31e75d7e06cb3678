"""A synthetic street clip for `make run`: cars with readable US-style plates pass one by one.

The demo needs a camera that every machine has; this draws one with OpenCV. The background is
static (as from a pole-mounted camera), each car drives in from the left, slows past the camera
and leaves to the right, so the edge reader's motion gate, tracker and one-read-per-pass logic
all do their real work. `tests/alpr/test_demo_clip.py` checks the offline pack reads every plate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

# The first is hotlisted in the demo, the second safe-listed, the third on neither list.
DEMO_PLATES: tuple[str, ...] = ("7ABC123", "8XYZ789", "5KLM456")
# (name, BGR): the demo hotlist's record names the colour its car is drawn in.
CAR_COLOURS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("Blue", (150, 60, 30)),
    ("Red", (40, 40, 170)),
    ("Green", (90, 110, 60)),
    ("Silver", (160, 160, 165)),
    ("Brown", (40, 90, 150)),
)


def car_colour_name(number: int) -> str:
    """The colour of the `number`-th car of the clip (0-based), as a hotlist record says it."""
    return CAR_COLOURS[number % len(CAR_COLOURS)][0]


PLATE_SIZE = (300, 150)
CAR_WIDTH = 520
GAP_S = 0.6


def plate_image(text: str) -> np.ndarray:
    """A white US-style plate: dark border, state line above, bold dark characters."""
    width, height = PLATE_SIZE
    plate = np.full((height, width, 3), 245, np.uint8)
    cv2.rectangle(plate, (3, 3), (width - 4, height - 4), (60, 40, 30), 4)
    cv2.putText(
        plate, "DEMO STATE", (80, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (40, 40, 170), 2, cv2.LINE_AA
    )
    font, scale, thickness = cv2.FONT_HERSHEY_DUPLEX, 1.6, 4
    (text_w, text_h), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = ((width - text_w) // 2, (height + text_h) // 2 + 10)
    cv2.putText(plate, text, origin, font, scale, (50, 30, 20), thickness, cv2.LINE_AA)
    return plate


def background(size: tuple[int, int]) -> np.ndarray:
    """A static street: sky, houses, pavement, road with lane marks."""
    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * 0.38)
    for y in range(horizon):
        frame[y, :] = (235 - y // 6, 200 - y // 8, 160 - y // 10)
    frame[horizon:, :] = (95, 98, 100)
    for i, x in enumerate(range(0, width, width // 6)):
        top = horizon - 60 - 25 * (i % 3)
        cv2.rectangle(
            frame, (x + 10, top), (x + width // 6 - 20, horizon), (70, 90, 140 + i * 8), -1
        )
        cv2.rectangle(frame, (x + 40, top + 25), (x + 80, top + 55), (200, 220, 230), -1)
    cv2.rectangle(frame, (0, horizon), (width, horizon + 40), (150, 150, 150), -1)
    lane_y = int(height * 0.93)
    for x in range(0, width, 120):
        cv2.rectangle(frame, (x, lane_y), (x + 60, lane_y + 8), (230, 230, 230), -1)
    return frame


def _shade(colour: np.ndarray, factor: float) -> tuple[float, float, float]:
    b, g, r = (float(v) * factor for v in colour)
    return (b, g, r)


def car_sprite(colour: tuple[int, int, int], plate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A car seen from behind (image and mask), shaded, with its plate in a recess.

    Flat cartoon cars are not cars to a plate detector trained on photos; shading, a rear window,
    tail lights and a plate recess are what it needs to see a plate here.
    """
    w, h = CAR_WIDTH, round(CAR_WIDTH * 0.62)
    base = np.array(colour, np.float32)
    sprite = (base[None, None, :] * np.linspace(1.15, 0.55, h)[:, None, None]).repeat(w, axis=1)
    mask = np.zeros((h, w), np.uint8)

    def pts(*xy: float) -> np.ndarray:
        return np.array(
            [(round(x * w), round(y * h)) for x, y in zip(xy[::2], xy[1::2], strict=True)]
        )

    cv2.fillPoly(mask, [pts(0.18, 0.30, 0.28, 0.02, 0.72, 0.02, 0.82, 0.30)], 255)
    for x0, y0, x1, y1 in (
        (0.03, 0.28, 0.97, 0.90),
        (0.08, 0.85, 0.22, 0.99),
        (0.78, 0.85, 0.92, 0.99),
    ):
        cv2.rectangle(mask, (round(x0 * w), round(y0 * h)), (round(x1 * w), round(y1 * h)), 255, -1)
    cv2.fillPoly(sprite, [pts(0.22, 0.29, 0.30, 0.06, 0.70, 0.06, 0.78, 0.29)], (55, 45, 40))
    cv2.line(sprite, pts(0.33, 0.10)[0], pts(0.45, 0.27)[0], (110, 100, 95), 3)
    cv2.line(sprite, pts(0.05, 0.42)[0], pts(0.95, 0.42)[0], _shade(base, 0.5), 2)
    cv2.rectangle(sprite, pts(0.03, 0.72)[0], pts(0.97, 0.88)[0], _shade(base, 0.6), -1)
    for x0 in (0.04, 0.76):
        cv2.rectangle(sprite, pts(x0, 0.33)[0], pts(x0 + 0.20, 0.46)[0], (30, 30, 180), -1)
        cv2.rectangle(sprite, pts(x0 + 0.015, 0.36)[0], pts(x0 + 0.185, 0.40)[0], (90, 90, 230), -1)
    for x0 in (0.08, 0.78):
        cv2.rectangle(sprite, pts(x0, 0.88)[0], pts(x0 + 0.14, 0.99)[0], (25, 25, 25), -1)
    cv2.circle(sprite, pts(0.5, 0.37)[0], round(0.03 * w), (190, 190, 190), -1)
    plate_w = round(0.26 * w)
    plate_h, x, y = plate_w // 2, (w - plate_w) // 2, round(0.50 * h)
    cv2.rectangle(
        sprite, (x - 10, y - 8), (x + plate_w + 10, y + plate_h + 8), _shade(base, 0.35), -1
    )
    sprite[y : y + plate_h, x : x + plate_w] = cv2.resize(
        plate, (plate_w, plate_h), interpolation=cv2.INTER_AREA
    )
    # A little sensor noise, seeded: the clip is the same on every machine.
    sprite += np.random.default_rng(len(plate)).normal(0, 4, sprite.shape)
    return np.clip(sprite, 0, 255).astype(np.uint8), mask


def draw_car(
    frame: np.ndarray, left: int, bottom: int, sprite: tuple[np.ndarray, np.ndarray]
) -> None:
    """Paste the car with its left edge at `left`, clipped at the frame's edges."""
    image, mask = sprite
    top, width = bottom - image.shape[0], image.shape[1]
    x0, x1 = max(0, left), min(frame.shape[1], left + width)
    if x1 <= x0:
        return
    part = mask[:, x0 - left : x1 - left] > 0
    frame[top:bottom, x0:x1][part] = image[:, x0 - left : x1 - left][part]


def car_position(t: float, duration: float, width: int) -> int:
    """Left edge at time t of a pass: enter, slow down past the camera, leave."""
    start, end = -CAR_WIDTH, width
    u = min(1.0, max(0.0, t / duration))
    eased = u + 0.8 * math.sin(2 * math.pi * u) / (2 * math.pi)
    return round(start + (end - start) * eased)


def make_demo_clip(
    path: Path,
    plates: Sequence[str] = DEMO_PLATES,
    *,
    fps: int = 15,
    seconds_per_vehicle: float = 4.0,
    size: tuple[int, int] = (1280, 720),
) -> Path:
    """Render the clip (MPEG-4) to `path` and return it; one car per plate, in order."""
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix or '.mp4'}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        msg = f"{path}: OpenCV cannot write MPEG-4 video here"
        raise OSError(msg)
    scene = background(size)
    try:
        for number, text in enumerate(plates):
            sprite = car_sprite(CAR_COLOURS[number % len(CAR_COLOURS)][1], plate_image(text))
            frames = round((seconds_per_vehicle + GAP_S) * fps)
            for i in range(frames):
                frame = scene.copy()
                t = i / fps
                if t <= seconds_per_vehicle:
                    left = car_position(t, seconds_per_vehicle, width)
                    draw_car(frame, left, height - 20, sprite)
                writer.write(frame)
    finally:
        writer.release()
    tmp.replace(path)
    return path
