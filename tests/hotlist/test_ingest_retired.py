"""A retired camera's reads: those taken before its retirement are still stored (an edge's
backlog), those taken after are refused, so the stream dead-letters them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.index_cache import IndexCache
from hotlist.ingest import RetiredCamera, ingest_read, ingest_reads
from hotlist.settings import MatchSettings
from org.admin import Actor, retire_camera
from store.errors import DomainError
from store.tables import PlateReadRow
from tests.hotlist.conftest import World, make_read


def test_reads_after_retirement_are_refused_and_earlier_ones_stored(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    retired_at = retire_camera(session, Actor("admin"), world.camera).retired_at
    assert retired_at is not None
    session.commit()
    matcher = cache_factory().current(session)

    late = make_read("ABC1234", read_id="backlog-1", at=retired_at - timedelta(minutes=5))
    assert ingest_read(session, late, matcher, fresh_settings).stored
    session.commit()

    after = make_read("ABC1234", read_id="after-1", at=retired_at + timedelta(seconds=1))
    other = make_read("XYZ999", read_id="other-1", camera=world.other_camera)
    with pytest.raises(RetiredCamera, match=r"camera .gate-1. was retired at .* takes no new") as e:
        ingest_reads(session, [other, after], matcher, fresh_settings)
    assert isinstance(e.value, DomainError)  # what the stream dead-letters
    session.rollback()
    stored = session.scalars(select(PlateReadRow.read_id)).all()
    assert stored == ["backlog-1"]
