"""Text and JSON for the retention commands: plain lines for cron mail, JSON for monitoring."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from retention.audit import AuditReport, kinds
from retention.holds import HoldView
from retention.plan import PurgePlan
from retention.purge import PurgeResult
from retention.receipts import ReceiptView, SiteCount


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    msg = f"cannot write {type(value).__name__} as JSON"
    raise TypeError(msg)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def as_json(value: Any) -> str:
    """A dataclass (or a structure of them) as indented JSON with ISO 8601 times."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif isinstance(value, list):
        value = [_plain(v) for v in value]
    return json.dumps(value, default=_default, indent=2, sort_keys=True)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"


def _sites(counts: tuple[SiteCount, ...]) -> list[str]:
    return [
        f"  site {c.site_id if c.site_id is not None else '(none)'}: "
        f"{c.reads:,} reads, {c.files:,} files"
        for c in counts
    ]


def plan_lines(plan: PurgePlan) -> list[str]:
    lines = [
        f"dry run at {_when(plan.as_of)}: would purge {plan.reads:,} reads and "
        f"{plan.files:,} files",
        *_sites(plan.counts_by_site),
        f"  captured {_when(plan.range_start)} .. {_when(plan.range_end)}",
        f"  due but on hold: {plan.held:,} reads",
    ]
    if plan.pending_from_interrupted:
        lines.append(
            f"  an interrupted purge left {plan.pending_from_interrupted:,} reads to finish"
        )
    return lines


def receipt_lines(receipt: ReceiptView) -> list[str]:
    lines = [
        f"receipt {receipt.id} (run {receipt.run_id}, issued {_when(receipt.issued_at)}): "
        f"{receipt.read_count:,} reads, {receipt.file_count:,} files",
        *_sites(receipt.counts_by_site),
        f"  captured {_when(receipt.range_start)} .. {_when(receipt.range_end)}",
        f"  ids sha256 {receipt.ids_digest}",
        f"  hash {receipt.hash} (previous {receipt.prev_hash[:16]}...)",
    ]
    if receipt.note:
        lines.append(f"  note: {receipt.note}")
    return lines


def result_lines(result: PurgeResult) -> list[str]:
    lines: list[str] = []
    for earlier in result.recovered:
        lines += ["finished an interrupted run:", *receipt_lines(earlier)]
    lines.append(
        f"purged in {result.elapsed_s:.1f} s: {result.files_deleted:,} files deleted, "
        f"{result.files_missing:,} already absent, {len(result.failed_paths):,} failed"
    )
    lines += receipt_lines(result.receipt)
    lines += [f"  could not delete: {rel}" for rel in result.failed_paths[:20]]
    return lines


def audit_lines(report: AuditReport) -> list[str]:
    checked = (
        f"{report.reads_checked:,} reads, {report.files_checked:,} files, "
        f"{report.receipts_checked:,} receipts checked at {_when(report.checked_at)}"
    )
    if report.ok:
        return [f"retention audit: ok ({checked})"]
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds(report.violations).items()))
    lines = [f"retention audit: {len(report.violations)} violations ({summary}); {checked}"]
    lines += [f"  {v.kind}: {v.subject}: {v.detail}" for v in report.violations]
    return lines


def hold_lines(holds: list[HoldView]) -> list[str]:
    if not holds:
        return ["no holds"]
    lines = []
    for h in holds:
        state = "active" if h.active else ("released" if h.released_at else "ended")
        case = f" case {h.case_number}" if h.case_number else ""
        lines.append(
            f"hold {h.id} [{state}] read {h.read_id} until {_when(h.until)}{case} "
            f"by {h.placed_by}: {h.reason}"
        )
        if h.released_at is not None:
            lines.append(
                f"  released {_when(h.released_at)} by {h.released_by}: {h.release_reason}"
            )
    return lines
