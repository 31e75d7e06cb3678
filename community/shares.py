"""Residents' answers to footage requests (share, decline, opt out, withdraw) and what the
agency may see of the shares: their files, times and coarse cells, and the exact place and
contact only of listed cameras or when the resident chose to add them.

The agency's views are built from `footage_shares` and `share_files` alone, so they cannot
carry who else was asked or who declined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import residents
from community.cells import cell_center
from community.errors import CommunityError
from community.evidence import COMMUNITY_DIR, CheckedFile, Upload, check_upload, store_file
from community.request_settings import RequestSettings
from community.requests import NotFoundError, RequestError, get_for_agency, is_open
from store.audit import record_audit
from store.audit_community import (
    FootageRequestResidentDeclineDetail,
    FootageShareCreateDetail,
    FootageShareWithdrawDetail,
    ShareFileDownloadDetail,
    ShareFileViewDetail,
)
from store.base import utcnow
from store.tables import (
    Agency,
    CommunityCamera,
    FootageRequest,
    FootageShare,
    RequestRecipient,
    ShareFile,
)


@dataclass(frozen=True)
class ShareAnswer:
    camera_id: int | None
    note: str
    share_exact_location: bool
    share_contact: bool
    captured_at: datetime | None = None


@dataclass(frozen=True)
class FileView:
    id: int
    content_type: str
    size: int
    sha256: str
    captured_at: datetime | None
    created_at: datetime
    purged: bool


@dataclass(frozen=True)
class ShareView:
    """One share as the agency sees it."""

    id: int
    created_at: datetime
    cell: str | None
    cell_lat: float | None
    cell_lon: float | None
    exact_lat: float | None
    exact_lon: float | None
    contact: str | None
    note: str
    files: tuple[FileView, ...]


def _recipient(
    session: Session, request_id: int, user_id: int, now: datetime
) -> tuple[FootageRequest, RequestRecipient]:
    recipient = session.scalar(
        select(RequestRecipient).where(
            RequestRecipient.request_id == request_id, RequestRecipient.user_id == user_id
        )
    )
    request = session.get(FootageRequest, request_id)
    if recipient is None or request is None:
        msg = f"no footage request {request_id} was sent to you"
        raise NotFoundError(msg)
    if not is_open(request, now):
        msg = f"footage request {request_id} is closed ({request.status}); it takes no answers"
        raise RequestError(msg)
    return request, recipient


def _own_camera(session: Session, camera_id: int | None, user_id: int) -> CommunityCamera | None:
    if camera_id is None:
        return None
    camera = session.get(CommunityCamera, camera_id)
    if camera is None or camera.owner_user_id != user_id or camera.removed_at is not None:
        msg = f"camera {camera_id} is not one of your registered cameras; pick one of yours"
        raise RequestError(msg)
    return camera


def _checked(
    uploads: list[Upload], image_root: Path, settings: RequestSettings
) -> list[CheckedFile]:
    if not uploads:
        msg = "no file: choose at least one clip or photo to share"
        raise RequestError(msg)
    if len(uploads) > settings.share_max_files:
        msg = f"{len(uploads)} files: share at most {settings.share_max_files} at once"
        raise RequestError(msg)
    scratch = image_root / COMMUNITY_DIR / ".scratch"
    return [check_upload(u, max_bytes=settings.share_max_bytes, scratch=scratch) for u in uploads]


def share_footage(
    session: Session,
    request_id: int,
    *,
    user_id: int,
    actor: str,
    answer: ShareAnswer,
    uploads: list[Upload],
    image_root: Path,
    settings: RequestSettings,
    now: datetime | None = None,
) -> FootageShare:
    """Check every file first, then record the share and store its files."""
    now = now or utcnow()
    request, recipient = _recipient(session, request_id, user_id, now)
    _own_camera(session, answer.camera_id, user_id)
    checked = _checked(uploads, image_root, settings)
    share = FootageShare(
        request_id=request.id,
        user_id=user_id,
        camera_id=answer.camera_id,
        note=answer.note.strip()[:500],
        share_exact_location=answer.share_exact_location,
        share_contact=answer.share_contact,
        created_at=now,
    )
    session.add(share)
    session.flush()
    for n, item in enumerate(checked):
        _add_file(
            session, image_root, share, n=n, item=item, captured_at=answer.captured_at, now=now
        )
    recipient.state, recipient.answered_at = "shared", now
    record_audit(
        session,
        actor=actor,
        subject=f"footage_share:{share.id}",
        case_number=request.case_number,
        detail=FootageShareCreateDetail(request_id=request.id, files=len(checked)),
    )
    return share


def _add_file(
    session: Session,
    image_root: Path,
    share: FootageShare,
    *,
    n: int,
    item: CheckedFile,
    captured_at: datetime | None,
    now: datetime,
) -> None:
    rel = f"{COMMUNITY_DIR}/{share.request_id}/{share.id}/{n}-{item.sha256[:16]}.{item.extension}"
    store_file(image_root, rel, item.data)
    session.add(
        ShareFile(
            share_id=share.id,
            path=rel,
            sha256=item.sha256,
            size=item.size,
            content_type=item.content_type,
            captured_at=captured_at,
            created_at=now,
        )
    )


def decline_request(
    session: Session, request_id: int, *, user_id: int, actor: str, now: datetime | None = None
) -> None:
    now = now or utcnow()
    request, recipient = _recipient(session, request_id, user_id, now)
    if recipient.state == "shared":
        msg = "you shared footage for this request; withdraw the share instead of declining"
        raise RequestError(msg)
    recipient.state, recipient.answered_at = "declined", now
    record_audit(
        session,
        actor=actor,
        subject=f"footage_request:{request.id}",
        case_number=request.case_number,
        detail=FootageRequestResidentDeclineDetail(),
    )


def opt_out(session: Session, *, user_id: int, actor: str, now: datetime | None = None) -> None:
    """Never be asked again (existing shares stay until withdrawn or purged)."""
    del now  # the first opt-out's time is kept (community.residents.opt_out)
    try:
        residents.opt_out(session, user_id=user_id, actor=actor)
    except CommunityError as exc:
        raise RequestError(str(exc)) from exc


def withdraw_share(
    session: Session, share_id: int, *, user_id: int, actor: str, now: datetime | None = None
) -> FootageShare:
    """Take a share back, which only works until the agency first opens one of its files;
    the retention job then deletes its files."""
    share = session.get(FootageShare, share_id)
    if share is None or share.user_id != user_id:
        msg = f"no share {share_id} of yours; you can withdraw only your own shares"
        raise NotFoundError(msg)
    if share.withdrawn_at is not None:
        msg = f"share {share_id} was withdrawn already"
        raise RequestError(msg)
    if share.first_opened_at is not None:
        msg = (
            f"share {share_id} was opened by the agency at "
            f"{share.first_opened_at:%Y-%m-%d %H:%M} UTC; it is evidence now and can no "
            "longer be withdrawn"
        )
        raise RequestError(msg)
    share.withdrawn_at = now or utcnow()
    request = session.get_one(FootageRequest, share.request_id)
    record_audit(
        session,
        actor=actor,
        subject=f"footage_share:{share.id}",
        case_number=request.case_number,
        detail=FootageShareWithdrawDetail(),
    )
    return share


def _view(share: FootageShare, camera: CommunityCamera | None, files: list[ShareFile]) -> ShareView:
    cell = camera.cell if camera is not None else None
    center = cell_center(cell) if cell else None
    exact = camera is not None and (camera.listed or share.share_exact_location)
    contact = camera is not None and (camera.listed or share.share_contact)
    return ShareView(
        id=share.id,
        created_at=share.created_at,
        cell=cell,
        cell_lat=round(center[0], 4) if center else None,
        cell_lon=round(center[1], 4) if center else None,
        exact_lat=camera.latitude if exact and camera is not None else None,
        exact_lon=camera.longitude if exact and camera is not None else None,
        contact=(camera.contact or None) if contact and camera is not None else None,
        note=share.note,
        files=tuple(
            FileView(
                f.id, f.content_type, f.size, f.sha256, f.captured_at, f.created_at,
                f.purged_at is not None,
            )
            for f in files
        ),
    )  # fmt: skip


def agency_shares(session: Session, request_id: int, agency_id: int | None) -> list[ShareView]:
    """The live shares of the agency's request, oldest first."""
    get_for_agency(session, request_id, agency_id)
    shares = session.scalars(
        select(FootageShare)
        .where(FootageShare.request_id == request_id, FootageShare.withdrawn_at.is_(None))
        .order_by(FootageShare.id)
    ).all()
    views = []
    for share in shares:
        camera = session.get(CommunityCamera, share.camera_id) if share.camera_id else None
        files = session.scalars(
            select(ShareFile).where(ShareFile.share_id == share.id).order_by(ShareFile.id)
        ).all()
        views.append(_view(share, camera, list(files)))
    return views


