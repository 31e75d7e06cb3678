"""Fixtures of the console tests: a seeded world on both databases, the app, and callers.

The world has two agencies and three sites so every scope rule has someone inside it and
someone outside: Oak Ridge shares with Metro PD, Pine Hills with County SO, and Elm Court's
sharing with Metro PD is switched off.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import store.tables  # noqa: F401
from alpr.read import Box, PlateRead
from community.registry import CameraInput, add_camera
from community.residents import ProfileInput, add_profile
from console.accounts import passwords
from console.accounts.logins import start_session
from console.accounts.users import create_user, issue_token
from console.app import create_app
from hotlist.index_cache import IndexCache
from hotlist.ingest import ReadOutcome, ingest_read
from hotlist.lists import add_entry, create_hotlist
from hotlist.safelists import add_safelist_entry
from hotlist.settings import MatchSettings
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from platewatch.settings import Settings, load_settings
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import Alert, AlertSighting, User
from tests.conftest import scratch_pg_database

PASSWORD = "correct horse battery"
MATCH = MatchSettings(index_check_interval_s=0)
SPARE_PLATES = 60  # listed plates tests use up one each for alerts of their own
USERS = {
    "officer_a": ("officer", "Metro PD", None),
    "officer_b": ("officer", "County SO", None),
    "hoa_oak": ("hoa_admin", None, "Oak Ridge HOA"),
    "hoa_pine": ("hoa_admin", None, "Pine Hills HOA"),
    "auditor": ("auditor", None, None),
    "admin": ("admin", None, None),
    "supervisor": ("supervisor", "Metro PD", None),
    "resident_a": ("resident", None, "Oak Ridge HOA"),
    "resident_b": ("resident", None, "Oak Ridge HOA"),
}


@dataclass
class World:
    url: str
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    image_root: Path
    ids: dict[str, Any] = field(default_factory=dict)
    ingest: Any = None
    _spare: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self) -> Session:
        return self.factory()

    def new_alert(
        self,
        camera_id: str = "cam-oak-1",
        *,
        images: bool = False,
        pictures: tuple[bytes, bytes] | None = None,
    ) -> int:
        """Store a read of a not yet used listed plate through the matcher; its alert's id."""
        with self._lock:
            plate = f"PWT{self._spare:03d}"
            self._spare += 1
            assert self._spare <= SPARE_PLATES, "raise SPARE_PLATES"
            with self.session() as s:
                alert_id = only_alert(
                    self.ingest(
                        s,
                        f"r-{plate}",
                        camera_id,
                        plate,
                        minutes_ago=0,
                        images=images,
                        pictures=pictures,
                    )
                )
                s.commit()
            return alert_id


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Real argon2id, with test-sized cost: the default costs 0.25 s a hash on these machines
    and the suite hashes hundreds of times. Production keeps argon2-cffi's RFC 9106 defaults."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        passwords._dummy_hash.cache_clear()
        yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def world_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'console.db'}"
        return
    with scratch_pg_database(request.getfixturevalue("pg_database_url"), "pwc") as url:
        yield url


class Ingest:
    """Reads into the database the way the matcher stores them: the real `ingest_read`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.cache = IndexCache(
            world.image_root.parent / f"index-{uuid.uuid4().hex[:6]}", settings=MATCH
        )

    def __call__(
        self,
        session: Session,
        read_id: str,
        camera_id: str,
        plate: str,
        *,
        minutes_ago: float = 10,
        images: bool = False,
        region: str | None = "us-ca",
        pictures: tuple[bytes, bytes] | None = None,
    ) -> ReadOutcome:
        """`pictures` (crop, frame) are stored as the read's images; `images` stores stubs."""
        images = images or pictures is not None
        read = PlateRead(
            read_id=read_id,
            camera_id=camera_id,
            captured_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            plate=plate,
            confidence=0.96,
            char_confidences=tuple(0.96 for _ in plate),
            region=region,
            box=Box(x1=10, y1=10, x2=110, y2=40),
            crop_path=f"{camera_id}/{read_id}-crop.jpg" if images else None,
            frame_path=f"{camera_id}/{read_id}-frame.jpg" if images else None,
        )
        if images:
            folder = self.world.image_root / camera_id
            folder.mkdir(parents=True, exist_ok=True)
            crop, frame = pictures or (
                b"\xff\xd8\xff\xe0crop-" + read_id.encode(),
                b"\xff\xd8\xff\xe0frame-" + read_id.encode(),
            )
            (folder / f"{read_id}-crop.jpg").write_bytes(crop)
            (folder / f"{read_id}-frame.jpg").write_bytes(frame)
        return ingest_read(session, read, self.cache.current(session), MATCH)


