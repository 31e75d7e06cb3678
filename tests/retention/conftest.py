"""Fixtures for the retention tests: a world of sites, cameras, reads and image files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.retention.world import World


@pytest.fixture
def world(engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    root = tmp_path / "images"
    root.mkdir()
    return World(engine, session_factory, root)
