"""Grants of an opted-out site's plate reads through the console, on both databases: a search
under the grant's case number sees exactly the granted reads (those cameras, that time range,
only the named plates) and nothing else of the site; another case, another agency, or a grant
expired or revoked sees none; only the site's own HOA admin answers; every use is audited."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.accounts.users import create_user
from org.registry import create_camera, create_site
from store.tables import AuditEvent, LprAccessGrant
from tests.community.residents import CENTER
from tests.console.conftest import PASSWORD, Caller, World, session_headers, token_headers

_cases = itertools.count(1)


@dataclass
class Birch:
    """Birch Lane HOA shares with nobody; its cameras read plates inside and outside the time
    range every request here asks for (8 to 4 hours ago)."""

    site_id: int
    hoa: Caller
    hoa_page: Caller
    officer: Caller
    officer_page: Caller
    supervisor: Caller
    county: Caller
    hoa_oak: Caller
    oak_id: int


READS = {
    # read id: camera, plate, minutes ago
    "r-birch-in": ("cam-birch-1", "GRT100", 300),
    "r-birch-other-plate": ("cam-birch-1", "GRT200", 310),
    "r-birch-other-camera": ("cam-birch-2", "GRT100", 320),
    "r-birch-before": ("cam-birch-1", "GRT100", 600),
    "r-birch-after": ("cam-birch-1", "GRT100", 120),
}


@pytest.fixture(scope="module")
def birch(world: World, client: TestClient, by_token: dict[str, Caller]) -> Birch:
    with world.session() as s:
        site = create_site(s, "Birch Lane HOA")
        create_camera(s, "cam-birch-1", site=site.id, name="Birch gate")
        create_camera(s, "cam-birch-2", site=site.id, name="Birch back lane")
        create_user(
            s, actor="test", username="hoa_birch", role="hoa_admin", site_id=site.id,
            password=PASSWORD,
        )  # fmt: skip
        s.commit()
        for read_id, (camera, plate, minutes) in READS.items():
            world.ingest(s, read_id, camera, plate, minutes_ago=minutes, images=True)
        s.commit()
        site_id = site.id
    return Birch(
        site_id,
        Caller(client, token_headers(world, "hoa_birch")),
        Caller(client, session_headers(world, "hoa_birch")),
        by_token["officer_a"],
        Caller(client, session_headers(world, "officer_a")),
        by_token["supervisor"],
        by_token["officer_b"],
        by_token["hoa_oak"],
        world.ids["oak"],
    )


def _request(b: Birch, case: str, *, approve: bool = True) -> int:
    now = datetime.now(UTC)
    created = b.officer.post(
        "/api/community/requests",
        json={
            "case_number": case,
            "public_summary": "Hit and run at the Birch Lane gate",
            "details": "",
            "starts_at": (now - timedelta(hours=8)).isoformat(),
            "ends_at": (now - timedelta(hours=4)).isoformat(),
            "area": {"lat": CENTER[0], "lon": CENTER[1], "radius_m": 400},
            "contact": "Det. Okafor, 555-0142",
        },
    )
    assert created.status_code == 201, created.text
    request_id: int = created.json()["id"]
    if approve:
        decided = b.supervisor.post(
            f"/api/community/requests/{request_id}/decision", json={"approve": True}
        )
        assert decided.status_code == 200, decided.text
    return request_id


def _ask(b: Birch, request_id: int, plates: list[str] | None = None) -> int:
    body: dict[str, Any] = {"site_id": b.site_id, "camera_ids": ["cam-birch-1"]}
    if plates is not None:
        body["plates"] = plates
    asked = b.officer.post(f"/api/community/requests/{request_id}/lpr-grants", json=body)
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    grant_id: int = asked.json()["id"]
    return grant_id


def _decide(b: Birch, grant_id: int, approve: bool = True) -> Any:
    return b.hoa.post(
        f"/api/sites/{b.site_id}/lpr-requests/{grant_id}/decision", json={"approve": approve}
    )


def _granted(b: Birch, plates: list[str] | None = None) -> tuple[str, int]:
    case = f"2025-0{next(_cases):02d}881"
    grant_id = _ask(b, _request(b, case), plates)
    decided = _decide(b, grant_id)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    return case, grant_id


def _search(caller: Caller, case: str, **changes: Any) -> Any:
    now = datetime.now(UTC)
    body = {
        "plate": "GRT*",
        "start": (now - timedelta(hours=12)).isoformat(),
        "end": now.isoformat(),
        "case_number": case,
        "reason": "hit and run at the gate, suspect vehicle",
    } | changes
    return caller.post("/api/reads/search", json=body)


def _birch_hits(response: Any) -> dict[str, int | None]:
    assert response.status_code == 200, response.text
    return {
        r["read_id"]: r["grant_id"]
        for r in response.json()["reads"]
        if r["read_id"].startswith("r-birch")
    }


def _uses(world: World, grant_id: int) -> list[AuditEvent]:
    with world.session() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.action == "lpr_grant.use",
                    AuditEvent.subject == f"lpr_grant:{grant_id}",
                )
                .order_by(AuditEvent.id)
            )
        )


def test_the_case_search_sees_exactly_the_granted_reads(birch: Birch, world: World) -> None:
    case, grant_id = _granted(birch, plates=["grt-100", "GRT300"])
    found = _search(birch.officer, case)
    assert _birch_hits(found) == {"r-birch-in": grant_id}
    (use,) = _uses(world, grant_id)
    assert use.actor == "officer_a" and use.case_number == case
    assert use.detail == {
        "grant_id": grant_id,
        "site_id": birch.site_id,
        "search_audit_id": found.json()["audit_id"],
        "results": 1,
    }
    # The granted camera may be named as a filter under the case; the other camera may not.
    assert _birch_hits(_search(birch.officer, case, camera_ids=["cam-birch-1"])) == {
        "r-birch-in": grant_id
    }
    refused = _search(birch.officer, case, camera_ids=["cam-birch-2"])
    assert refused.status_code == 403
    assert "cam-birch-2 not shared with your agency" in refused.json()["detail"]
    # The search page marks what came through the grant.
    now = datetime.now(UTC).replace(tzinfo=None)
    form = {
        "plate": "GRT*",
        "start": (now - timedelta(hours=12)).isoformat(timespec="minutes"),
        "end": now.isoformat(timespec="minutes"),
        "tz_offset": "0",
        "case_number": case,
        "reason": "hit and run at the gate, suspect vehicle",
    }
    page = birch.officer_page.post("/search", data=form)
    assert page.status_code == 200, page.text
    assert page.text.count("granted for this case") == 1
    assert "/api/reads/r-birch-in/crop" in page.text
    assert "r-birch-other-plate" not in page.text
    # The images of the granted read open; those of the site's other reads do not.
    assert birch.officer.get("/api/reads/r-birch-in/crop").status_code == 200
    for other in ("r-birch-other-plate", "r-birch-other-camera", "r-birch-before"):
        assert birch.officer.get(f"/api/reads/{other}/crop").status_code == 404


def test_without_named_plates_every_read_of_the_cameras_in_the_range(birch: Birch) -> None:
    case, grant_id = _granted(birch)
    assert _birch_hits(_search(birch.officer, case)) == {
        "r-birch-in": grant_id,
        "r-birch-other-plate": grant_id,
    }


def test_another_case_or_agency_or_a_pending_ask_sees_nothing(birch: Birch, world: World) -> None:
    case, grant_id = _granted(birch)
    assert _birch_hits(_search(birch.officer, "2025-099881")) == {}
    refused = _search(birch.officer, "2025-099881", site_ids=[birch.site_id])
    assert refused.status_code == 403
    assert _birch_hits(_search(birch.county, case)) == {}
    assert birch.county.get("/api/reads/r-birch-in/crop").status_code == 404
    # Only the searches under the grant's own case used it.
    assert _uses(world, grant_id) == []
    pending_case = "2025-088771"
    _ask(birch, _request(birch, pending_case))
    assert _birch_hits(_search(birch.officer, pending_case)) == {}


def test_after_expiry_or_revocation_nothing(birch: Birch, world: World) -> None:
    case, grant_id = _granted(birch)
    with world.session() as s:
        # Every grant of the site lapses, so no other case's grant still opens the images.
        for grant in s.scalars(select(LprAccessGrant).where(LprAccessGrant.status == "approved")):
            grant.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        s.commit()
    assert _birch_hits(_search(birch.officer, case)) == {}
    assert birch.officer.get("/api/reads/r-birch-in/crop").status_code == 404
    assert _uses(world, grant_id) == []
    listed = birch.hoa.get(f"/api/sites/{birch.site_id}/lpr-requests").json()
    assert {g["id"]: g["status"] for g in listed}[grant_id] == "expired"

    case, grant_id = _granted(birch)
    assert _birch_hits(_search(birch.officer, case)) == {
        "r-birch-in": grant_id,
        "r-birch-other-plate": grant_id,
    }
    revoked = birch.hoa.post(f"/api/sites/{birch.site_id}/lpr-requests/{grant_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert _birch_hits(_search(birch.officer, case)) == {}
    again = birch.hoa.post(f"/api/sites/{birch.site_id}/lpr-requests/{grant_id}/revoke")
    assert again.status_code == 422
    assert "only an approved grant can be revoked" in again.json()["detail"]


def test_only_the_sites_own_hoa_admin_answers(birch: Birch, world: World) -> None:
    grant_id = _ask(birch, _request(birch, "2025-077661"))
    oak = birch.hoa_oak
    other_site = oak.post(
        f"/api/sites/{birch.site_id}/lpr-requests/{grant_id}/decision", json={"approve": True}
    )
    assert other_site.status_code == 403
    assert f"site {birch.site_id} is not yours" in other_site.json()["detail"]
    own_path = oak.post(
        f"/api/sites/{birch.oak_id}/lpr-requests/{grant_id}/decision", json={"approve": True}
    )
    assert own_path.status_code == 404
    assert f"no LPR request {grant_id} for your site" in own_path.json()["detail"]
    assert oak.get(f"/api/sites/{birch.site_id}/lpr-requests").status_code == 403
    assert grant_id not in {
        g["id"] for g in oak.get(f"/api/sites/{birch.oak_id}/lpr-requests").json()
    }
    assert oak.post(f"/lpr-requests/{grant_id}/revoke").status_code == 404
    with world.session() as s:
        assert s.get_one(LprAccessGrant, grant_id).status == "pending"
    declined = _decide(birch, grant_id, approve=False)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert _decide(birch, grant_id).status_code == 422


def test_the_agency_sees_the_sites_answer_but_not_who_gave_it(birch: Birch) -> None:
    request_id = _request(birch, "2025-066551")
    grant_id = _ask(birch, request_id, plates=["GRT100"])
    assert _decide(birch, grant_id, approve=False).status_code == 200
    listed = birch.officer.get(f"/api/community/requests/{request_id}/lpr-grants")
    assert listed.status_code == 200
    [seen] = listed.json()
    assert seen["site_name"] == "Birch Lane HOA" and seen["status"] == "declined"
    assert "hoa_birch" not in listed.text and "decided_by" not in listed.text
    page = birch.officer_page.get(f"/community/requests/{request_id}")
    assert page.status_code == 200 and "refused by the site" in page.text
    assert "hoa_birch" not in page.text
    assert birch.county.get(f"/api/community/requests/{request_id}/lpr-grants").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"site_id": "oak", "camera_ids": ["cam-oak-1"]}, 422, "Oak Ridge HOA shares its reads"),
        ({"site_id": "birch", "camera_ids": ["cam-oak-1"]}, 422, "cam-oak-1 not cameras of site"),
        ({"site_id": "birch", "camera_ids": ["cam-birch-1"], "plates": ["G*"]}, 422, "wildcards"),
        ({"site_id": 999999, "camera_ids": ["cam-birch-1"]}, 404, "no site 999999"),
    ],
)
def test_bad_asks_are_refused_and_nothing_is_written(
    birch: Birch, world: World, body: dict[str, Any], status: int, error: str
) -> None:
    request_id = _request(birch, "2025-055441", approve=False)
    sites = {"oak": birch.oak_id, "birch": birch.site_id}
    body = body | {"site_id": sites.get(body["site_id"], body["site_id"])}
    refused = birch.officer.post(f"/api/community/requests/{request_id}/lpr-grants", json=body)
    assert refused.status_code == status, refused.text
    assert error in refused.json()["detail"]
    with world.session() as s:
        assert (
            s.scalars(select(LprAccessGrant).where(LprAccessGrant.request_id == request_id)).all()
            == []
        )
    other_agency = birch.county.post(
        f"/api/community/requests/{request_id}/lpr-grants",
        json={"site_id": birch.site_id, "camera_ids": ["cam-birch-1"]},
    )
    assert other_agency.status_code == 404


def test_the_pages_ask_and_answer(birch: Birch, world: World) -> None:
    request_id = _request(birch, "2025-044331")
    page = birch.officer_page.get(f"/community/requests/{request_id}")
    assert page.status_code == 200 and "Ask Birch Lane HOA" in page.text
    assert "Ask Oak Ridge HOA" not in page.text  # Oak shares with Metro: nothing to ask
    asked = birch.officer_page.post(
        f"/community/requests/{request_id}/lpr-grants",
        data={
            "site_id": str(birch.site_id),
            "camera_ids": ["cam-birch-2"],
            "plates": "grt100, GRT300",
        },
    )
    assert asked.status_code == 303
    none_ticked = birch.officer_page.post(
        f"/community/requests/{request_id}/lpr-grants", data={"site_id": str(birch.site_id)}
    )
    assert none_ticked.status_code == 303
    shown = birch.officer_page.get(none_ticked.headers["location"])
    assert "Not sent: cameras: tick at least one of the site" in shown.text
    with world.session() as s:
        grant = s.scalars(
            select(LprAccessGrant).where(LprAccessGrant.request_id == request_id)
        ).one()
        assert grant.plates == ["GRT100", "GRT300"] and grant.camera_ids == ["cam-birch-2"]
    hoa_page = birch.hoa_page.get("/lpr-requests")
    assert hoa_page.status_code == 200 and "2025-044331" in hoa_page.text
    assert "Hit and run at the Birch Lane gate" in hoa_page.text
    approved = birch.hoa_page.post(f"/lpr-requests/{grant.id}/decision", data={"approve": "true"})
    assert approved.status_code == 303 and "done=" in approved.headers["location"]
    again = birch.hoa_page.post(f"/lpr-requests/{grant.id}/decision", data={"approve": "false"})
    assert again.status_code == 303 and "answered%20already" in again.headers["location"]
    with world.session() as s:
        assert s.get_one(LprAccessGrant, grant.id).status == "approved"
    assert birch.hoa_page.post(f"/lpr-requests/{grant.id}/revoke").status_code == 303
    with world.session() as s:
        assert s.get_one(LprAccessGrant, grant.id).status == "revoked"
