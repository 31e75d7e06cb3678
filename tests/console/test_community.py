"""Residents through the console: invites issued and refused, joining at /join, cameras only
their owner reaches, opting out, and an invite emailed over real SMTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from community.cells import cell_of
from community.invites import issue_invite
from community.settings import MailSettings
from console.app import create_app
from store.base import utcnow
from store.tables import AuditEvent, CommunityCamera, InviteCode, ResidentProfile, User
from tests.community.conftest import SmtpCapture, free_port, smtp_server  # noqa: F401  (fixture)
from tests.console.conftest import Caller, World, session_headers, settings_for

ASK = "ask your HOA admin for a new one"


@pytest.fixture
def anonymous(client: TestClient) -> Iterator[TestClient]:
    client.cookies.clear()
    yield client
    client.cookies.clear()


def _invite(world: World, *, site: str = "oak", max_uses: int = 1) -> tuple[int, str]:
    with world.session() as s:
        new = issue_invite(s, actor="test", site_id=world.ids[site], max_uses=max_uses)
        s.commit()
        return new.invite.id, new.code


def join(client: TestClient, code: str, username: str, **fields: str) -> httpx.Response:
    page = client.get("/join")
    found = re.search(r'name="join_csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found
    data = {
        "code": code,
        "username": username,
        "password": "a long resident password",
        "email": f"{username}@example.org",
        "kind": "home",
        "join_csrf": found.group(1),
        **fields,
    }
    response: httpx.Response = client.post("/join", data=data, follow_redirects=False)
    return response


def _users_named(world: World, username: str) -> int:
    with world.session() as s:
        return (
            s.scalar(select(func.count()).select_from(User).where(User.username == username)) or 0
        )


def test_a_resident_joins_with_a_code_and_lands_signed_in(
    world: World, anonymous: TestClient
) -> None:
    invite_id, code = _invite(world)
    response = join(
        anonymous, code, "res_join1", address="3 Oak Dr", latitude="37.7", longitude="-122.4"
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/community/cameras"
    me = anonymous.get("/api/me").json()
    assert me["role"] == "resident" and me["site_id"] == world.ids["oak"]
    with world.session() as s:
        user = s.scalars(select(User).where(User.username == "res_join1")).one()
        profile = s.get(ResidentProfile, user.id)
        assert profile is not None and profile.address == "3 Oak Dr" and profile.latitude == 37.7
        assert user.must_change_password is False and user.agency_id is None
        assert s.get(InviteCode, invite_id).uses == 1  # type: ignore[union-attr]
        joined = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "resident.join", AuditEvent.subject == "res_join1"
            )
        ).one()
        assert joined.detail["invite_id"] == invite_id


def test_a_reused_expired_or_revoked_code_creates_nothing(
    world: World, anonymous: TestClient
) -> None:
    _, used = _invite(world)
    assert join(anonymous, used, "res_first").status_code == 303
    anonymous.cookies.clear()
    expired_id, expired = _invite(world)
    revoked_id, revoked = _invite(world)
    with world.session() as s:
        gone = utcnow() - timedelta(minutes=1)
        s.execute(update(InviteCode).where(InviteCode.id == expired_id).values(expires_at=gone))
        s.execute(update(InviteCode).where(InviteCode.id == revoked_id).values(revoked_at=gone))
        s.commit()
    day = gone.strftime("%Y-%m-%d")
    for code, message in [
        (used, f"The invite code has already been used; {ASK}."),
        (expired, f"The invite code expired on {day}; {ASK}."),
        (revoked, f"The invite code was revoked; {ASK}."),
        ("NOPE-NOPE-NOPE", f"The invite code is not recognised; check it for typos or {ASK}."),
    ]:
        username = f"res_{uuid.uuid4().hex[:6]}"
        response = join(anonymous, code, username)
        assert response.status_code == 422
        assert message in response.text, re.findall(r'role="alert">([^<]*)<', response.text)
        assert _users_named(world, username) == 0
    with world.session() as s:
        counts = s.execute(
            select(InviteCode.uses).where(InviteCode.id.in_([expired_id, revoked_id]))
        ).scalars()
        assert list(counts) == [0, 0]


def test_a_bad_sign_up_spends_no_use_of_the_code(world: World, anonymous: TestClient) -> None:
    invite_id, code = _invite(world)
    bad = join(anonymous, code, "res_weak", password="short")
    assert bad.status_code == 422 and "use at least 12" in bad.text
    pin = join(anonymous, code, "res_pin", latitude="37.7")
    assert pin.status_code == 422 and "needs both latitude and longitude" in pin.text
    with world.session() as s:
        assert s.get(InviteCode, invite_id).uses == 0  # type: ignore[union-attr]
    assert _users_named(world, "res_weak") == _users_named(world, "res_pin") == 0


def test_a_resident_reaches_only_their_own_cameras(
    world: World, as_user: dict[str, Caller]
) -> None:
    ann, theirs = as_user["resident_a"], world.ids["camera_resident_b"]
    assert ann.get(f"/api/community/cameras/{theirs}").status_code == 404
    listed = ann.get("/api/community/cameras").json()
    assert theirs not in {c["id"] for c in listed} and listed
    form = {"label": "Mine now", "kind": "other", "latitude": "1", "longitude": "1"}
    assert ann.post(f"/community/cameras/{theirs}/edit", data=form).status_code == 404
    for action in ("pause", "remove"):
        response = ann.post(f"/community/cameras/{theirs}/{action}")
        assert response.status_code == 404 and f"you have no camera {theirs}" in response.text
    with world.session() as s:
        camera = s.get(CommunityCamera, theirs)
        assert camera is not None and camera.label == "resident_b door"
        assert camera.paused_at is None and camera.latitude is not None


def test_registering_a_camera_with_a_bad_pin_says_so(
    world: World, as_user: dict[str, Caller]
) -> None:
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(CommunityCamera))
    form = {"label": "Gate", "kind": "driveway", "latitude": "north", "longitude": "-122.4"}
    response = as_user["resident_a"].post("/community/cameras", data=form)
    assert response.status_code == 422
    assert "Latitude &#39;north&#39; is not a number" in response.text
    assert 'value="Gate"' in response.text  # what was typed comes back
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(CommunityCamera)) == before


def test_opting_out_from_the_profile_page(world: World, client: TestClient) -> None:
    invite_id, code = _invite(world)
    client.cookies.clear()
    assert join(client, code, "res_optout").status_code == 303
    client.cookies.clear()
    caller = Caller(client, session_headers(world, "res_optout"))
    page = caller.post("/community/profile/opt-out")
    assert page.status_code == 200 and "never asked for footage" in page.text
    with world.session() as s:
        user = s.scalars(select(User).where(User.username == "res_optout")).one()
        assert s.get(ResidentProfile, user.id).opted_out_at is not None  # type: ignore[union-attr]
    del invite_id


def test_hoa_admins_issue_for_their_own_site_and_revoke_only_its_invites(
    world: World, as_user: dict[str, Caller]
) -> None:
    oak, pine = as_user["hoa_oak"], as_user["hoa_pine"]
    # A site id in the form does not move an HOA admin's invite to another site.
    page = oak.post("/community/invites", data={"site_id": str(world.ids["pine"]), "days": "3"})
    code = re.search(r'id="invite-code">([A-Z0-9-]+)<', page.text)
    assert page.status_code == 200 and code
    with world.session() as s:
        invite = s.scalars(select(InviteCode).order_by(InviteCode.id.desc()).limit(1)).one()
        assert invite.site_id == world.ids["oak"] and invite.created_by == "hoa_oak"
    assert code.group(1) not in oak.get("/community/invites").text  # shown once only
    refused = pine.post(f"/community/invites/{invite.id}/revoke")
    assert refused.status_code == 404
    shown_to_pine = re.findall(r'data-invite="(\d+)"', pine.get("/community/invites").text)
    assert str(invite.id) not in shown_to_pine
    assert oak.post(f"/community/invites/{invite.id}/revoke").status_code == 200
    with world.session() as s:
        assert s.get(InviteCode, invite.id).revoked_at is not None  # type: ignore[union-attr]


def test_an_invite_is_emailed_over_smtp(world: World, smtp_server: SmtpCapture) -> None:  # noqa: F811
    settings = settings_for(world.url, world.image_root).model_copy(
        update={
            "mail": MailSettings(
                enabled=True,
                host=smtp_server.host,
                port=smtp_server.port,
                from_addr="hoa@oak.example",
            )
        }
    )
    with TestClient(create_app(settings, webhooks=False)) as mailing:
        admin = Caller(mailing, session_headers(world, "admin"))
        page = admin.post(
            "/community/invites",
            data={"neighborhood": "Birch Lane", "email": "new.neighbor@example.org"},
        )
    assert page.status_code == 200 and "also sent to new.neighbor@example.org" in page.text
    code = re.search(r'id="invite-code">([A-Z0-9-]+)<', page.text)
    assert code
    (mail,) = smtp_server.messages
    assert mail["To"] == "new.neighbor@example.org" and mail["From"] == "hoa@oak.example"
    body = str(mail.get_payload())
    assert f"Your invite code: {code.group(1)}" in body and "/join" in body


def test_an_email_with_mail_switched_off_creates_no_invite(
    world: World, as_user: dict[str, Caller]
) -> None:
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(InviteCode))
    page = as_user["admin"].post(
        "/community/invites", data={"neighborhood": "Birch", "email": "x@example.org"}
    )
    assert page.status_code == 422
    assert "Mail is switched off here (mail.enabled); leave the email empty." in page.text
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(InviteCode)) == before


def test_a_resident_edits_then_removes_their_camera(
    world: World, as_user: dict[str, Caller]
) -> None:
    ann = as_user["resident_a"]
    form = {"label": "Garage", "kind": "driveway", "latitude": "37.78", "longitude": "-122.41"}
    assert ann.post("/community/cameras", data=form).status_code == 200
    camera = next(c for c in ann.get("/api/community/cameras").json() if c["label"] == "Garage")
    moved = {**form, "latitude": "37.79", "listed": "true", "contact": "555-0100"}
    page = ann.post(f"/community/cameras/{camera['id']}/edit", data=moved)
    assert page.status_code == 200 and "Saved Garage." in page.text
    edited = ann.get(f"/api/community/cameras/{camera['id']}").json()
    assert (edited["latitude"], edited["listed"], edited["contact"]) == (37.79, True, "555-0100")
    assert edited["cell"] == cell_of(37.79, -122.41) != camera["cell"]
    removed = ann.post(f"/community/cameras/{camera['id']}/remove")
    assert removed.status_code == 303
    assert ann.get(f"/api/community/cameras/{camera['id']}").status_code == 404
    with world.session() as s:
        row = s.get(CommunityCamera, camera["id"])
        assert row is not None and row.latitude is None and row.longitude is None
        assert row.removed_at is not None


def test_an_unreachable_mail_server_still_shows_the_code(world: World) -> None:
    port = free_port()
    mail = MailSettings(enabled=True, port=port, timeout_s=2)
    settings = settings_for(world.url, world.image_root).model_copy(update={"mail": mail})
    with TestClient(create_app(settings, webhooks=False)) as mailing:
        admin = Caller(mailing, session_headers(world, "admin"))
        page = admin.post("/community/invites", data={"neighborhood": "Ash", "email": "a@b.org"})
    assert page.status_code == 200
    assert re.search(r'id="invite-code">([A-Z0-9-]+)<', page.text)
    assert f"The invite was created, but the mail server at 127.0.0.1:{port}" in page.text
    assert "Hand the code over yourself." in page.text
