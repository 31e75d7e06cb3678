"""Residents' shared footage under retention: files are kept for the deployment's image
period after they were shared, unless a legal hold names the request's case; a withdrawn
share's files go at the next run. The same pattern as the reads' purge: one transaction
journals each file in `share_file_purges` (the receipt rows) and sets `purged_at`, then the
files are unlinked; a killed run's journalled files are unlinked again by the next run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Exists, exists, or_, select
from sqlalchemy.orm import Session

from retention.policy import RetentionPolicy
from store.audit import record_audit
from store.audit_community import ShareFilePurgeDetail
from store.tables import (
    FootageRequest,
    FootageShare,
    RetentionHold,
    RetentionRun,
    ShareFile,
    ShareFilePurge,
)

PURGE_ACTION = ShareFilePurgeDetail.action


def _held(as_of: datetime) -> Exists:
    return exists().where(
        RetentionHold.case_number == FootageRequest.case_number,
        RetentionHold.released_at.is_(None),
        RetentionHold.until > as_of,
    )


def mark_share_files(session: Session, policy: RetentionPolicy, run_id: int) -> list[str]:
    """Journal and mark the due shared files; their paths, to unlink after the commit."""
    cutoff = policy.as_of - policy.default.image_keep
    due = session.execute(
        select(ShareFile, FootageRequest.case_number)
        .join(FootageShare, FootageShare.id == ShareFile.share_id)
        .join(FootageRequest, FootageRequest.id == FootageShare.request_id)
        .where(
            ShareFile.purged_at.is_(None),
            or_(
                FootageShare.withdrawn_at.is_not(None),
                (ShareFile.created_at <= cutoff) & ~_held(policy.as_of),
            ),
        )
        .order_by(ShareFile.id)
    ).all()
    now = policy.as_of
    for row, case_number in due:
        session.add(
            ShareFilePurge(
                share_file_id=row.id, run_id=run_id, path=row.path, sha256=row.sha256,
                case_number=case_number, purged_at=now,
            )
        )  # fmt: skip
        row.purged_at = now
    if due:
        session.flush()
        record_audit(
            session,
            actor="retention",
            subject=f"retention_run:{run_id}",
            purpose="shared footage past its retention, or withdrawn by its resident",
            detail=ShareFilePurgeDetail(files=len(due)),
        )
    return [row.path for row, _ in due]


def unfinished_paths(session: Session) -> list[str]:
    """Journalled shared files of runs a kill left without a receipt."""
    return list(
        session.scalars(
            select(ShareFilePurge.path)
            .join(RetentionRun, RetentionRun.id == ShareFilePurge.run_id)
            .where(RetentionRun.finished_at.is_(None))
        )
    )
