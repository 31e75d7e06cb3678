"""Fixtures of the hotlist tests: a site with a camera, and reads to match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from alpr.read import Box, CharChoice, PlateRead
from hotlist.index_cache import IndexCache
from hotlist.settings import MatchSettings
from org.registry import create_agency, create_camera, create_site


@dataclass(frozen=True)
class World:
    site_id: int
    other_site_id: int
    camera: str
    other_camera: str


@pytest.fixture
def world(session: Session) -> World:
    agency = create_agency(session, "Springfield PD", state="IL")
    site = create_site(session, "Oak Ridge HOA")
    other = create_site(session, "Elm Park")
    create_camera(session, "gate-1", site=site.id, name="Main gate", location="Oak Ridge Dr")
    create_camera(session, "elm-1", site=other.id)
    del agency
    session.commit()
    return World(site.id, other.id, "gate-1", "elm-1")


def make_read(
    plate: str,
    *,
    camera: str = "gate-1",
    confidence: float = 0.97,
    choices: str | None = None,
    region: str | None = None,
    at: datetime | None = None,
    read_id: str | None = None,
    **extra: Any,
) -> PlateRead:
    """A read whose every character is `confidence` sure, unless `choices` says otherwise."""
    values: dict[str, Any] = {
        "camera_id": camera,
        "captured_at": at or datetime.now(UTC),
        "plate": plate,
        "confidence": confidence,
        "box": Box(x1=0, y1=0, x2=10, y2=5),
        "region": region,
        "char_choices": tuple((CharChoice(char=c, p=confidence),) for c in plate),
    }
    if read_id:
        values["read_id"] = read_id
    values.update(extra)
    return PlateRead(**values)


def choices_at(
    plate: str, position: int, options: list[tuple[str, float]], confidence: float = 0.97
) -> tuple[tuple[CharChoice, ...], ...]:
    """Per-position choices where one position hesitates between `options`."""
    out: list[tuple[CharChoice, ...]] = [(CharChoice(char=c, p=confidence),) for c in plate]
    out[position] = tuple(CharChoice(char=c, p=p) for c, p in options)
    return tuple(out)


@pytest.fixture
def fresh_settings() -> MatchSettings:
    return MatchSettings(index_check_interval_s=0)


@pytest.fixture
def cache_factory(tmp_path: Path, fresh_settings: MatchSettings) -> Callable[[], IndexCache]:
    def make() -> IndexCache:
        return IndexCache(tmp_path / "index", settings=fresh_settings)

    return make
