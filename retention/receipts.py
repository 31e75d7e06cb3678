"""Purge receipts: what each run purged, chained by hash, and their verification.

A receipt's `ids_digest` is the SHA-256 of the purged read ids sorted bytewise, one per line
with a trailing newline, so anyone can recompute it with `LC_ALL=C sort | sha256sum`. Its
`items_digest` hashes every journal column of every purged read the same way (see
`items_digest`), so an edited capture time, site, file count or path breaks the receipt. Each
receipt is also announced in the audit log, and both chains' heads are signed in checkpoints
(store.checkpoints), which makes a cut tail visible.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.audit_details import RetentionPurgeDetail, UnreadableDetail, parse_as
from store.tables import AuditEvent, RetentionPurgedRead, RetentionReceipt, RetentionRun

GENESIS = "0" * 64


@dataclass(frozen=True)
class SiteCount:
    site_id: int | None
    reads: int
    files: int


@dataclass(frozen=True)
class ReceiptView:
    id: int
    run_id: int
    issued_at: datetime
    run_started_at: datetime
    policy: dict[str, Any]
    counts_by_site: tuple[SiteCount, ...]
    read_count: int
    file_count: int
    range_start: datetime | None
    range_end: datetime | None
    ids_digest: str
    note: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ReceiptProblem:
    receipt_id: int | None
    problem: str


def ids_digest(read_ids: list[str]) -> str:
    digest = hashlib.sha256()
    for read_id in sorted(read_ids, key=lambda r: r.encode()):
        digest.update(read_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _item_line(item: RetentionPurgedRead) -> bytes:
    fields = [
        item.read_id,
        item.batch,
        item.site_id,
        _iso(item.captured_at),
        item.files,
        item.crop_path,
        item.frame_path,
    ]
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def items_digest(items: list[RetentionPurgedRead]) -> str:
    """SHA-256 of one JSON array per purged read, [read_id, batch, site_id, captured_at,
    files, crop_path, frame_path], in read-id byte order, each followed by a newline."""
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.read_id.encode()):
        digest.update(_item_line(item))
    return digest.hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def receipt_hash(receipt: RetentionReceipt) -> str:
    fields: dict[str, Any] = {
        "run_id": receipt.run_id,
        "issued_at": _iso(receipt.issued_at),
        "run_started_at": _iso(receipt.run_started_at),
        "policy": receipt.policy,
        "counts_by_site": receipt.counts_by_site,
        "read_count": receipt.read_count,
        "file_count": receipt.file_count,
        "range_start": _iso(receipt.range_start),
        "range_end": _iso(receipt.range_end),
        "ids_digest": receipt.ids_digest,
        "note": receipt.note,
        "prev_hash": receipt.prev_hash,
    }
    # Receipts from before the items digest hash without it, so they still verify.
    if receipt.items_digest is not None:
        fields["items_digest"] = receipt.items_digest
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _run_items(session: Session, run_id: int) -> list[RetentionPurgedRead]:
    query = select(RetentionPurgedRead).where(RetentionPurgedRead.run_id == run_id)
    return list(session.scalars(query))


def _run_ids(session: Session, run_id: int) -> list[str]:
    query = select(RetentionPurgedRead.read_id).where(RetentionPurgedRead.run_id == run_id)
    return list(session.scalars(query))


def issue_receipt(
    session: Session, run: RetentionRun, *, note: str, now: datetime
) -> RetentionReceipt:
    """Close a run with its receipt and audit event, in the caller's transaction."""
    item = RetentionPurgedRead
    per_site = session.execute(
        select(
            item.site_id,
            func.count(),
            func.coalesce(func.sum(item.files), 0),
            func.min(item.captured_at),
            func.max(item.captured_at),
        )
        .where(item.run_id == run.id)
        .group_by(item.site_id)
    ).all()
    counts = {
        ("none" if site is None else str(site)): {"reads": int(n), "files": int(files)}
        for site, n, files, _, _ in per_site
    }
    starts = [row[3] for row in per_site]
    ends = [row[4] for row in per_site]
    prev = session.scalar(
        select(RetentionReceipt.hash).order_by(RetentionReceipt.id.desc()).limit(1)
    )
    issued_at = now.replace(microsecond=0)
    receipt = RetentionReceipt(
        run_id=run.id,
        issued_at=issued_at,
        run_started_at=run.started_at,
        policy=run.policy,
        counts_by_site=counts,
        read_count=sum(c["reads"] for c in counts.values()),
        file_count=sum(c["files"] for c in counts.values()),
        range_start=min(starts) if starts else None,
        range_end=max(ends) if ends else None,
        ids_digest=ids_digest(_run_ids(session, run.id)),
        items_digest=items_digest(_run_items(session, run.id)),
        note=note,
        prev_hash=prev or GENESIS,
    )
    receipt.hash = receipt_hash(receipt)
    run.finished_at = issued_at
    session.add(receipt)
    session.flush()
    record_audit(
        session,
        actor="retention",
        subject=f"receipt:{receipt.id}",
        purpose="scheduled purge of images past their retention policy",
        detail=RetentionPurgeDetail(
            receipt_hash=receipt.hash, reads=receipt.read_count, files=receipt.file_count
        ),
    )
    return receipt


