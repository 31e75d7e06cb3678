"""Footage requests through the console on both databases: the flow, bad input, and what
police can never learn (who was asked, how many, who declined), checked on every route an
officer or supervisor can reach, by session and by API token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.accounts.users import create_user
from console.app import create_app
from platewatch.settings import load_settings
from store.tables import AuditEvent, FootageShare
from tests.community.residents import CENTER, SeededResident, add_resident, near
from tests.console.conftest import PASSWORD, Caller, World, session_headers, token_headers

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "samples"


@dataclass
class Flow:
    officer: Caller
    officer_token: Caller
    supervisor: Caller
    supervisor_token: Caller
    residents: dict[str, SeededResident]
    callers: dict[str, Caller]

    def secrets(self) -> list[str]:
        """What must never appear in a police response: every resident's identity."""
        found = []
        for r in self.residents.values():
            found += [
                r.username,
                r.email,
                f"{r.username.title()} Resident",
                f"{r.username.title()} Lane",
            ]
        return found


@pytest.fixture(scope="module")
def flow(world: World, client: TestClient) -> Flow:
    suffix = world.url.split(":", 1)[0][:2]
    with world.session() as s:
        create_user(
            s, actor="test", username=f"sup_{suffix}", role="supervisor",
            agency_id=world.ids["metro"], password=PASSWORD,
        )  # fmt: skip
        residents = {
            "in1": add_resident(s, f"zed{suffix}a", camera_at=near(0.001)),
            "in2": add_resident(s, f"zed{suffix}b", camera_at=near(-0.002)),
            "out": add_resident(s, f"zed{suffix}c", camera_at=near(0.05)),
        }
        s.commit()
    return Flow(
        Caller(client, session_headers(world, "officer_a")),
        Caller(client, token_headers(world, "officer_a")),
        Caller(client, session_headers(world, f"sup_{suffix}")),
        Caller(client, token_headers(world, f"sup_{suffix}")),
        residents,
        {k: Caller(client, session_headers(world, r.username)) for k, r in residents.items()},
    )


def _body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "case_number": "2025-007731",
        "public_summary": "Package theft on Birch Ave, Tuesday evening",
        "details": "Suspect in a red hoodie, left in a white van",
        "starts_at": (now - timedelta(hours=8)).isoformat(),
        "ends_at": (now - timedelta(hours=4)).isoformat(),
        "area": {"lat": CENTER[0], "lon": CENTER[1], "radius_m": 400},
        "contact": "Det. Okafor, 555-0142",
    }
    body.update(changes)
    return body


def _approved(flow: Flow) -> int:
    created = flow.officer.post("/api/community/requests", json=_body())
    assert created.status_code == 201, created.text
    request_id: int = created.json()["id"]
    assert (
        flow.officer.post(
            f"/api/community/requests/{request_id}/decision", json={"approve": True}
        ).status_code
        == 403
    )
    decided = flow.supervisor.post(
        f"/api/community/requests/{request_id}/decision", json={"approve": True}
    )
    assert decided.status_code == 200, decided.text
    return request_id


def _share_clip(
    caller: Caller, request_id: int, name: str, data: bytes, camera: int | None = None
) -> Any:
    form = {"note": "front porch"} | ({"camera_id": str(camera)} if camera else {})
    return caller.post(
        f"/api/community/portal/requests/{request_id}/share",
        files=[("files", (name, data, "video/mp4"))],
        data=form,
    )