def only_alert(outcome: ReadOutcome) -> int:
    assert len(outcome.alert_ids) == 1, outcome
    return outcome.alert_ids[0]


_sighting_reads = itertools.count()


def sight(world: World, alert_id: int, camera_id: str = "cam-oak-2") -> int:
    """A later read of the alert's plate: the matcher folds it into the alert as a sighting."""
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        read_id = f"r-again-{next(_sighting_reads)}-{alert.plate_read}"
        world.ingest(s, read_id, camera_id, alert.plate_read, minutes_ago=0, images=True)
        s.commit()
        sighting = s.scalar(select(AlertSighting).where(AlertSighting.read_id == read_id))
        assert sighting is not None and sighting.alert_id == alert_id
        return sighting.id


def set_status(world: World, alert_id: int, status: str) -> None:
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        alert.status = status
        s.commit()


def seed(world: World) -> None:
    with world.session() as s:
        metro = create_agency(s, "Metro PD", state="CA")
        county = create_agency(s, "County SO", state="CA")
        oak = create_site(s, "Oak Ridge HOA")
        pine = create_site(s, "Pine Hills HOA")
        elm = create_site(s, "Elm Court")
        create_camera(
            s,
            "cam-oak-1",
            site=oak.id,
            name="Oak gate north",
            location="Oak Dr",
            direction="inbound",
        )
        create_camera(s, "cam-oak-2", site=oak.id, name="Oak gate south")
        create_camera(s, "cam-pine-1", site=pine.id, name="Pine entrance")
        create_camera(s, "cam-elm-1", site=elm.id, name="Elm entrance")
        set_site_sharing(s, oak.id, metro.id, actor="test")
        set_site_sharing(s, pine.id, county.id, actor="test")
        set_site_sharing(s, elm.id, metro.id, enabled=False, actor="test")
        create_hotlist(s, "NCIC stolen", source="ncic")
        create_hotlist(s, "County custom", owner_agency=county.id)
        add_entry(
            s,
            "NCIC stolen",
            plate="ABC123",
            state="CA",
            reason="stolen_vehicle",
            make="Honda",
            model="Civic",
            color="silver",
            record_number="V123456789",
        )
        add_entry(
            s,
            "NCIC stolen",
            plate="7KQM552",
            state="NV",
            reason="stolen_vehicle",
            make="Toyota",
            model="Camry",
            color="white",
            record_number="V555000111",
        )
        add_entry(s, "NCIC stolen", plate="8ELM808", state="CA", reason="stolen_plate")
        add_entry(s, "County custom", plate="ZZZ999", state="CA", reason="wanted_person")
        for n in range(SPARE_PLATES):
            add_entry(
                s,
                "NCIC stolen",
                plate=f"PWT{n:03d}",
                state="CA",
                make="Ford",
                model="F-150",
                color="black",
                record_number=f"V9{n:08d}",
            )
        for plate in ("LATE01", "LATE02"):  # test_cursor's out-of-order commit
            add_entry(s, "NCIC stolen", plate=plate, state="CA")
        add_safelist_entry(s, oak.id, "RES111", state="CA", label="Unit 4", added_by="test")
        s.commit()
        ingest = Ingest(world)
        ids = world.ids
        ids["alert_oak"] = only_alert(ingest(s, "r-oak-1", "cam-oak-1", "ABC123", images=True))
        assert ingest(s, "r-oak-res", "cam-oak-1", "RES111", images=True).resident
        ingest(s, "r-oak-plain", "cam-oak-2", "ABC777", minutes_ago=30)
        ids["alert_oak_county_list"] = only_alert(ingest(s, "r-oak-b", "cam-oak-2", "ZZZ999"))
        ids["alert_pine"] = only_alert(ingest(s, "r-pine-1", "cam-pine-1", "7KQM552", images=True))
        ids["alert_elm"] = only_alert(ingest(s, "r-elm-1", "cam-elm-1", "8ELM808"))
        ids.update(metro=metro.id, county=county.id, oak=oak.id, pine=pine.id, elm=elm.id)
        for username, (role, agency, site) in USERS.items():
            create_user(
                s,
                actor="test",
                username=username,
                role=role,  # type: ignore[arg-type]
                agency_id={"Metro PD": metro.id, "County SO": county.id}.get(agency or ""),
                site_id={"Oak Ridge HOA": oak.id, "Pine Hills HOA": pine.id}.get(site or ""),
                password=PASSWORD,
                display_name=username.replace("_", " ").title(),
            )
        s.commit()
        seed_residents(s, ids)
    world.ingest = ingest


