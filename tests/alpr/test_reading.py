from __future__ import annotations

from pathlib import Path

from alpr.read import PlateRead
from alpr.reading import read_inputs
from platewatch.settings import Settings

from .conftest import CAR_PLATE


def test_every_input_is_tried_and_counted(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    reads: list[PlateRead] = []
    errors: list[str] = []
    outcome = read_inputs(
        settings,
        [str(tmp_path / "gone.jpg"), str(samples / "car.jpg"), str(samples / "car.jpg")],
        models="offline",
        region=None,
        camera_id="cli",
        on_read=reads.append,
        on_error=errors.append,
    )
    assert outcome.readable == 2 and outcome.reads == 2 and outcome.fatal is None
    assert [r.plate for r in reads] == [CAR_PLATE, CAR_PLATE]
    assert reads[0].read_id != reads[1].read_id
    assert reads[0].crop_path is None  # `read` does not store images
    assert errors == [f"{tmp_path / 'gone.jpg'}: no such file or folder"]
