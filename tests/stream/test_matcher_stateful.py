"""The matcher under random traffic: a model-based, stateful test on the real broker and database.

Hypothesis drives a world of three lists, one safe list, three cameras at two sites and a real
`platewatch matcher` process: cars pass (alone or seen by several cameras at once, sometimes
resent by the edge), plates join and leave lists and the safe list, officers dismiss alerts,
hostile messages arrive, and the matcher is killed with SIGKILL in the middle of a burst and
started again. After every step the database must match a plain model of what should have
happened: every pass stored exactly once, the right residents, exactly the alerts the cooldown
allows (so at most one open alert per plate, list and site), each sighting once, and the
matcher's lag back at 0. The dead-letter topic must hold one letter per hostile message.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from kafka import KafkaProducer
from sqlalchemy import Engine, func, select

from alpr.read import Box, PlateRead
from bench.drill_bench import hostile_messages
from hotlist.dispositions import set_disposition
from hotlist.lists import add_entry, create_hotlist, remove_entries
from hotlist.safelists import add_safelist_entry, remove_safelist_entry
from org.registry import create_camera, create_site
from platewatch.settings import Settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
from store.tables import Alert, AlertSighting, Hotlist, PlateReadRow, Site
from stream.broker import free_port
from stream.events import DeadLetter, RejectKind, parse_event
from stream.publisher import EdgePublisher
from tests.stream.conftest import settings_for
from tests.stream.helpers import read_topic, start_cli, stop_process, wait_until, write_config

# Far apart: no two within one edit or one OCR confusion of each other.
PLATES = ["7ABC123", "8XYZ987", "4KLM555", "2DEF246"]
LISTS = ["L0", "L1", "L2"]
SITE_OF = {"a1": "Site A", "a2": "Site A", "b1": "Site B"}
COOLDOWN_S = 600
# Gaps between passes, chosen around the cooldown's edge (a gap of exactly 600 s is inside).
GAPS = [0, 20, 300, 599, 600, 601, 1500]


@dataclass
class Model:
    """What the matcher should have stored, computed without it."""

    lists: dict[str, set[str]] = field(default_factory=lambda: {name: set() for name in LISTS})
    safe: set[str] = field(default_factory=set)  # Site A's safe list
    reads: dict[str, bool] = field(default_factory=dict)  # read id -> resident when it passed
    # (list, plate, site) -> last sighting of the open alert inside the cooldown, if any
    open_since: dict[tuple[str, str, str], datetime] = field(default_factory=dict)
    alerts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    alert_reads: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    hostile: list[tuple[bytes, RejectKind, str]] = field(default_factory=list)

    def car_passes(self, plate: str, cameras: list[str], at: datetime) -> None:
        at_site = Counter(SITE_OF[camera] for camera in cameras)
        for name, plates in self.lists.items():
            if plate not in plates:
                continue
            for site, seen in at_site.items():
                key = (name, plate, site)
                last = self.open_since.get(key)
                if last is None or last < at - timedelta(seconds=COOLDOWN_S):
                    self.alerts[key] += 1
                self.alert_reads[key] += seen
                self.open_since[key] = at

    def passed(self, reads: list[PlateRead]) -> None:
        for read in reads:
            at_home = SITE_OF[read.camera_id] == "Site A" and read.plate in self.safe
            self.reads[read.read_id] = at_home


def _read(plate: str, camera: str, at: datetime) -> PlateRead:
    return PlateRead(
        camera_id=camera,
        captured_at=at,
        plate=plate,
        confidence=0.99,
        char_confidences=tuple(0.99 for _ in plate),
        box=Box(x1=10, y1=20, x2=110, y2=60),
    )


class MatcherWorld(RuleBasedStateMachine):
    # Set by the test function: pytest fixtures cannot reach a state machine directly.
    base: Path
    bootstrap: str
    database_url: str
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.dir = self.base / uuid.uuid4().hex[:8]
        self.dir.mkdir()
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)
        self.factory = make_session_factory(self.engine)
        with transaction(self.factory) as session:
            for site in sorted(set(SITE_OF.values())):
                create_site(session, site)
            for camera, site in SITE_OF.items():
                create_camera(session, camera, site=site)
            for name in LISTS:
                create_hotlist(session, name)
        self.metrics_port = free_port()
        self.settings: Settings = settings_for(
            self.dir,
            self.bootstrap,
            self.database_url,
            matching={"index_check_interval_s": 0.0, "cooldown_s": COOLDOWN_S},
            session_timeout_ms=2000,
            heartbeat_interval_ms=500,
            batch_max=50,
            metrics_port=self.metrics_port,
        )
        self.config = write_config(self.settings, self.dir / "platewatch.yaml")
        self.model = Model()
        self.now = datetime.now(UTC) - timedelta(days=1)
        self.edge = EdgePublisher(self.settings)
        self.edge.start()
        self.raw = KafkaProducer(bootstrap_servers=self.bootstrap)
        self.kills = 0
        self.matcher = self._start_matcher()

    # -- the world's processes ---------------------------------------------------------------

    def _start_matcher(self) -> subprocess.Popen[bytes]:
        return start_cli(
            ["matcher", "--name", f"m{self.kills}"], self.config, self.dir / "matcher.log"
        )

    def _publish(self, reads: list[PlateRead]) -> None:
        self.edge.publish_many(reads)
        wait_until("the edge outbox to drain", self.edge.forwarder.drained, timeout=60)

    def teardown(self) -> None:
        try:
            code = stop_process(self.matcher)
            assert code == 0, (self.dir / "matcher.log").read_text()[-3000:]
            self.edge.close()
            self.raw.close()
            self._check_dead_letters()
        finally:
            if self.matcher.poll() is None:
                self.matcher.kill()

    def _check_dead_letters(self) -> None:
        expected = self.model.hostile
        values = read_topic(
            self.bootstrap, self.settings.stream.dead_letter_topic, expect=len(expected), idle=2
        )
        letters = [parse_event(value, DeadLetter, max_bytes=10**8) for value in values]
        by_original = {
            letter.original(): letter for letter in letters if isinstance(letter, DeadLetter)
        }
        assert len(by_original) == len({raw for raw, _, _ in expected}) == len(letters)
        for raw, kind, message in expected:
            assert by_original[raw].reason is kind, by_original[raw].error
            assert message in by_original[raw].error

    # -- rules ----------------------------------------------------------------------------

    @rule(
        plate=st.sampled_from(PLATES),
        cameras=st.lists(st.sampled_from(sorted(SITE_OF)), min_size=1, max_size=3, unique=True),
        gap=st.sampled_from(GAPS),
        resent=st.booleans(),
    )
    def a_car_passes(self, plate: str, cameras: list[str], gap: int, resent: bool) -> None:
        self.now += timedelta(seconds=gap)
        reads = [_read(plate, camera, self.now) for camera in cameras]
        # An edge that crashed before deleting what the broker acknowledged sends it again.
        self._publish(reads + reads[:1] if resent else reads)
        self.model.passed(reads)
        self.model.car_passes(plate, cameras, self.now)

    @rule(name=st.sampled_from(LISTS), plate=st.sampled_from(PLATES))
    def a_plate_is_listed(self, name: str, plate: str) -> None:
        if plate in self.model.lists[name]:
            return
        with transaction(self.factory) as session:
            add_entry(session, name, plate=plate, reason="stolen_vehicle")
        self.model.lists[name].add(plate)

    @rule(name=st.sampled_from(LISTS), plate=st.sampled_from(PLATES))
    def a_plate_leaves_a_list(self, name: str, plate: str) -> None:
        with transaction(self.factory) as session:
            remove_entries(session, name, plate)
        self.model.lists[name].discard(plate)

    @rule(plate=st.sampled_from(PLATES), add=st.booleans())
    def the_safe_list_changes(self, plate: str, add: bool) -> None:
        with transaction(self.factory) as session:
            if add:
                add_safelist_entry(session, "Site A", plate, label="resident", added_by="hoa")
                self.model.safe.add(plate)
            elif plate in self.model.safe:
                remove_safelist_entry(session, "Site A", plate, actor="hoa")
                self.model.safe.discard(plate)

    @precondition(lambda self: bool(self.model.open_since))
    @rule(data=st.data())
    def an_officer_dismisses_the_open_alert(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.model.open_since)))
        name, plate, site = key
        with transaction(self.factory) as session:
            alert_id = session.scalar(
                select(Alert.id)
                .join(Hotlist, Hotlist.id == Alert.hotlist_id)
                .where(Hotlist.name == name, Alert.entry_plate == plate)
                .where(Alert.site_id == select(Site.id).where(Site.name == site).scalar_subquery())
                .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
                .limit(1)
            )
            assert alert_id is not None, f"no alert for {key} in the database"
            set_disposition(session, alert_id, actor="officer-1", action="dismiss")
        del self.model.open_since[key]

    @rule(which=st.integers(min_value=0, max_value=7))
    def a_hostile_message_arrives(self, which: int) -> None:
        template = _read(PLATES[0], "a1", self.now)
        raw, kind, message = hostile_messages(template)[which]
        if any(raw == seen for seen, _, _ in self.model.hostile):
            return
        self.raw.send(self.settings.stream.reads_topic, key=b"a1", value=raw).get(timeout=30)
        self.model.hostile.append((raw, kind, message))

    @rule(size=st.integers(min_value=30, max_value=400), after_s=st.floats(0.0, 0.8))
    def the_matcher_is_killed_mid_burst(self, size: int, after_s: float) -> None:
        cameras = sorted(SITE_OF)
        burst = [
            _read(f"QQ{i:05d}", cameras[i % len(cameras)], self.now + timedelta(milliseconds=i))
            for i in range(size)
        ]
        self.edge.publish_many(burst)
        self.model.passed(burst)
        wait_until("the burst to reach the broker", self.edge.forwarder.drained, timeout=60)
        if after_s >= 0.05:
            wait_until(
                "the matcher to be storing the burst",
                lambda: self._stored() > len(self.model.reads) - size,
                timeout=60,
                interval=0.02,
            )
            time.sleep(after_s)
        stop_process(self.matcher, signal.SIGKILL)
        self.kills += 1
        self.matcher = self._start_matcher()

    # -- what must hold after every step -----------------------------------------------------

    def _stored(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(PlateReadRow)) or 0)

    @invariant()
    def every_pass_is_stored_once_and_alerts_follow_the_cooldown(self) -> None:
        wait_until(
            f"{len(self.model.reads)} reads stored (matcher log: {self.dir / 'matcher.log'})",
            lambda: self._stored() >= len(self.model.reads),
            timeout=90,
        )
        with self.engine.connect() as conn:
            rows = dict(conn.execute(select(PlateReadRow.read_id, PlateReadRow.resident)).all())
            alerts = conn.execute(
                select(Hotlist.name, Alert.entry_plate, Alert.site_id, Alert.sightings).join(
                    Hotlist, Hotlist.id == Alert.hotlist_id
                )
            ).all()
            sightings = conn.execute(select(AlertSighting.alert_id, AlertSighting.read_id)).all()
            sites = dict(conn.execute(select(Site.id, Site.name)).all())
        assert rows.keys() == self.model.reads.keys()
        assert rows == self.model.reads, "resident tags differ from the safe list at the time"
        alert_count: Counter[tuple[str, str, str]] = Counter()
        read_count: Counter[tuple[str, str, str]] = Counter()
        for name, plate, site_id, seen in alerts:
            assert site_id is not None
            key = (name, plate, sites[site_id])
            alert_count[key] += 1
            read_count[key] += seen
        assert alert_count == self.model.alerts
        assert read_count == self.model.alert_reads
        assert len(sightings) == len(set(sightings))

    @invariant()
    def the_matcher_catches_up(self) -> None:
        wait_until("the matcher's lag to return to 0", self._caught_up, timeout=60)

    def _caught_up(self) -> bool:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return False
        lags = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("platewatch_matcher_consumer_lag{")
        ]
        return len(lags) == self.settings.stream.partitions and not any(lags)


@pytest.mark.kafka
@pytest.mark.slow
def test_the_matcher_stays_correct_under_random_traffic_edits_and_kills(
    tmp_path: Path, kafka_bootstrap: str, db_url: str
) -> None:
    engine = make_engine(db_url)
    MatcherWorld.base = tmp_path
    MatcherWorld.bootstrap = kafka_bootstrap
    MatcherWorld.database_url = db_url
    MatcherWorld.engine = engine
    try:
        run_state_machine_as_test(
            MatcherWorld,
            settings=settings(
                max_examples=2,
                stateful_step_count=20,
                deadline=None,
                database=None,
                # A failing run prints its steps; shrinking it would take hours of restarts.
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        engine.dispose()
