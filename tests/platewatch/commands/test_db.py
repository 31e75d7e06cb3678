"""`platewatch audit verify` reads every row's detail as well as the chain and checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from platewatch.cli import main
from store.audit import event_hash, record_audit
from store.audit_details import AuthLogoutDetail
from store.tables import AuditEvent


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().out


def _append_unreadable(session: Session) -> int:
    """A row as a release that wrote an action no model knows would have left it: hashed."""
    prev = session.get_one(AuditEvent, 1)
    old = AuditEvent(
        at=datetime(2024, 1, 1, tzinfo=UTC),
        actor="a",
        action="export.reads",
        subject="s",
        detail={"rows": 3},
        prev_hash=prev.hash,
    )
    old.hash = event_hash(prev.hash, old)
    session.add(old)
    session.flush()
    return old.id


def test_verify_reports_an_unreadable_detail_in_an_intact_chain(
    db_url: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    with session_factory.begin() as s:
        record_audit(s, actor="a", subject="a", detail=AuthLogoutDetail(session_id=1))
    assert _run(["audit", "checkpoint"], capsys)[0] == 0
    code, out = _run(["audit", "verify"], capsys)
    assert code == 0 and "details readable" in out, out

    with session_factory.begin() as s:
        bad_id = _append_unreadable(s)
    assert _run(["audit", "checkpoint"], capsys)[0] == 0
    code, out = _run(["audit", "verify"], capsys)
    assert code == 1
    assert out.splitlines() == [
        f"audit log does not verify: audit event {bad_id}: unreadable detail: "
        "no detail model for action 'export.reads'"
    ]
