"""`platewatch agency|site|camera`: changes audited as `cli:$USER`, refusals in one line."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from platewatch.cli import app
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import AuditEvent, Camera

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'org.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", url)
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    yield url


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_every_change_is_audited_as_the_person_at_the_command_line(db: str) -> None:
    _ok("agency", "add", "Metro PD", "--state", "CA")
    _ok("site", "add", "Oak Ridge HOA", "--image-retention-days", "14")
    _ok("site", "share", "Oak Ridge HOA", "Metro PD")
    _ok("camera", "add", "gate-1", "--site", "Oak Ridge HOA", "--region", "ca")
    _ok("camera", "edit", "gate-1", "--lat", "37.77", "--location", "Oak Dr")
    assert "retired" in _ok("camera", "retire", "gate-1")
    assert "gate-1\tOak Ridge HOA\tgate-1\tOak Dr\tretired" in _ok("camera", "list")
    _ok("agency", "retire", "Metro PD")
    _ok("site", "retire", "Oak Ridge HOA")
    engine = make_engine(db)
    with make_session_factory(engine)() as s:
        rows = s.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id))
        actors, actions = zip(*rows.all(), strict=True)
        camera = s.get(Camera, "gate-1")
        assert camera is not None and (camera.region, camera.latitude) == ("CA", 37.77)
    engine.dispose()
    assert set(actors) == {f"cli:{getpass.getuser()}"}
    assert actions == (
        "agency.create",
        "site.create",
        "site.share",
        "camera.create",
        "camera.update",
        "camera.retire",
        "agency.retire",
        "site.retire",
    )


def test_a_bad_value_is_one_line_naming_it_and_nothing_is_written(db: str) -> None:
    _ok("site", "add", "Oak Ridge HOA")
    result = runner.invoke(
        app, ["camera", "add", "gate-1", "--site", "Oak Ridge HOA", "--lat", "95"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: latitude 95.0 is outside -90..90 (degrees north; south is negative)"
    ]
    assert _ok("camera", "list") == ""


def test_a_camera_period_is_set_shorter_than_its_site_and_cleared(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEWATCH_RETENTION__IMAGE_DAYS", "20")
    _ok("site", "add", "Oak Ridge HOA")
    _ok("camera", "add", "pool", "--site", "Oak Ridge HOA", "--image-days", "5")
    _ok("camera", "add", "gate-1", "--site", "Oak Ridge HOA")
    assert "pool\tOak Ridge HOA\tpool\t\timages 5 days" in _ok("camera", "list")
    longer = runner.invoke(app, ["camera", "edit", "gate-1", "--image-days", "21"])
    assert longer.exit_code == 1
    assert "keeps images (20 days, the deployment default)" in longer.output
    both = runner.invoke(app, ["camera", "edit", "pool", "--image-days", "3", "--site-image-days"])
    assert both.exit_code == 2 and "not both" in both.output
    _ok("camera", "edit", "pool", "--site-image-days")
    engine = make_engine(db)
    with make_session_factory(engine)() as s:
        days = {c.id: c.image_retention_days for c in s.scalars(select(Camera))}
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    engine.dispose()
    assert days == {"pool": None, "gate-1": None}
    assert actions == [
        "site.create",
        "camera.create",
        "camera.update",
        "camera.create",
        "camera.update",
    ]
