from __future__ import annotations

from pathlib import Path

import cv2

from alpr.demo_clip import DEMO_PLATES, make_demo_clip
from alpr.edge import read_passes
from platewatch.settings import Settings


def test_offline_pack_reads_every_demo_plate_once(settings: Settings, tmp_path: Path) -> None:
    clip = make_demo_clip(tmp_path / "demo" / "clip.mp4", DEMO_PLATES, seconds_per_vehicle=3.0)
    capture = cv2.VideoCapture(str(clip))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == round(3.6 * 15) * len(DEMO_PLATES)
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
        1280,
        720,
    )
    capture.release()
    assert [p.name for p in clip.parent.iterdir()] == ["clip.mp4"]  # no temp file left
    reads = list(read_passes(settings, source=str(clip), camera_id="demo-cam-1"))
    assert [r.plate for r in reads] == list(DEMO_PLATES)
    assert all(r.region == "us" and r.confidence > 0.9 for r in reads)
