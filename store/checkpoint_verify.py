"""Verifying a chain against its signed checkpoints and the sink that anchors them.

Fails when rows after the last checkpoint's head are gone (the head row is missing or has
another hash), when the chain went backwards, when a checkpoint's signature or link does not
verify, or when the sink and the database disagree: the sink is what the database cannot
rewrite, so a checkpoint only the database holds proves nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.checkpoints import (
    GENESIS,
    Checkpoint,
    chain_head,
    checkpoint_of_row,
    head_problem,
    read_sink,
    signature_problem,
)
from store.settings import CheckpointPaths
from store.signing import CheckpointKeyError, Verifier, load_key
from store.tables import AuditCheckpoint


def _sink_links(chain: str, sink: list[Checkpoint], verifier: Verifier) -> list[str]:
    problems = []
    prev: Checkpoint | None = None
    for cp in sink:
        where = f"{chain} chain, sink checkpoint {cp.seq}"
        bad = signature_problem(cp, verifier)
        if bad is not None:
            problems.append(f"{where}: {bad}")
        if cp.seq != (prev.seq + 1 if prev else 1) or cp.prev_hash != (
            prev.hash if prev else GENESIS
        ):
            problems.append(f"{where}: does not follow checkpoint {prev.seq if prev else 0}")
        elif prev is not None and (cp.row_count < prev.row_count or cp.head_id < prev.head_id):
            problems.append(f"{where}: the head went backwards since checkpoint {prev.seq}")
        prev = cp
    return problems


def _agreement(chain: str, sink: list[Checkpoint], db: list[Checkpoint], path: Path) -> list[str]:
    problems = []
    in_sink = {cp.seq: cp for cp in sink}
    in_db = {cp.seq: cp for cp in db}
    for seq in sorted(in_sink.keys() - in_db.keys()):
        problems.append(
            f"{chain} chain: checkpoint {seq} is in the sink but not in the database: it was "
            "deleted or its commit lost (`platewatch audit checkpoint` copies it back)"
        )
    for seq in sorted(in_db.keys() - in_sink.keys()):
        problems.append(
            f"{chain} chain: checkpoint {seq} is in the database but not in the sink {path}: "
            "the sink was cut or the database holds a checkpoint nobody published"
        )
    for seq in sorted(in_db.keys() & in_sink.keys()):
        if in_db[seq] != in_sink[seq]:
            problems.append(f"{chain} chain: checkpoint {seq} differs between sink and database")
    return problems


def _verifier(path: Path) -> tuple[Verifier | None, str | None]:
    try:
        return load_key(path).verifier, None
    except CheckpointKeyError as exc:
        return None, f"cannot check checkpoint signatures: {exc}"


def verify_checkpoints(session: Session, chain: str, paths: CheckpointPaths) -> list[str]:
    """One line per problem between the chain, its stored checkpoints and the sink."""
    lines = read_sink(paths.sink)
    problems = [
        f"checkpoint sink {paths.sink} line {line.number}: {line.problem}"
        for line in lines
        if line.problem is not None
    ]
    sink = [ln.checkpoint for ln in lines if ln.checkpoint and ln.checkpoint.chain == chain]
    db = [
        checkpoint_of_row(row)
        for row in session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.chain == chain)
            .order_by(AuditCheckpoint.seq)
        )
    ]
    if not sink and not db:
        rows = chain_head(session, chain).row_count
        if rows:
            problems.append(
                f"{chain} chain: {rows} rows but no checkpoint in {paths.sink}: nothing "
                "proves its tail; run `platewatch audit checkpoint` (cron should, hourly)"
            )
        return problems
    verifier, key_problem = _verifier(paths.key)
    if verifier is None:
        return [*problems, f"{chain} chain: {key_problem}"]
    problems += _sink_links(chain, sink, verifier)
    problems += _agreement(chain, sink, db, paths.sink)
    anchor = sink[-1] if sink else db[-1]
    if not sink and (bad := signature_problem(anchor, verifier)) is not None:
        problems.append(f"{chain} chain, checkpoint {anchor.seq}: {bad}")
    elif (cut := head_problem(session, anchor)) is not None:
        problems.append(cut)
    return problems
