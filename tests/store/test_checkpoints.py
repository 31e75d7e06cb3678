"""Signed checkpoints on both databases: a cut tail, a forged or cut sink, a lost row all fail."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from store.audit import record_audit, verify_audit_chain
from store.audit_details import SafelistExportDetail
from store.checkpoint_verify import verify_checkpoints
from store.checkpoints import CheckpointError, publish_checkpoints, read_sink
from store.settings import CheckpointPaths
from store.signing import create_key
from store.tables import AuditCheckpoint, AuditEvent


@pytest.fixture
def paths(tmp_path: Path) -> CheckpointPaths:
    return CheckpointPaths(key=tmp_path / "keys" / "cp.pem", sink=tmp_path / "sink.jsonl")


def _events(factory: sessionmaker[Session], n: int, actor: str = "officer1") -> None:
    with factory.begin() as s:
        for i in range(n):
            record_audit(s, actor=actor, subject=f"q{i}", detail=SafelistExportDetail(entries=i))


def _verify(factory: sessionmaker[Session], paths: CheckpointPaths) -> list[str]:
    with factory() as s:
        return verify_checkpoints(s, "audit", paths)


def _history(engine: Engine, factory: sessionmaker[Session], paths: CheckpointPaths) -> None:
    _events(factory, 3)
    publish_checkpoints(engine, paths)
    _events(factory, 3)
    publish_checkpoints(engine, paths)


def test_a_valid_history_verifies_and_the_key_is_private(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    _events(session_factory, 2)  # rows after the last checkpoint are fine
    assert _verify(session_factory, paths) == []
    with session_factory() as s:
        assert verify_checkpoints(s, "receipts", paths) == []
        assert verify_audit_chain(s) == []
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    lines = [ln.checkpoint for ln in read_sink(paths.sink)]
    assert [(c.chain, c.seq, c.head_id, c.row_count) for c in lines if c] == [
        ("audit", 1, 3, 3),
        ("receipts", 1, 0, 0),
        ("audit", 2, 6, 6),
        ("receipts", 2, 0, 0),
    ]


@pytest.mark.parametrize("cut", [1, 3])
def test_cutting_the_newest_rows_fails(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths, cut: int
) -> None:
    _history(engine, session_factory, paths)
    with session_factory.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > 6 - cut))
    with session_factory() as s:
        assert verify_audit_chain(s) == []  # the chain alone cannot see it
    [problem] = _verify(session_factory, paths)
    assert "audit chain, checkpoint 2" in problem and "head row 6 no longer exists" in problem
    with pytest.raises(CheckpointError, match="refusing to sign a new checkpoint"):
        publish_checkpoints(engine, paths)
    _events(
        session_factory, cut, actor="intruder"
    )  # refilled to the same count: the head is still gone
    # (SQLite hands the freed id 6 out again, to a row with another hash.)
    assert any(
        "no longer exists" in p or "head row 6 has another hash" in p
        for p in _verify(session_factory, paths)
    )


def test_a_rewritten_head_fails(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    with session_factory.begin() as s:
        s.get_one(AuditEvent, 6).hash = "f" * 64
    assert any("has another hash" in p for p in _verify(session_factory, paths))


def _rewrite_line(paths: CheckpointPaths, index: int, **changes: object) -> None:
    lines = paths.sink.read_text().splitlines()
    data = json.loads(lines[index])
    data.update(changes)
    lines[index] = json.dumps(data, sort_keys=True, separators=(",", ":"))
    paths.sink.write_text("\n".join(lines) + "\n")


def test_a_tampered_sink_line_fails(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    _rewrite_line(paths, 2, row_count=5)
    problems = _verify(session_factory, paths)
    assert any("sink checkpoint 2: its content does not match its hash" in p for p in problems)
    assert any("checkpoint 2 differs between sink and database" in p for p in problems)


def test_a_forged_signature_fails(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    import base64

    _history(engine, session_factory, paths)
    _rewrite_line(paths, 2, signature=base64.b64encode(b"\x01" * 64).decode())
    problems = _verify(session_factory, paths)
    assert any("its signature does not verify" in p for p in problems)
    with pytest.raises(CheckpointError, match="sink line 3"):
        publish_checkpoints(engine, paths)


def test_a_checkpoint_signed_by_another_key_fails(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    paths.key.unlink()
    create_key(paths.key)  # a key swapped in to sign forgeries
    assert any("not this deployment's key" in p for p in _verify(session_factory, paths))


def test_sink_and_database_must_agree(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    with session_factory.begin() as s:
        s.execute(
            delete(AuditCheckpoint).where(
                AuditCheckpoint.chain == "audit", AuditCheckpoint.seq == 2
            )
        )
    assert any(
        "checkpoint 2 is in the sink but not in the database" in p
        for p in _verify(session_factory, paths)
    )
    publish_checkpoints(engine, paths)  # the next writer copies the sink's line back
    assert _verify(session_factory, paths) == []

    lines = paths.sink.read_text().splitlines(keepends=True)
    paths.sink.write_text("".join(lines[:-2]))  # the sink cut behind the database's back
    problems = _verify(session_factory, paths)
    assert any("checkpoint 3 is in the database but not in the sink" in p for p in problems)


def test_rows_without_any_checkpoint_fail(
    session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _events(session_factory, 2)
    [problem] = _verify(session_factory, paths)
    assert "2 rows but no checkpoint" in problem and "platewatch audit checkpoint" in problem
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0


def test_a_checkpoint_only_the_database_holds_blocks_the_writer(
    engine: Engine, session_factory: sessionmaker[Session], paths: CheckpointPaths
) -> None:
    _history(engine, session_factory, paths)
    lines = paths.sink.read_text().splitlines(keepends=True)
    paths.sink.write_text("".join(lines[:-2]))
    with pytest.raises(CheckpointError, match="the database holds checkpoints that"):
        publish_checkpoints(engine, paths)
    assert paths.sink.read_text().count("\n") == 2  # the sink keeps only what was committed