def _view(receipt: RetentionReceipt) -> ReceiptView:
    counts = tuple(
        SiteCount(None if key == "none" else int(key), int(value["reads"]), int(value["files"]))
        for key, value in sorted(receipt.counts_by_site.items())
    )
    return ReceiptView(
        id=receipt.id,
        run_id=receipt.run_id,
        issued_at=receipt.issued_at,
        run_started_at=receipt.run_started_at,
        policy=receipt.policy,
        counts_by_site=counts,
        read_count=receipt.read_count,
        file_count=receipt.file_count,
        range_start=receipt.range_start,
        range_end=receipt.range_end,
        ids_digest=receipt.ids_digest,
        note=receipt.note,
        prev_hash=receipt.prev_hash,
        hash=receipt.hash,
    )


def list_receipts(
    session: Session, *, limit: int = 50, before_id: int | None = None
) -> list[ReceiptView]:
    """Receipts newest first; page with `before_id` (the last id of the previous page)."""
    query = select(RetentionReceipt).order_by(RetentionReceipt.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(RetentionReceipt.id < before_id)
    return [_view(r) for r in session.scalars(query)]


def get_receipt(session: Session, receipt_id: int) -> ReceiptView | None:
    receipt = session.get(RetentionReceipt, receipt_id)
    return _view(receipt) if receipt is not None else None


def receipt_read_ids(session: Session, receipt_id: int) -> list[str]:
    """The read ids a receipt covers, sorted as its digest hashes them."""
    run_id = session.scalar(
        select(RetentionReceipt.run_id).where(RetentionReceipt.id == receipt_id)
    )
    if run_id is None:
        return []
    return sorted(_run_ids(session, run_id), key=lambda r: r.encode())


def _journal_problems(receipt: RetentionReceipt, items: list[RetentionPurgedRead]) -> list[str]:
    """Whether the purge journal still says what the receipt hashed."""
    ids = [item.read_id for item in items]
    if ids_digest(ids) != receipt.ids_digest or len(ids) != receipt.read_count:
        return [
            f"its {len(ids)} journalled read ids do not match the digest of "
            f"{receipt.read_count} purged reads: the purge journal was altered"
        ]
    if receipt.items_digest is not None and items_digest(items) != receipt.items_digest:
        return ["its journalled reads do not match its items digest: the purge journal was edited"]
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        site = counts.setdefault("none" if item.site_id is None else str(item.site_id), {})
        site["reads"] = site.get("reads", 0) + 1
        site["files"] = site.get("files", 0) + item.files
    captured = [item.captured_at for item in items]
    summary = (counts, sum(item.files for item in items), min(captured, default=None))
    if (
        summary != (receipt.counts_by_site, receipt.file_count, receipt.range_start)
        or max(captured, default=None) != receipt.range_end
    ):
        return ["its journalled reads' sites, files or capture times differ from the receipt"]
    return []


def _run_problems(receipt: RetentionReceipt, run: RetentionRun | None) -> list[str]:
    if run is None:
        return [f"its run {receipt.run_id} is missing"]
    if (run.started_at, run.policy, run.finished_at) != (
        receipt.run_started_at,
        receipt.policy,
        receipt.issued_at,
    ):
        return [f"run {run.id}'s start, policy or finish differs from the receipt: it was edited"]
    return []


def _receipt_problems(session: Session, receipt: RetentionReceipt, expected_prev: str) -> list[str]:
    problems = []
    if receipt.prev_hash != expected_prev:
        problems.append("previous-receipt hash does not match: a receipt was removed or reordered")
    if receipt_hash(receipt) != receipt.hash:
        problems.append("content does not match its hash: the receipt was edited")
    problems += _journal_problems(receipt, _run_items(session, receipt.run_id))
    problems += _run_problems(receipt, session.get(RetentionRun, receipt.run_id))
    return problems


def verify_receipts(session: Session) -> list[ReceiptProblem]:
    """Check the chain, each receipt's hash, journal and run, and the audit log's announcements."""
    problems: list[ReceiptProblem] = []
    expected_prev = GENESIS
    hashes: dict[int, str] = {}
    for receipt in session.scalars(select(RetentionReceipt).order_by(RetentionReceipt.id)):
        problems += [
            ReceiptProblem(receipt.id, p)
            for p in _receipt_problems(session, receipt, expected_prev)
        ]
        hashes[receipt.id] = receipt.hash
        expected_prev = receipt.hash
    announced = session.execute(
        select(AuditEvent.id, AuditEvent.subject, AuditEvent.detail).where(
            AuditEvent.action == RetentionPurgeDetail.action
        )
    )
    for event_id, subject, raw in announced:
        receipt_id = int(subject.removeprefix("receipt:"))
        detail = parse_as(RetentionPurgeDetail, raw)
        if isinstance(detail, UnreadableDetail):
            why = f"audit event {event_id} announced this receipt unreadably: {detail.problem}"
            problems.append(ReceiptProblem(receipt_id, why))
        elif hashes.get(receipt_id) != detail.receipt_hash:
            problems.append(
                ReceiptProblem(
                    receipt_id,
                    f"audit event {event_id} announced this receipt but it is missing "
                    "or differs: receipts were deleted or rewritten",
                )
            )
    return problems