def seed_residents(s: Session, ids: dict[str, Any]) -> None:
    """Each seeded resident's profile and one camera, so scope tests have another's to try."""
    for username in ("resident_a", "resident_b"):
        user = s.query(User).filter_by(username=username).one()
        add_profile(s, user.id, ProfileInput("home", f"{username}@example.org", "1 Oak Dr"))
        door = CameraInput(f"{username} door", "doorbell", 37.7749, -122.4194)
        camera = add_camera(s, owner_user_id=user.id, actor=username, given=door)
        ids[f"camera_{username}"] = camera.id
    s.commit()


def settings_for(url: str, image_root: Path, **console: Any) -> Settings:
    return load_settings(
        database_url=url,
        edge={"image_root": str(image_root)},
        console={
            "feed_poll_ms": 100,
            "webhook_poll_s": 0.1,
            # Beside the images (a temporary folder), never in the checkout's var/.
            "media_link_key_path": str(image_root.parent / "keys" / "media-links.key"),
            # Keys the console creates go beside the images, never into the checkout's var/.
            "push_key_path": str(image_root.parent / "keys" / "vapid.pem"),
            **console,
        },
    )


@pytest.fixture(scope="session")
def world(world_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    engine = make_engine(world_url)
    Base.metadata.create_all(engine)
    image_root = tmp_path_factory.mktemp("images")
    w = World(
        world_url,
        settings_for(world_url, image_root),
        engine,
        make_session_factory(engine),
        image_root,
    )
    seed(w)
    yield w
    engine.dispose()


@pytest.fixture(scope="session")
def app(world: World) -> FastAPI:
    # Webhook delivery is tested with its own server and settings (test_webhooks).
    return create_app(world.settings, webhooks=False)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@dataclass
class Caller:
    """Requests as one signed-in user (session cookie + CSRF header) or one API token."""

    client: TestClient
    headers: dict[str, str]

    def get(self, url: str, **kw: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(
            url, headers=self.headers, follow_redirects=False, **kw
        )
        return response

    def post(self, url: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        response: httpx.Response = self.client.post(
            url, headers=headers, follow_redirects=False, **kw
        )
        return response

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        response: httpx.Response = self.client.request(
            method, url, headers=headers, follow_redirects=False, **kw
        )
        return response


def session_headers(world: World, username: str) -> dict[str, str]:
    with world.session() as s:
        user = s.query(User).filter_by(username=username).one()
        started = start_session(s, user, hours=1, client="pytest")
        s.commit()
        return {"Cookie": f"pw_session={started.cookie}", "X-CSRF-Token": started.row.csrf_token}


def token_headers(world: World, username: str) -> dict[str, str]:
    with world.session() as s:
        new = issue_token(s, actor="test", username=username, name="pytest", days=1)
        s.commit()
        return {"Authorization": f"Bearer {new.secret}"}


@pytest.fixture(scope="session")
def as_user(world: World, client: TestClient) -> dict[str, Caller]:
    """One session caller per seeded user, by username."""
    return {name: Caller(client, session_headers(world, name)) for name in USERS}


@pytest.fixture(scope="session")
def by_token(world: World, client: TestClient) -> dict[str, Caller]:
    return {name: Caller(client, token_headers(world, name)) for name in USERS}


class LiveServer:
    """The app under a real uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=1,
            lifespan="on",
            proxy_headers=False,  # as console.server runs it: the app reads X-Forwarded-For
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console server did not start")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        deadline = time.monotonic() + 5
        while self.server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.05)  # let closed event streams go before shutting down
        self.server.should_exit = True
        self.thread.join(10)


def finished_job(caller: Caller, queued: httpx.Response, timeout_s: float = 120) -> dict[str, Any]:
    """The job an import upload queued (202 + Location), polled until done or failed."""
    assert queued.status_code == 202, queued.text
    location = queued.headers["location"]
    assert location == f"/api/import-jobs/{queued.json()['id']}"
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = caller.get(location).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[LiveServer]:
    """The console of the seeded world under a real server, one per test module."""
    with LiveServer(create_app(world.settings, webhooks=False)) as server:
        yield server
