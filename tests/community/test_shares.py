from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.area import Area
from community.evidence import EvidenceError, Upload
from community.request_settings import RequestSettings
from community.requests import (
    NotFoundError,
    RequestDraft,
    RequestError,
    decide_request,
    draft_request,
)
from community.shares import (
    ShareAnswer,
    agency_shares,
    decline_request,
    open_file,
    opt_out,
    share_footage,
    withdraw_share,
)
from store.base import utcnow
from store.tables import AuditEvent, FootageRequest, FootageShare, RequestRecipient, ShareFile
from tests.community.residents import OpenRequest, open_request

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "samples"
SETTINGS = RequestSettings(share_max_bytes=8 * 1024 * 1024)


def _clip() -> Upload:
    return Upload("porch.mp4", (SAMPLES / "license_plate.mp4").read_bytes())


def _share(
    session: Session, world: OpenRequest, root: Path, uploads: list[Upload], **kw: object
) -> FootageShare:
    resident = kw.pop("resident", world.ana)
    answer = ShareAnswer(resident.camera_id, "porch camera", False, False)  # type: ignore[attr-defined]
    return share_footage(
        session, world.request_id, user_id=resident.user_id,  # type: ignore[attr-defined]
        actor=resident.username, answer=answer, uploads=uploads,  # type: ignore[attr-defined]
        image_root=root, settings=SETTINGS,
    )  # fmt: skip


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(FootageShare)) or 0,
        session.scalar(select(func.count()).select_from(ShareFile)) or 0,
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


def test_a_real_clip_is_stored_hashed_and_seen_only_as_a_cell(
    session: Session, tmp_path: Path
) -> None:
    world = open_request(session)
    share = _share(
        session, world, tmp_path, [_clip(), Upload("x.jpg", (SAMPLES / "car.jpg").read_bytes())]
    )
    files = session.scalars(select(ShareFile).order_by(ShareFile.id)).all()
    assert [f.content_type for f in files] == ["video/mp4", "image/jpeg"]
    stored = tmp_path / files[0].path
    assert files[0].path.startswith(f"community/{world.request_id}/{share.id}/")
    assert stored.read_bytes() == _clip().data
    assert files[0].sha256 == hashlib.sha256(_clip().data).hexdigest()
    [view] = agency_shares(session, world.request_id, world.agency_id)
    assert view.cell is not None and view.exact_lat is None and view.contact is None
    assert (view.cell_lat, view.cell_lon) != (None, None)
    # A listed camera shows its place and contact.
    _share(session, world, tmp_path, [_clip()], resident=world.ben)
    listed = agency_shares(session, world.request_id, world.agency_id)[1]
    assert listed.exact_lat is not None and listed.contact == "ben 555-0199"
    state = session.scalar(
        select(RequestRecipient.state).where(RequestRecipient.user_id == world.ana.user_id)
    )
    assert state == "shared"


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            Upload("clip.mp4", b"this is a text file pretending to be a video" * 10),
            "is not a video or photo",
        ),
        (Upload("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500), "cannot be played"),
        (Upload("big.mp4", b"\x00" * (8 * 1024 * 1024 + 1)), "over the 8388608-byte limit"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    session: Session, tmp_path: Path, upload: Upload, error: str
) -> None:
    world = open_request(session)
    before = _counts(session)
    with pytest.raises(EvidenceError, match=error):
        _share(session, world, tmp_path / "images", [_clip(), upload])
    assert _counts(session) == before
    assert not any(p.is_file() for p in (tmp_path / "images").rglob("*"))


def test_residents_act_only_on_their_own_requests_and_shares(
    session: Session, tmp_path: Path
) -> None:
    world = open_request(session)
    share = _share(session, world, tmp_path, [_clip()])
    before = _counts(session)
    with pytest.raises(NotFoundError, match=f"no share {share.id} of yours"):
        withdraw_share(session, share.id, user_id=world.ben.user_id, actor="ben")
    with pytest.raises(NotFoundError, match="was sent to you"):
        _share(session, world, tmp_path, [_clip()], resident=world.cat)
    with pytest.raises(NotFoundError, match="was sent to you"):
        decline_request(session, world.request_id, user_id=world.cat.user_id, actor="cat")
    assert _counts(session) == before
    assert share.withdrawn_at is None


def test_a_share_can_be_withdrawn_until_the_agency_opens_it(
    session: Session, tmp_path: Path
) -> None:
    world = open_request(session)
    first = _share(session, world, tmp_path, [_clip()])
    withdraw_share(session, first.id, user_id=world.ana.user_id, actor="ana")
    assert agency_shares(session, world.request_id, world.agency_id) == []
    second = _share(session, world, tmp_path, [_clip()])
    file_id = session.scalars(select(ShareFile.id).where(ShareFile.share_id == second.id)).one()
    for download in (False, True):
        opened = open_file(
            session, file_id, agency_id=world.agency_id, actor="officer1",
            download=download, image_root=tmp_path,
        )  # fmt: skip
        assert opened.path.is_file()
    custody = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.case_number, AuditEvent.subject)
        .where(AuditEvent.action.like("share_file.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert custody == [
        ("share_file.view", "officer1", "2025-004211", f"share_file:{file_id}"),
        ("share_file.download", "officer1", "2025-004211", f"share_file:{file_id}"),
    ]
    with pytest.raises(RequestError, match="can no longer be withdrawn"):
        withdraw_share(session, second.id, user_id=world.ana.user_id, actor="ana")
    with pytest.raises(NotFoundError, match="of your agency"):
        open_file(
            session, file_id, agency_id=world.agency_id + 1, actor="x", download=False,
            image_root=tmp_path,
        )  # fmt: skip


def test_closed_requests_take_no_answers_and_opted_out_residents_are_never_asked(
    session: Session, tmp_path: Path
) -> None:
    world = open_request(session)
    opt_out(session, user_id=world.ben.user_id, actor="ben")
    request = session.get_one(FootageRequest, world.request_id)
    request.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(RequestError, match="is closed"):
        _share(session, world, tmp_path, [_clip()])
    again = draft_request(
        session, world.agency_id, _redraft(request), actor="officer1", settings=SETTINGS,
        image_days=30,
    )  # fmt: skip
    decide_request(
        session, again.id, approve=True, actor="super1", agency_id=world.agency_id,
        settings=SETTINGS,
    )  # fmt: skip
    asked = session.scalars(
        select(RequestRecipient.user_id).where(RequestRecipient.request_id == again.id)
    ).all()
    assert asked == [world.ana.user_id]


def _redraft(request: FootageRequest) -> RequestDraft:
    return RequestDraft(
        case_number=request.case_number,
        public_summary=request.public_summary,
        details="",
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        area=Area(request.center_lat, request.center_lon, request.radius_m),
        contact=request.contact,
    )
