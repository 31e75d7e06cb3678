"""Signed checkpoints of the audit log and the receipt chain, and their verification.

A checkpoint names a chain's head row, its hash and the row count, links to the chain's
previous checkpoint, and is signed with a key kept outside the database. It is appended to an
append-only JSON-lines sink (the trust anchor) and mirrored in `audit_checkpoints`. The signed
message is the JSON of the fields in `_BODY` with sorted keys and no spaces; `hash` is its
SHA-256, `signature` its Ed25519 signature in base64, so anyone with the published public key
can check a sink line. Receipts checkpoints also sign `reads`, the digests of the live rows
the retention promise depends on (store.read_chain); it is in the signed message only when
present, so checkpoints from before it still verify.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.audit_details import AuditReadsAcceptedDetail
from store.base import utcnow
from store.db import make_session_factory
from store.read_chain import ReadsOptions, reads_update
from store.settings import CheckpointPaths
from store.signing import Signer, Verifier, load_or_create_key
from store.tables import AuditCheckpoint, AuditEvent, RetentionReceipt

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAINS: dict[str, type[AuditEvent] | type[RetentionReceipt]] = {
    "audit": AuditEvent,
    "receipts": RetentionReceipt,
}
ACCEPT_ACTION = AuditReadsAcceptedDetail.action
_BODY = ("chain", "seq", "head_id", "head_hash", "row_count", "created_at", "prev_hash", "key_id")


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written; the message names the chain and what is wrong."""


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    head_id: int
    head_hash: str
    row_count: int
    created_at: str
    prev_hash: str
    key_id: str
    hash: str
    signature: str
    reads: str | None = None

    def message(self) -> bytes:
        body = {name: getattr(self, name) for name in _BODY}
        if self.reads is not None:
            body["reads"] = self.reads
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class SinkLine:
    number: int
    checkpoint: Checkpoint | None
    problem: str | None


@dataclass(frozen=True)
class Head:
    head_id: int
    head_hash: str
    row_count: int


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def checkpoint_of_row(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        chain=row.chain,
        seq=row.seq,
        head_id=row.head_id,
        head_hash=row.head_hash,
        row_count=row.row_count,
        created_at=_iso(row.created_at),
        prev_hash=row.prev_hash,
        key_id=row.key_id,
        hash=row.hash,
        signature=row.signature,
        reads=row.reads,
    )


def _to_row(cp: Checkpoint) -> AuditCheckpoint:
    return AuditCheckpoint(
        chain=cp.chain,
        seq=cp.seq,
        head_id=cp.head_id,
        head_hash=cp.head_hash,
        row_count=cp.row_count,
        created_at=datetime.fromisoformat(cp.created_at),
        prev_hash=cp.prev_hash,
        key_id=cp.key_id,
        hash=cp.hash,
        signature=cp.signature,
        reads=cp.reads,
    )


def signature_problem(cp: Checkpoint, verifier: Verifier) -> str | None:
    """Why a checkpoint is not authentic, or None."""
    if hashlib.sha256(cp.message()).hexdigest() != cp.hash:
        return "its content does not match its hash: it was edited"
    if cp.key_id != verifier.key_id:
        return f"it is signed by key {cp.key_id}, not this deployment's key {verifier.key_id}"
    if not verifier.verifies(cp.message(), cp.signature):
        return "its signature does not verify: it was forged or edited"
    return None


def _parse(number: int, text: str) -> SinkLine:
    try:
        data: Any = json.loads(text)
        cp = Checkpoint(**data)
    except (ValueError, TypeError) as exc:
        return SinkLine(number, None, f"not a checkpoint ({exc.__class__.__name__})")
    if not isinstance(cp.seq, int) or not isinstance(cp.head_id, int):
        return SinkLine(number, None, "not a checkpoint (seq and head_id must be integers)")
    if cp.reads is not None and not isinstance(cp.reads, str):
        return SinkLine(number, None, "not a checkpoint (reads must be a string)")
    return SinkLine(number, cp, None)


def read_sink(path: Path) -> list[SinkLine]:
    """Every line of the sink, parsed; an absent sink is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [_parse(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


@contextmanager
def open_sink(path: Path) -> Iterator[int]:
    """The sink opened for appending under an exclusive lock, so writers take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _append(fd: int, cp: Checkpoint) -> None:
    data = cp.line().encode()
    written = os.write(fd, data)
    if written != len(data):
        msg = f"the checkpoint sink took {written} of {len(data)} bytes; check the disk"
        raise CheckpointError(msg)
    os.fsync(fd)


