"""Historical hits on 1,000,000 stored reads (PostgreSQL): what the check adds to a list change.

Reads spread over 40 days (so a quarter lie past the 30-day window), 8 cameras at a site that
shares with the agency and 2 at one that does not, 5 % resident-tagged, of 200,000 distinct
plates (about 5 reads each). Timed with the check and, as the baseline, without it
(`history=None`), each in a transaction rolled back afterwards so every run meets the same
table: adding one entry whose plate was read, and appending 1,000 and 100,000 entries of which
1 % were read (a feed's hits among stored reads are rare).

    PYTHONPATH=. python -m bench.historical_bench   (PLATEWATCH_BENCH_HISTORICAL_READS=...)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.report import Figure, Report
from hotlist.historical import HistoryCheck, check_history
from hotlist.lists import add_entry, create_hotlist, get_hotlist, import_hotlist
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import Alert, HotlistEntry, PlateReadRow
from store.tables.reads import plate_key

SECTION = "Historical hits (hotlist)"
READS = int(os.environ.get("PLATEWATCH_BENCH_HISTORICAL_READS", "1000000"))
PLATES = max(READS // 5, 10)
DAYS = 40
PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_CHARS = "ABCDEFGHJKMNPRTUVWXY0123456789"
_DETAIL = json.dumps(
    {"box": {"x1": 0, "y1": 0, "x2": 120, "y2": 40}, "region": "us-ca", "frame_count": 3}
)


def _plate(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(7))


def _pool() -> list[str]:
    rng = random.Random(7)
    return [_plate(rng) for _ in range(PLATES)]


def _copy_reads(engine: Engine, pool: list[str], now: datetime) -> None:
    rng = random.Random(11)
    spread = timedelta(days=DAYS)
    with engine.begin() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        statement = (
            "COPY plate_reads (read_id, camera_id, site_id, captured_at, received_at, plate, "
            "confidence, detail, resident, has_hit) FROM STDIN"
        )
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            block: list[str] = []
            for i in range(READS):
                camera = i % 10
                site = 1 if camera < 8 else 2
                at = (now - spread + spread * i / READS).isoformat()
                resident = "t" if i % 20 == 0 else "f"
                block.append(
                    f"r{i:08d}\tcam{camera}\t{site}\t{at}\t{at}\t{rng.choice(pool)}\t0.93\t"
                    f"{_DETAIL}\t{resident}\tf"
                )
                if len(block) == 50_000:
                    copy.write("\n".join(block) + "\n")
                    block = []
            if block:
                copy.write("\n".join(block) + "\n")
        conn.execute(text("ANALYZE"))


def _fill(engine: Engine, now: datetime) -> list[str]:
    Base.metadata.create_all(engine)
    with make_session_factory(engine).begin() as s:
        create_agency(s, "Bench PD", state="CA")
        oak = create_site(s, "Oak")
        create_site(s, "Elm")
        set_site_sharing(s, oak.id, "Bench PD", actor="cli:bench")
        for c in range(10):
            create_camera(s, f"cam{c}", site=1 if c < 8 else 2, name=f"Camera {c}")
        create_hotlist(s, "Bench list", owner_agency="Bench PD")
    pool = _pool()
    _copy_reads(engine, pool, now)
    return pool


def _feed(pool: list[str], count: int, seed: int) -> str:
    """`count` entries, 1 % of them plates that were read."""
    rng = random.Random(seed)
    known = set(pool)
    read = rng.sample(sorted(known), max(1, count // 100))
    unread: set[str] = set()
    while len(unread) < count - len(read):
        plate = _plate(rng)
        if plate not in known:
            unread.add(plate)
    rows = [f"{p},CA,stolen_vehicle" for p in read + sorted(unread)]
    return "plate,state,reason\n" + "\n".join(rows) + "\n"


@contextmanager
def _rolled_back(engine: Engine) -> Iterator[Session]:
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _timed(engine: Engine, action: Callable[[Session], object]) -> tuple[float, int]:
    """Seconds for `action` in a transaction, and the alerts it raised (then rolled back)."""
    with _rolled_back(engine) as session:
        started = time.perf_counter()
        action(session)
        session.flush()
        elapsed = time.perf_counter() - started
        raised = int(session.scalar(select(func.count()).select_from(Alert)) or 0)
    return elapsed, raised


def _add(session: Session, plate: str, history: HistoryCheck | None) -> None:
    add_entry(session, "Bench list", plate=plate, state="CA", history=history)


def _import(session: Session, feed: str, history: HistoryCheck | None) -> None:
    import_hotlist(session, feed, list_name="Bench list", history=history)


def _measure(report: Report, engine: Engine, pool: list[str]) -> None:
    check = HistoryCheck()
    singles, bases, raised_one = [], [], 0
    for n in range(5):
        plate = pool[n * 997]
        elapsed, raised_one = _timed(engine, partial(_add, plate=plate, history=check))
        singles.append(elapsed)
        base, _ = _timed(engine, partial(_add, plate=plate, history=None))
        bases.append(base)
    report.add(
        Figure(
            SECTION,
            f"add one entry, checked against {READS:,} reads (median of 5)",
            statistics.median(singles) * 1000,
            "ms",
            baseline="without the check",
            baseline_value=statistics.median(bases) * 1000,
            higher_is_better=False,
            notes=f"{raised_one} alert raised",
        )
    )
    for count in (1_000, 100_000):
        feed = _feed(pool, count, seed=count)
        checked, raised = _timed(engine, partial(_import, feed=feed, history=check))
        plain, _ = _timed(engine, partial(_import, feed=feed, history=None))
        report.add(
            Figure(
                SECTION,
                f"import {count:,} entries (1 % read), checked against {READS:,} reads",
                checked,
                "s",
                baseline="the import without the check",
                baseline_value=plain,
                higher_is_better=False,
                notes=f"{raised:,} historical alerts raised",
            )
        )


def _check_alone(report: Report, engine: Engine, pool: list[str]) -> None:
    """The check by itself on 100,000 entries just loaded without it, and its join's plan."""
    feed = _feed(pool, 100_000, seed=100_000)
    with _rolled_back(engine) as session:
        watermark = session.scalar(select(func.max(HotlistEntry.id))) or 0
        _import(session, feed, history=None)
        session.execute(text("ANALYZE hotlist_entries"))
        hotlist = get_hotlist(session, "Bench list")
        started = time.perf_counter()
        found = check_history(session, hotlist, HotlistEntry.id > watermark, HistoryCheck())
        session.flush()
        elapsed = time.perf_counter() - started
        query = (
            select(PlateReadRow.read_id)
            .select_from(HotlistEntry)
            .join(PlateReadRow, plate_key(PlateReadRow.plate) == plate_key(HotlistEntry.plate))
            .where(HotlistEntry.id > watermark)
        )
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars().all()
    report.add(
        Figure(
            SECTION,
            f"the check alone, 100,000 new entries against {READS:,} reads",
            elapsed,
            "s",
            higher_is_better=False,
            notes=f"{len(found.alert_ids):,} alerts from {found.reads_found:,} reads",
        )
    )
    report.note(SECTION, f"The 100,000-entry join's plan: `{plan[0].strip()[:160]}`.")


