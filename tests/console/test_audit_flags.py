"""Each anomaly flag fires on the pattern it names, stays quiet just below its threshold, and
names exactly the audit rows behind it. Events are written with their real chain, backdated so
that usual hours and windows can be modelled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from console.audit_flags import AuditFlag, audit_flags
from console.settings import AuditFlagSettings
from platewatch.cli import main
from store.audit import GENESIS, event_hash, verify_audit_chain
from store.audit_details import AnyAuditDetail, ReadsSearchDetail, SafelistExportDetail
from store.db import make_engine, make_session_factory
from store.schema import upgrade
from store.tables import AuditEvent
from tests.console.conftest import Caller

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LIMITS = AuditFlagSettings()


def _append(
    session: Session, at: datetime, actor: str, detail: AnyAuditDetail, purpose: str = "x"
) -> int:
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        at=at.replace(microsecond=0),
        actor=actor,
        action=detail.action,
        subject="",
        case_number="24-118",
        purpose=purpose,
        detail=detail.as_json(),
        prev_hash=prev or GENESIS,
        hash="",
    )
    event.hash = event_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event.id


def _search(
    session: Session,
    at: datetime,
    actor: str = "officer1",
    plate: str = "7ABC123",
    *,
    results: int = 3,
    truncated: bool = False,
    reason: str | None = None,
) -> int:
    detail = ReadsSearchDetail(
        plate=plate,
        start=at - timedelta(days=1),
        end=at,
        camera_ids=(),
        site_ids=(),
        agency_id=1,
        results=results,
        truncated=truncated,
        via="session",
    )
    return _append(session, at, actor, detail, reason or f"burglary lead {at:%H%M%S}")


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def _flags(db: Session, kind: str) -> list[AuditFlag]:
    assert verify_audit_chain(db) == [], "the seeded rows must form a valid chain"
    return [f for f in audit_flags(db, LIMITS, NOW) if f.kind == kind]


def test_one_plate_searched_again_and_again(db: Session) -> None:
    ids = [_search(db, NOW - timedelta(hours=h), actor=f"o{h % 2}") for h in range(1, 6)]
    _search(db, NOW - timedelta(days=9), plate="7ABC123")  # before the window: not counted
    for h in range(1, 5):
        _search(db, NOW - timedelta(hours=h), plate="8XYZ789")  # four: below five
    [flag] = _flags(db, "plate_searches")
    assert flag.event_ids == tuple(sorted(ids)) and flag.actors == ("o0", "o1")
    assert "7ABC123 searched 5 times" in flag.summary


def test_a_wildcard_sweeping_up_many_reads(db: Session) -> None:
    wide = _search(db, NOW - timedelta(hours=2), plate="7*", results=200)
    capped = _search(db, NOW - timedelta(hours=1), plate="?ABC12?", results=40, truncated=True)
    _search(db, NOW - timedelta(hours=1), plate="8X*", results=199)
    _search(db, NOW - timedelta(hours=1), plate="8XYZ789", results=5000)  # not a wildcard
    flags = _flags(db, "wide_wildcard")
    assert sorted(f.event_ids for f in flags) == [(wide,), (capped,)]
    assert any("returned 40+ reads" in f.summary for f in flags)


def test_searches_outside_a_users_usual_hours(db: Session) -> None:
    # A day-shift officer: 25 searches between 09:00 and 16:00 over the weeks before.
    for day in range(8, 33):
        _search(db, NOW.replace(hour=9 + day % 8) - timedelta(days=day), actor="dayshift")
    for day in range(8, 12):  # too little history to judge the newcomer
        _search(db, NOW.replace(hour=10) - timedelta(days=day), actor="newcomer")
    night = _search(db, NOW.replace(hour=3) - timedelta(days=1), actor="dayshift")
    _search(db, NOW.replace(hour=8) - timedelta(days=1), actor="dayshift")  # next to 09:00
    _search(db, NOW.replace(hour=3) - timedelta(days=1), actor="newcomer")
    [flag] = _flags(db, "off_hours")
    assert flag.event_ids == (night,) and flag.actors == ("dayshift",)


def test_the_same_reason_pasted_into_search_after_search(db: Session) -> None:
    pasted = [
        _search(
            db, NOW - timedelta(hours=h), reason=" Investigation  " if h % 2 else "investigation"
        )
        for h in range(1, 11)
    ]
    for h in range(1, 10):
        _search(db, NOW - timedelta(hours=h), actor="other", reason="ongoing case")
    [flag] = _flags(db, "repeated_reason")
    assert flag.event_ids == tuple(pasted) and "'investigation' 10 times" in flag.summary


def test_large_and_frequent_exports(db: Session) -> None:
    big = _append(db, NOW - timedelta(hours=5), "hoa1", SafelistExportDetail(entries=1000))
    _append(db, NOW - timedelta(hours=5), "hoa2", SafelistExportDetail(entries=999))
    often = [
        _append(db, NOW - timedelta(hours=h), "hoa3", SafelistExportDetail(entries=10))
        for h in (1, 2, 3)
    ]
    flags = _flags(db, "export")
    assert sorted(f.event_ids for f in flags) == [(big,), tuple(often)]
    assert {f.actors for f in flags} == {("hoa1",), ("hoa3",)}


def test_a_quiet_log_raises_nothing(db: Session) -> None:
    for h in range(1, 4):
        _search(db, NOW - timedelta(hours=h), plate=f"{h}ABC123")
    assert audit_flags(db, LIMITS, NOW) == []


def test_the_flags_api_and_page_are_for_auditors_and_link_to_their_rows(
    by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    assert by_token["officer_a"].get("/api/audit/flags").status_code == 403
    assert by_token["hoa_oak"].get("/audit/flags").status_code in (403, 303)
    flags = by_token["auditor"].get("/api/audit/flags")
    assert flags.status_code == 200 and isinstance(flags.json(), list)
    page = as_user["auditor"].get("/audit/flags")
    assert page.status_code == 200 and "Audit flags" in page.text
    rows = by_token["auditor"].get("/api/audit", params={"limit": 3}).json()["events"]
    wanted = sorted(e["id"] for e in rows[:2])
    picked = by_token["auditor"].get("/api/audit", params=[("ids", i) for i in wanted])
    assert sorted(e["id"] for e in picked.json()["events"]) == wanted
    shown = as_user["auditor"].get("/audit", params={"ids": ",".join(map(str, wanted))})
    assert shown.status_code == 200
    bad = as_user["auditor"].get("/audit", params={"ids": "4,x"})
    assert bad.status_code == 422 and "must be audit row numbers" in bad.text


def test_the_nightly_report_prints_each_flag_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        ids = [_search(session, now - timedelta(hours=h)) for h in range(1, 6)]
        session.commit()
    engine.dispose()
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", url)
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    out = tmp_path / "flags.json"
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "flags", "--out", str(out)])
    printed = capsys.readouterr().out
    assert stopped.value.code in (0, None)
    assert (
        f"plate_searches: plate 7ABC123 searched 5 times (audit rows {','.join(map(str, ids))})"
        in printed
    )
    assert "1 flags in the 7 days" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [f["event_ids"] for f in report["flags"]] == [ids]