def chain_head(session: Session, chain: str) -> Head:
    table = CHAINS[chain]
    last = session.execute(select(table.id, table.hash).order_by(table.id.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(table)) or 0
    if last is None:
        return Head(0, GENESIS, count)
    return Head(int(last[0]), str(last[1]), int(count))


def head_problem(session: Session, cp: Checkpoint) -> str | None:
    """Why the chain's current rows are not a continuation of the checkpointed head, or None."""
    table = CHAINS[cp.chain]
    where = f"{cp.chain} chain, checkpoint {cp.seq} of {cp.created_at}"
    if cp.head_id:
        stored = session.scalar(select(table.hash).where(table.id == cp.head_id))
        if stored is None:
            return (
                f"{where}: its head row {cp.head_id} no longer exists: rows up to the "
                "checkpointed head were deleted (a cut tail)"
            )
        if stored != cp.head_hash:
            return f"{where}: head row {cp.head_id} has another hash: the chain was rewritten"
    head = chain_head(session, cp.chain)
    if head.row_count < cp.row_count or head.head_id < cp.head_id:
        return (
            f"{where}: the chain went backwards: {head.row_count} rows now, "
            f"{cp.row_count} checkpointed: rows were deleted"
        )
    upto = session.scalar(select(func.count()).select_from(table).where(table.id <= cp.head_id))
    if upto != cp.row_count:
        return f"{where}: {upto} rows up to head row {cp.head_id}, {cp.row_count} checkpointed"
    return None


def _latest_valid(lines: list[SinkLine], chain: str, verifier: Verifier) -> Checkpoint | None:
    latest = None
    for line in lines:
        cp = line.checkpoint
        if cp is None or cp.chain != chain:
            continue
        problem = signature_problem(cp, verifier)
        if problem is not None:
            msg = f"checkpoint sink line {line.number} ({chain} chain): {problem}"
            raise CheckpointError(msg)
        latest = cp
    return latest


def _adopt(session: Session, lines: list[SinkLine], chain: str) -> None:
    """Copy into the table the sink's checkpoints it lacks (a commit lost after the append)."""
    have = set(session.scalars(select(AuditCheckpoint.seq).where(AuditCheckpoint.chain == chain)))
    for line in lines:
        cp = line.checkpoint
        if cp is not None and cp.chain == chain and cp.seq not in have:
            log.warning("copying %s checkpoint %s from the sink into the database", chain, cp.seq)
            session.add(_to_row(cp))
            have.add(cp.seq)
    session.flush()


def write_checkpoint(
    session: Session,
    chain: str,
    signer: Signer,
    sink_fd: int,
    lines: list[SinkLine],
    *,
    reads: ReadsOptions | None = None,
) -> Checkpoint:
    """Sign the chain's head, append it to the sink and the table (the caller commits).

    Refuses when the head does not continue the last checkpoint: signing a cut tail would
    bless it. A receipts checkpoint also signs the reads' digests (`reads`, default options).
    """
    verifier = signer.verifier
    last = _latest_valid(lines, chain, verifier)
    if last is not None:
        problem = head_problem(session, last)
        if problem is not None:
            msg = f"refusing to sign a new checkpoint: {problem}"
            raise CheckpointError(msg)
    _adopt(session, lines, chain)
    head = chain_head(session, chain)
    now = utcnow()
    body: dict[str, Any] = {
        "chain": chain,
        "seq": last.seq + 1 if last else 1,
        "head_id": head.head_id,
        "head_hash": head.head_hash,
        "row_count": head.row_count,
        "created_at": _iso(now),
        "prev_hash": last.hash if last else GENESIS,
        "key_id": verifier.key_id,
    }
    if chain == "receipts":
        signed = [ln.checkpoint for ln in lines if ln.checkpoint and ln.checkpoint.chain == chain]
        body["reads"] = reads_update(session, signed, now, reads or ReadsOptions())
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    cp = Checkpoint(
        **body,
        hash=hashlib.sha256(message).hexdigest(),
        signature=signer.sign(message),
    )
    session.add(_to_row(cp))
    session.flush()
    # The sink first: if the commit is lost, the next writer copies the line back (_adopt).
    _append(sink_fd, cp)
    return cp


def publish_checkpoints(
    engine: Engine,
    paths: CheckpointPaths,
    chains: tuple[str, ...] = tuple(CHAINS),
    *,
    reads: ReadsOptions | None = None,
) -> list[Checkpoint]:
    """Checkpoint each chain in one transaction under the sink's lock; raises CheckpointError."""
    signer = load_or_create_key(paths.key)
    reads = reads or ReadsOptions()
    written = []
    try:
        with open_sink(paths.sink) as fd, make_session_factory(engine).begin() as session:
            lines = read_sink(paths.sink)
            if reads.accept:
                # Before the audit chain's checkpoint, so the one signed with it covers this.
                record_audit(
                    session,
                    actor=reads.actor,
                    subject="reads digests",
                    purpose="re-sign changed reads digests an operator vouched for",
                    detail=AuditReadsAcceptedDetail(groups=tuple(sorted(reads.accept))),
                )
            for chain in chains:
                written.append(write_checkpoint(session, chain, signer, fd, lines, reads=reads))
    except IntegrityError as exc:
        # The table holds a checkpoint the sink lacks: the writer must not paper over that.
        msg = (
            f"the database holds checkpoints that {paths.sink} lacks; "
            "`platewatch audit verify` lists them"
        )
        raise CheckpointError(msg) from exc
    for cp in written:
        log.info("checkpoint %s/%s: head %s, %s rows", cp.chain, cp.seq, cp.head_id, cp.row_count)
    return written


def latest_checkpoints(session: Session) -> list[Checkpoint]:
    """The newest stored checkpoint of each chain, for the transparency page."""
    found = []
    for chain in CHAINS:
        row = session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.chain == chain)
            .order_by(AuditCheckpoint.seq.desc())
            .limit(1)
        ).first()
        if row is not None:
            found.append(checkpoint_of_row(row))
    return found