def test_police_see_the_share_and_nothing_about_who_was_asked(flow: Flow, world: World) -> None:
    request_id = _approved(flow)
    clip = (SAMPLES / "license_plate.mp4").read_bytes()
    asked = flow.callers["in1"].get("/api/community/portal/requests").json()
    assert [a["id"] for a in asked if a["id"] == request_id] == [request_id]
    assert "Suspect in a red hoodie" not in str(asked)  # police-only details
    assert flow.callers["out"].get("/api/community/portal/requests").json() == []
    camera = flow.residents["in1"].camera_id
    shared = _share_clip(flow.callers["in1"], request_id, "porch.mp4", clip, camera)
    assert shared.status_code == 201, shared.text
    declined = flow.callers["in2"].post(f"/api/community/portal/requests/{request_id}/decline")
    assert declined.status_code == 204

    detail = flow.officer.get(f"/api/community/requests/{request_id}").json()
    assert len(detail["shares"]) == 1
    [share] = detail["shares"]
    assert share["exact_lat"] is None and share["contact"] is None and share["cell"]
    file_url = share["files"][0]["url"]
    police_views = [
        f"/api/community/requests/{request_id}",
        "/api/community/requests",
        "/community/requests",
        f"/community/requests/{request_id}",
        "/api/community/alerts",
        "/api/me",
    ]
    for caller in (flow.officer, flow.officer_token, flow.supervisor, flow.supervisor_token):
        for url in police_views:
            if caller in (flow.officer_token, flow.supervisor_token) and not url.startswith(
                "/api/"
            ):
                continue
            response = caller.get(url)
            assert response.status_code == 200, (url, response.text)
            _assert_private(response.text, flow)
    public = world_public(flow)
    assert "Package theft on Birch Ave" in public and "Suspect in a red hoodie" not in public
    _assert_private(public, flow)

    viewed = flow.officer.get(file_url)
    assert viewed.status_code == 200 and viewed.content == clip
    assert viewed.headers["content-type"] == "video/mp4"
    downloaded = flow.officer_token.get(f"{file_url}/download")
    assert "attachment" in downloaded.headers["content-disposition"]
    with world.session() as s:
        custody = s.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.case_number)
            .where(AuditEvent.action.like("share_file.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert custody[-2:] == [
        ("share_file.view", "officer_a", "2025-007731"),
        ("share_file.download", "officer_a", "2025-007731"),
    ]
    # Opened by the agency: the resident can no longer withdraw it.
    withdraw = flow.callers["in1"].post(f"/api/community/portal/shares/{share['id']}/withdraw")
    assert withdraw.status_code == 422
    assert "can no longer be withdrawn" in withdraw.json()["detail"]


def world_public(flow: Flow) -> str:
    response = flow.officer.client.get("/public/transparency")
    assert response.status_code == 200
    text: str = response.text
    return text


def _assert_private(text: str, flow: Flow) -> None:
    for secret in flow.secrets():
        assert secret not in text, secret
    for word in ("recipient", '"asked"', "declined_count", "asked_count", '"state"'):
        assert word not in text, word


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"case_number": ""}, "case number: required"),
        ({"case_number": "n/a"}, "case number"),
        (
            {"area": {"lat": CENTER[0], "lon": CENTER[1], "radius_m": 1200}},
            "radius 1200 m is out of bounds",
        ),
        ({"starts_at": (datetime.now(UTC) - timedelta(hours=20)).isoformat()}, "at most 12 hours"),
        ({"ends_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "ends in the future"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(
    flow: Flow, world: World, changes: dict[str, Any], error: str
) -> None:
    with world.session() as s:
        before = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    response = flow.officer.post("/api/community/requests", json=_body(**changes))
    assert response.status_code == 422, response.text
    assert error in response.json()["detail"]
    with world.session() as s:
        assert s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


def test_bad_files_and_other_residents_shares_are_refused(flow: Flow, world: World) -> None:
    request_id = _approved(flow)
    with world.session() as s:
        shares_before = len(s.scalars(select(FootageShare.id)).all())
    fake = _share_clip(flow.callers["in1"], request_id, "clip.mp4", b"just some text, not a video")
    assert fake.status_code == 422
    assert "is not a video or photo (whatever its name says)" in fake.json()["detail"]
    outsider = _share_clip(
        flow.callers["out"], request_id, "porch.mp4", (SAMPLES / "license_plate.mp4").read_bytes()
    )
    assert outsider.status_code == 404
    assert f"no footage request {request_id} was sent to you" in outsider.json()["detail"]
    real = _share_clip(
        flow.callers["in2"], request_id, "a.mp4", (SAMPLES / "license_plate.mp4").read_bytes()
    )
    assert real.status_code == 201
    share_id = real.json()["id"]
    stolen = flow.callers["in1"].post(f"/api/community/portal/shares/{share_id}/withdraw")
    assert stolen.status_code == 404
    assert "you can withdraw only your own shares" in stolen.json()["detail"]
    with world.session() as s:
        assert len(s.scalars(select(FootageShare.id)).all()) == shares_before + 1
        assert s.get_one(FootageShare, share_id).withdrawn_at is None
    mine = flow.callers["in2"].post(f"/api/community/portal/shares/{share_id}/withdraw")
    assert mine.status_code == 204
    detail = flow.officer.get(f"/api/community/requests/{request_id}").json()
    assert detail["shares"] == []


def test_neighborhood_alerts_reach_residents_of_the_area(flow: Flow) -> None:
    posted = flow.officer.post(
        "/api/community/alerts",
        json={
            "title": "Car break-ins on Birch Ave",
            "body": "Lock your cars and report anything unusual to 555-0100.",
            "area": {"lat": CENTER[0], "lon": CENTER[1], "radius_m": 600},
        },
    )
    assert posted.status_code == 201, posted.text
    _assert_private(posted.text, flow)
    titles = {
        key: [a["title"] for a in caller.get("/api/community/portal/alerts").json()]
        for key, caller in flow.callers.items()
    }
    assert "Car break-ins on Birch Ave" in titles["in1"]
    assert "Car break-ins on Birch Ave" in titles["in2"]
    assert "Car break-ins on Birch Ave" not in titles["out"]
    too_big = flow.officer.post(
        "/api/community/alerts",
        json={"title": "x", "body": "y", "area": {"lat": 1.0, "lon": 1.0, "radius_m": 5000}},
    )
    assert too_big.status_code == 422 and "out of bounds" in too_big.json()["detail"]


def test_other_agencies_see_nothing_and_the_auditor_sees_every_step(
    flow: Flow, world: World, as_user: dict[str, Caller], by_token: dict[str, Caller]
) -> None:
    request_id = _approved(flow)
    clip = (SAMPLES / "license_plate.mp4").read_bytes()
    shared = _share_clip(flow.callers["in1"], request_id, "p.mp4", clip)
    file_id = flow.officer.get(f"/api/community/requests/{request_id}").json()["shares"][0][
        "files"
    ][0]["id"]
    assert shared.status_code == 201
    for caller in (as_user["officer_b"], by_token["officer_b"]):
        for url in (
            f"/api/community/requests/{request_id}",
            f"/api/community/files/{file_id}",
            f"/api/community/files/{file_id}/download",
        ):
            response = caller.get(url)
            assert response.status_code == 404, (url, response.text)
        assert request_id not in [r["id"] for r in caller.get("/api/community/requests").json()]
    steps = as_user["auditor"].get("/api/audit", params={"limit": 200}).json()["events"]
    mine = [e["action"] for e in steps if e["case_number"] == "2025-007731"]
    assert {"footage_request.draft", "footage_request.approve", "footage_share.create"} <= set(mine)


def test_the_draft_form_shows_what_is_wrong_and_saves_nothing(flow: Flow, world: World) -> None:
    with world.session() as s:
        before = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    page = flow.officer.post(
        "/community/requests",
        data={
            "case_number": "2025-007731",
            "public_summary": "Something happened",
            "starts_at": "2025-01-01T10:00",
            "ends_at": "2025-01-01T11:00",
            "lat": "north",
            "lon": "-122.4",
            "radius_m": "300",
            "contact": "Det. Okafor",
        },
    )
    assert page.status_code == 422
    assert "area: give the center&#39;s latitude and longitude" in page.text
    assert 'value="2025-007731"' in page.text  # the form keeps what was typed
    with world.session() as s:
        assert s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


def test_a_file_over_the_size_cap_is_refused(flow: Flow, world: World) -> None:
    settings = load_settings(
        database_url=world.url,
        edge={"image_root": str(world.image_root)},
        community={"share_max_bytes": 1_000_000},
    )
    request_id = _approved(flow)
    with TestClient(create_app(settings, webhooks=False)) as small:
        resident = Caller(small, flow.callers["in1"].headers)
        clip = (SAMPLES / "license_plate.mp4").read_bytes()  # 2.3 MB
        response = _share_clip(resident, request_id, "porch.mp4", clip)
    assert response.status_code == 422
    assert "is over the 1000000-byte limit" in response.json()["detail"]
    with world.session() as s:
        shares = s.scalars(select(FootageShare).where(FootageShare.request_id == request_id))
        assert list(shares) == []