def _plan(engine: Engine, plate: str) -> str:
    """The plan of the single-entry lookup: the folded-plate index, not a scan."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "EXPLAIN SELECT read_id FROM plate_reads WHERE "
                + _folded_sql()
                + " = :key AND captured_at >= now() - interval '30 days'"
            ),
            {"key": plate},
        ).all()
    return str(rows[0][0]).strip()[:160]


def _folded_sql() -> str:
    from store.tables.reads import PLATE_KEY_FOLDS

    expression = "plate"
    for char, canon in PLATE_KEY_FOLDS:
        expression = f"replace({expression}, '{char}', '{canon}')"
    return expression


@contextmanager
def _postgres() -> Iterator[str]:
    name = f"pw_bench_historical_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(report: Report) -> None:
    now = datetime.now(UTC)
    with _postgres() as url:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            pool = _fill(engine, now)
            filled = time.perf_counter() - started
            plan = _plan(engine, pool[0])
            _measure(report, engine, pool)
            _check_alone(report, engine, pool)
        finally:
            engine.dispose()
    report.note(
        SECTION,
        f"{READS:,} reads of {PLATES:,} plates over {DAYS} days on PostgreSQL (filled by COPY "
        f"in {filled:.0f} s, not timed); each figure in a transaction rolled back. "
        f"The single-entry lookup's plan: `{plan}`.",
    )


if __name__ == "__main__":
    result = Report()
    run(result)
    for figure in result.figures:
        print(f"[bench] {figure.name}: {figure.notes}")
    for section, lines in result.notes.items():
        print(f"[bench] {section}: " + " ".join(lines))
