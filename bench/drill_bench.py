"""Fault drill: the matcher under everyday hard traffic, hostile messages and SIGKILL, end to end.

`make drill` (bounded, loopback only) runs, on SQLite and on PostgreSQL, a real Tansu broker and
a real `platewatch matcher` process fed by the edge's publisher:
- passes from three cameras at one site, a fifth of them of a plate on three lists at once,
  seen again every few seconds (inside the cooldown), one in ten of a safe-listed plate that is
  also on a list, and one in twenty resent by the edge with the same read id;
- one hostile message every 50 passes (nesting bombs, foreign image paths, a future schema,
  not JSON, an unregistered camera), sent straight to the reads topic;
- the matcher killed with SIGKILL twice mid-stream and started again.
It prints edge passes against stored reads, duplicates, alerts per list, dead letters and the
matcher's final lag, and fails (exit 1) when any of them is off.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Engine, func, select

from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from bench.stream_bench import _bench_settings, _databases
from hotlist.lists import add_entry, create_hotlist
from hotlist.safelists import add_safelist_entry
from org.registry import create_camera, create_site
from platewatch.settings import Settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
from store.tables import Alert, AlertSighting, PlateReadRow
from stream.broker import EmbeddedBroker, free_port
from stream.events import PlateReadEvent, RejectKind
from stream.publisher import EdgePublisher

SECTION = "Fault drill"
PASSES = 1_500
CAMERAS = ("drill-1", "drill-2", "drill-3")
LISTS = ("NCIC", "State", "Agency")
ON_EVERY_LIST = "7MUL123"
SAFE_AND_LISTED = "4SAF456"
KILL_AT = (PASSES // 3, 2 * PASSES // 3)


def hostile_messages(template: PlateRead) -> list[tuple[bytes, RejectKind, str]]:
    """Messages a broken or hostile producer could send; each must be dead-lettered, with a
    reason containing the third item, and nothing behind it held up."""

    def read_with(**changes: object) -> bytes:
        payload = json.loads(PlateReadEvent(read=template).to_bytes())
        payload["read"].update(changes)
        return json.dumps(payload).encode()

    newer = json.loads(PlateReadEvent(read=template).to_bytes())
    newer["schema_version"] = 7
    return [
        (b"[" * 2000 + b"]" * 2000, RejectKind.UNPARSEABLE, "JSON nests too deep"),
        (b'{"n": ' + b"7" * 6000 + b"}", RejectKind.UNPARSEABLE, "not JSON"),
        (b"\x00\xffnot json at all", RejectKind.UNPARSEABLE, "not JSON"),
        (read_with(crop_path="../../../../tmp/x"), RejectKind.INVALID, "crop_path"),
        (read_with(frame_path="/etc/passwd"), RejectKind.INVALID, "is absolute"),
        (read_with(crop_path="b1/2025/01/01/x_crop.jpg"), RejectKind.INVALID, "own folder"),
        (json.dumps(newer).encode(), RejectKind.UNSUPPORTED_VERSION, "schema_version 7"),
        (read_with(camera_id="nobody-registered"), RejectKind.UNPROCESSABLE, "not registered"),
    ]


def _seed(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with transaction(make_session_factory(engine)) as session:
        create_site(session, "Drill HOA")
        for camera in CAMERAS:
            create_camera(session, camera, site="Drill HOA")
        for name in LISTS:
            hotlist = create_hotlist(session, name)
            add_entry(session, hotlist.id, plate=ON_EVERY_LIST, reason="stolen_vehicle")
        add_entry(session, hotlist.id, plate=SAFE_AND_LISTED, reason="stolen_vehicle")
        add_safelist_entry(session, "Drill HOA", plate=SAFE_AND_LISTED, added_by="drill")


def _passes(seed: int) -> list[PlateRead]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=2)
    reads = []
    for i in range(PASSES):
        if i % 5 == 0:
            plate = ON_EVERY_LIST
        elif i % 10 == 1:
            plate = SAFE_AND_LISTED
        else:
            plate = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(6))
            plate += "Q"
        reads.append(
            PlateRead(
                camera_id=CAMERAS[i % len(CAMERAS)],
                captured_at=start + timedelta(seconds=2 * i),
                plate=plate,
                confidence=0.97,
                char_confidences=tuple(0.97 for _ in plate),
                box=Box(x1=10, y1=20, x2=110, y2=60),
            )
        )
    return reads


def _start_matcher(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "platewatch"), "matcher", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _lags(port: int) -> list[float] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    return [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("platewatch_matcher_consumer_lag{")
    ]


def _count_topic(bootstrap: str, topic: str, expect: int, timeout_s: float = 60) -> int:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"drill-reader-{time.monotonic_ns()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    seen, deadline = 0, time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and seen < expect:
            seen += sum(len(r) for r in consumer.poll(timeout_ms=500).values())
        # A little longer: more letters than hostile messages would be a finding too.
        end = time.monotonic() + 2
        while time.monotonic() < end:
            seen += sum(len(r) for r in consumer.poll(timeout_ms=500).values())
    finally:
        consumer.close()
    return seen


def _drill_settings(url: str, bootstrap: str, workdir: Path, label: str) -> Settings:
    settings = _bench_settings(url, bootstrap, workdir, label)
    stream = settings.stream.model_copy(
        update={"metrics_port": free_port(), "batch_max": 50, "session_timeout_ms": 3000}
    )
    return settings.model_copy(update={"stream": stream})


class _Drill:
    def __init__(self, engine: Engine, settings: Settings, workdir: Path) -> None:
        self.engine, self.settings, self.workdir = engine, settings, workdir
        self.config = workdir / "platewatch.yaml"
        self.config.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
        self.log = workdir / "matcher.log"
        self.kills = 0
        self.hostile_sent = 0
        self.resent = 0
        self.final_lag = float("nan")  # read from the live matcher once it caught up

    def run(self, passes: list[PlateRead]) -> float:
        """Publish everything with the faults in between; seconds until the matcher caught up."""
        matcher = _start_matcher(self.config, self.log)
        raw = KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        topic = self.settings.stream.reads_topic
        hostile = hostile_messages(passes[0])
        started = time.monotonic()
        try:
            with EdgePublisher(self.settings, outbox_path=self.workdir / "outbox.db") as edge:
                for begin in range(0, len(passes), 50):
                    chunk = passes[begin : begin + 50]
                    edge.publish_many(chunk)
                    raw.send(topic, hostile[(begin // 50) % len(hostile)][0])
                    self.hostile_sent += 1
                    for again in chunk[::20]:  # the edge resending after a lost ack
                        raw.send(
                            topic,
                            PlateReadEvent(read=again).to_bytes(),
                            key=again.camera_id.encode(),
                        )
                        self.resent += 1
                    if any(begin <= k < begin + 50 for k in KILL_AT):
                        matcher.send_signal(signal.SIGKILL)
                        matcher.wait(30)
                        self.kills += 1
                        matcher = _start_matcher(self.config, self.log)
                    time.sleep(0.2)
                raw.flush()
                self._wait_caught_up(len(passes), matcher)
            return time.monotonic() - started
        finally:
            raw.close()
            if matcher.poll() is None:
                matcher.send_signal(signal.SIGTERM)
                matcher.wait(30)

    def _wait_caught_up(self, expected: int, matcher: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 300
        port = self.settings.stream.metrics_port
        assert port is not None
        while time.monotonic() < deadline:
            if matcher.poll() is not None:
                msg = f"the matcher exited with {matcher.returncode}; see {self.log}"
                raise RuntimeError(msg)
            lags = _lags(port)
            if self.stored() >= expected and lags and not any(lags):
                self.final_lag = sum(lags)
                return
            time.sleep(0.5)
        msg = f"the matcher did not catch up in 300 s; see {self.log}"
        raise RuntimeError(msg)

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(PlateReadRow)) or 0


def _findings(drill: _Drill, passes: list[PlateRead]) -> dict[str, tuple[float, float]]:
    """Each figure as (measured, what it must be)."""
    with drill.engine.connect() as conn:
        stored = drill.stored()
        stored_ids = set(conn.scalars(select(PlateReadRow.read_id)))
        alerts = Counter(
            conn.execute(select(Alert.list_name, Alert.entry_plate, Alert.sightings)).all()
        )
        sightings = conn.execute(select(AlertSighting.alert_id, AlertSighting.read_id)).all()
        resident = conn.scalar(
            select(func.count()).where(
                PlateReadRow.plate == SAFE_AND_LISTED, PlateReadRow.resident.is_(True)
            )
        )
    multi = sum(1 for p in passes if p.plate == ON_EVERY_LIST)
    safe = sum(1 for p in passes if p.plate == SAFE_AND_LISTED)
    letters = _count_topic(
        drill.settings.kafka_bootstrap_servers or "",
        drill.settings.stream.dead_letter_topic,
        drill.hostile_sent,
    )
    return {
        "edge passes": (len(passes), len(passes)),
        "stored reads": (stored, len(passes)),
        "passes missing": (len({p.read_id for p in passes} - stored_ids), 0),
        "reads stored twice": (stored - len(stored_ids), 0),
        "sightings stored twice": (len(sightings) - len(set(sightings)), 0),
        f"alerts for the plate on {len(LISTS)} lists": (
            sum(n for (_, plate, _), n in alerts.items() if plate == ON_EVERY_LIST),
            len(LISTS),
        ),
        "its sightings per list": (
            min(
                (s for (_, plate, s) in alerts if plate == ON_EVERY_LIST),
                default=0,
            ),
            multi,
        ),
        "safe-listed plate's alerts (agency list)": (
            sum(n for (_, plate, _), n in alerts.items() if plate == SAFE_AND_LISTED),
            1,
        ),
        "its reads stored as resident": (resident or 0, safe),
        "hostile messages dead-lettered": (letters, drill.hostile_sent),
        "matcher lag at the end (sum)": (drill.final_lag, 0),
    }


def _one_backend(report: Report, label: str, url: str, bootstrap: str, workdir: Path) -> bool:
    engine = make_engine(url)
    _seed(engine)
    settings = _drill_settings(url, bootstrap, workdir, label)
    drill = _Drill(engine, settings, workdir)
    passes = _passes(seed=11)
    caught_up_s = drill.run(passes)
    findings = _findings(drill, passes)
    engine.dispose()
    ok = True
    for name, (measured, expected) in findings.items():
        ok = ok and measured == expected
        report.add(
            Figure(
                SECTION,
                f"{label}: {name}",
                measured,
                f"(must be {expected:g})",
                command="make drill",
            )
        )
    report.add(
        Figure(SECTION, f"{label}: matcher kills (SIGKILL)", drill.kills, "", command="make drill")
    )
    report.add(
        Figure(
            SECTION, f"{label}: edge resends (same read id)", drill.resent, "", command="make drill"
        )
    )
    report.add(Figure(SECTION, f"{label}: until caught up", caught_up_s, "s", command="make drill"))
    return ok


def run(report: Report) -> None:
    report.note(SECTION, __doc__.split("\n\n", 1)[1].strip() if __doc__ else "")
    with tempfile.TemporaryDirectory(prefix="pw-drill-") as tmp:
        base = Path(tmp)
        broker = EmbeddedBroker(output=base / "tansu.log")
        broker.start()
        failed = []
        try:
            with _databases(base) as databases:
                for label, url in databases:
                    workdir = base / label
                    workdir.mkdir()
                    if not _one_backend(report, label, url, broker.bootstrap_servers, workdir):
                        failed.append(label)
        finally:
            broker.stop()
    if failed:
        msg = f"the drill found faults on {', '.join(failed)}: see the figures above"
        raise RuntimeError(msg)
