"""Plain `platewatch run` never seeds or resets anything: on a database it must not touch it
refuses at once, in one line that says what to do; `run --demo` is the only seeding path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from alpr.demo_clip import CAR_COLOURS, car_sprite, plate_image
from platewatch.cli import main
from platewatch.demo import HOTLISTED_PLATE, seed_demo
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade
from store.tables import HotlistEntry
from store.tables.accounts import User


@pytest.fixture(autouse=True)
def _own_logging() -> Iterator[None]:
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return int(stopped.value.code or 0), err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PLATEWATCH_DATABASE_URL", raising=False)
    return tmp_path / "var"


def _database(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'platewatch.db'}"


def test_plain_run_needs_a_source(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["run"], capsys)
    assert code == 2
    assert "--source" in err and "--demo" in err


def test_plain_run_refuses_a_database_without_accounts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(_database(data_dir))
    upgrade(engine)
    code, err = _run(["run", "--source", "rtsp://127.0.0.1:1/cam"], capsys)
    with make_session_factory(engine)() as session:
        users = session.scalar(select(func.count()).select_from(User))
    engine.dispose()
    assert code == 1
    assert "no accounts" in err and "run --demo" in err and "users add" in err
    assert users == 0, "plain run must not create accounts"
    assert not (data_dir / "logs").exists(), "nothing may start before the check"


def test_plain_run_refuses_a_database_never_upgraded(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_engine(_database(data_dir)).dispose()
    code, err = _run(["run", "--source", "rtsp://127.0.0.1:1/cam"], capsys)
    assert code == 1
    assert "db upgrade" in err


def test_plain_run_refuses_an_unregistered_camera(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(_database(data_dir))
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        seed_demo(session)
    with make_session_factory(engine)() as session:
        hashes = set(session.scalars(select(User.password_hash)))
    monkeypatch.setenv("PLATEWATCH_EDGE__CAMERA_ID", "gate-west")
    code, err = _run(["run", "--source", "rtsp://127.0.0.1:1/cam"], capsys)
    with make_session_factory(engine)() as session:
        after = set(session.scalars(select(User.password_hash)))
    engine.dispose()
    assert code == 1
    assert "'gate-west'" in err and "camera add gate-west" in err
    assert after == hashes, "plain run must not reset passwords"


# How a person names a paint: by hue when it is saturated (OpenCV hue, 0-180), else grey.
HUES = {"Red": (0, 8), "Brown": (8, 25), "Green": (35, 85), "Blue": (90, 130)}


def _colour_name(bgr: np.ndarray) -> str:
    hue, saturation, value = cv2.cvtColor(bgr.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_BGR2HSV)[
        0, 0
    ]
    if saturation < 60:
        return "Silver" if value > 100 else "Black"
    return next((name for name, (lo, hi) in HUES.items() if lo <= hue < hi), "Red")


def test_the_demo_hotlist_record_names_the_colour_the_clip_draws(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        seed_demo(session)
    with make_session_factory(engine)() as session:
        entry = session.scalar(select(HotlistEntry).where(HotlistEntry.plate == HOTLISTED_PLATE))
    engine.dispose()
    assert entry is not None
    image, mask = car_sprite(CAR_COLOURS[0][1], plate_image(HOTLISTED_PLATE))
    body = image[(mask > 0) if mask.ndim == 2 else (mask[..., 0] > 0)].reshape(-1, 3)
    # The most common shade of the sprite is its paint (not the plate, glass or lights).
    shades, counts = np.unique(body // 16, axis=0, return_counts=True)
    paint = body[(body // 16 == shades[counts.argmax()]).all(axis=1)].mean(axis=0)
    assert _colour_name(paint) == entry.color, f"car drawn {paint.round()}, says {entry.color}"


@pytest.mark.parametrize(("name", "bgr"), CAR_COLOURS)
def test_every_clip_colour_is_named_as_a_person_would(name: str, bgr: tuple[int, int, int]) -> None:
    assert _colour_name(np.array(bgr)) == name