@dataclass(frozen=True)
class OpenedFile:
    path: Path
    content_type: str
    filename: str


def open_file(
    session: Session,
    file_id: int,
    *,
    agency_id: int | None,
    actor: str,
    download: bool,
    image_root: Path,
    now: datetime | None = None,
) -> OpenedFile:
    """A shared file for the agency, audited as chain of custody; the first open makes the
    share evidence (no longer withdrawable)."""
    now = now or utcnow()
    row = session.get(ShareFile, file_id)
    share = session.get(FootageShare, row.share_id) if row is not None else None
    if row is None or share is None or share.withdrawn_at is not None:
        msg = f"no shared file {file_id} for your agency"
        raise NotFoundError(msg)
    request = get_for_agency(session, share.request_id, agency_id)
    if row.purged_at is not None:
        msg = f"shared file {file_id} was deleted by retention at {row.purged_at:%Y-%m-%d} UTC"
        raise RequestError(msg)
    if share.first_opened_at is None:
        share.first_opened_at = now
    record_audit(
        session,
        actor=actor,
        subject=f"share_file:{row.id}",
        case_number=request.case_number,
        detail=(ShareFileDownloadDetail if download else ShareFileViewDetail)(
            request_id=request.id, sha256=row.sha256
        ),
    )
    name = f"{request.case_number}-{row.id}.{row.path.rsplit('.', 1)[-1]}"
    return OpenedFile(image_root / row.path, row.content_type, name)


def resident_shares(session: Session, user_id: int) -> list[FootageShare]:
    return list(
        session.scalars(
            select(FootageShare)
            .where(FootageShare.user_id == user_id)
            .order_by(FootageShare.id.desc())
        )
    )


@dataclass(frozen=True)
class AskedView:
    """A request as the resident who was asked sees it (never the police-only details)."""

    id: int
    agency: str
    public_summary: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime | None
    contact: str
    state: str
    open: bool


def resident_requests(
    session: Session, user_id: int, now: datetime | None = None
) -> list[AskedView]:
    now = now or utcnow()
    rows = session.execute(
        select(FootageRequest, RequestRecipient.state, Agency.name)
        .join(RequestRecipient, RequestRecipient.request_id == FootageRequest.id)
        .join(Agency, Agency.id == FootageRequest.agency_id)
        .where(RequestRecipient.user_id == user_id)
        .order_by(FootageRequest.id.desc())
    ).all()
    return [
        AskedView(
            r.id, agency, r.public_summary, r.starts_at, r.ends_at, r.expires_at, r.contact,
            state, is_open(r, now),
        )
        for r, state, agency in rows
    ]  # fmt: skip
