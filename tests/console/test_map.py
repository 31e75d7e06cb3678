"""The map's layers and sightings follow the console's scope rules on both databases.

Cameras get coordinates here (seeded LPR cameras have none); residents' cameras of this module
sit in New York, far from the San Francisco areas other modules ask for footage in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from community.area import Area
from community.cells import cell_of
from community.registry import CameraInput, add_camera, set_paused
from community.requests import RequestDraft, draft_request
from community.residents import ProfileInput, add_profile
from console.accounts.users import create_user
from console.app import CSP
from console.routes import map as map_routes
from console.routes.map import map_csp
from console.settings import MapSettings
from org.registry import create_camera
from store.tables import AuditEvent, Camera
from tests.console.conftest import PASSWORD, Caller, World

PLACES = {
    "cam-oak-1": (40.7001, -74.0101),
    "cam-oak-2": (40.7031, -74.0051),
    "cam-pine-1": (40.7101, -74.0201),
    "cam-elm-1": (40.7201, -74.0301),
}
UNLISTED = (40.712345, -74.006789)
PAUSED = (40.731234, -73.991234)
LISTED = (40.741111, -73.981111)
PLATE = "MAPX01"


def seed_map(world: World) -> None:
    if world.ids.get("map_seeded"):
        return
    now = datetime.now(UTC)
    with world.session() as s:
        for camera_id, (lat, lon) in PLACES.items():
            lpr = s.get_one(Camera, camera_id)
            lpr.latitude, lpr.longitude = lat, lon
        create_camera(s, "cam-map-nowhere", site=world.ids["oak"], name="Oak trailer")
        s.commit()
        for read_id, camera_id, minutes in [
            ("r-map-1", "cam-oak-1", 40),
            ("r-map-2", "cam-map-nowhere", 35),
            ("r-map-3", "cam-oak-2", 30),
            ("r-map-4", "cam-oak-1", 20),
            ("r-map-pine", "cam-pine-1", 10),
        ]:
            world.ingest(s, read_id, camera_id, PLATE, minutes_ago=minutes)
        owners = {}
        for username, address in [("res_map", "9 Hidden Lane"), ("res_map_shop", "1 Main St")]:
            owners[username] = create_user(
                s, actor="test", username=username, role="resident",
                site_id=world.ids["oak"], password=PASSWORD,
            ).user  # fmt: skip
            email = f"{username.replace('_', '.')}@example.org"
            add_profile(s, owners[username].id, ProfileInput("home", email, address))
        for username, label, (lat, lon), listed in [
            ("res_map", "Map porch", UNLISTED, False),
            ("res_map", "Map shed", PAUSED, False),
            ("res_map_shop", "Map shop", LISTED, True),
        ]:
            given = CameraInput(label, "doorbell", lat, lon, listed, "555-0199" if listed else "")
            camera = add_camera(s, owner_user_id=owners[username].id, actor=username, given=given)
            world.ids[f"map_camera_{label}"] = camera.id
        set_paused(
            s, owner_user_id=owners["res_map"].id, actor="res_map",
            camera_id=world.ids["map_camera_Map shed"], paused=True,
        )  # fmt: skip
        for agency, case in [("metro", "MAP-0001"), ("county", "MAP-0002")]:
            draft = RequestDraft(
                case_number=case,
                public_summary=f"map test {case}",
                details="",
                starts_at=now - timedelta(hours=3),
                ends_at=now - timedelta(hours=2),
                area=Area(40.7005, -74.0105, 300),
                contact="Det. Map, 555-0100",
            )
            row = draft_request(
                s, world.ids[agency], draft, actor="test", settings=world.settings.community,
                image_days=world.settings.retention.image_days,
            )  # fmt: skip
            world.ids[f"map_request_{agency}"] = row.id
        s.commit()
    world.ids["map_seeded"] = True


@pytest.fixture
def mapped(world: World) -> World:
    seed_map(world)
    return world


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def _layers(caller: Caller) -> dict[str, Any]:
    response = caller.get("/api/map/layers")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_officers_see_only_cameras_of_sites_sharing_with_them(
    mapped: World, by_token: dict[str, Caller]
) -> None:
    metro = _layers(by_token["officer_a"])
    placed = {c["id"]: (c["lat"], c["lon"]) for c in metro["lpr_cameras"]}
    assert placed == {"cam-oak-1": PLACES["cam-oak-1"], "cam-oak-2": PLACES["cam-oak-2"]}
    assert metro["unplaced_lpr_cameras"] >= 1  # the Oak trailer
    assert {c["id"] for c in _layers(by_token["supervisor"])["lpr_cameras"]} == set(placed)
    county = _layers(by_token["officer_b"])
    assert {c["id"] for c in county["lpr_cameras"]} == {"cam-pine-1"}
    # Elm Court's sharing is switched off: nobody but an admin has it on the map.
    everything = {c["id"] for c in _layers(by_token["admin"])["lpr_cameras"]}
    assert set(PLACES) <= everything


@pytest.mark.parametrize("user", ["officer_a", "officer_b", "supervisor", "admin"])
def test_unlisted_resident_cameras_show_only_as_cells(
    mapped: World, by_token: dict[str, Caller], user: str
) -> None:
    response = by_token[user].get("/api/map/layers")
    layers = response.json()
    numbers = _floats(layers)
    for lat, lon in [UNLISTED, PAUSED, (37.7749, -122.4194)]:  # the last: seeded residents'
        for exact in (lat, lon):
            assert all(abs(n - exact) > 1e-6 for n in numbers), (user, exact)
            assert str(exact) not in response.text
    for secret in ("Map porch", "Map shop", "res.map@example.org", "9 Hidden Lane", "res_map"):
        assert secret not in response.text
    cells = {c["cell"]: c for c in layers["camera_cells"]}
    porch = cells[cell_of(*UNLISTED)]
    assert porch["cameras"] == 1
    assert porch["south"] < UNLISTED[0] < porch["north"]
    assert porch["west"] < UNLISTED[1] < porch["east"]
    assert porch["north"] - porch["south"] == pytest.approx(0.00135)
    # A paused camera cannot be asked for footage, so it is not on the map at all.
    assert cell_of(*PAUSED) not in cells
    # The listed one is where its owner said, with the contact they chose to give.
    listed = [c for c in layers["listed_cameras"] if c["id"] == mapped.ids["map_camera_Map shop"]]
    assert [(c["lat"], c["lon"], c["address"], c["contact"]) for c in listed] == [
        (*LISTED, "1 Main St", "555-0199")
    ]
    assert cell_of(*LISTED) not in cells


def test_request_areas_are_the_agencys_own(mapped: World, by_token: dict[str, Caller]) -> None:
    metro_id, county_id = mapped.ids["map_request_metro"], mapped.ids["map_request_county"]

    def areas(user: str) -> set[int]:
        return {r["id"] for r in _layers(by_token[user])["request_areas"]}

    assert metro_id in areas("officer_a") and county_id not in areas("officer_a")
    assert metro_id in areas("supervisor") and county_id not in areas("supervisor")
    assert county_id in areas("officer_b") and metro_id not in areas("officer_b")
    assert {metro_id, county_id} <= areas("admin")
    mine = [r for r in _layers(by_token["officer_a"])["request_areas"] if r["id"] == metro_id]
    assert [(r["lat"], r["lon"], r["radius_m"], r["status"]) for r in mine] == [
        (40.7005, -74.0105, 300, "draft")
    ]


def test_callers_outside_the_map_are_refused(
    mapped: World, client: TestClient, by_token: dict[str, Caller]
) -> None:
    client.cookies.clear()
    assert client.get("/api/map/layers").status_code == 401
    assert client.post("/api/map/sightings", json=_query()).status_code == 401
    assert client.get("/map", follow_redirects=False).status_code == 303
    for user in ("resident_a", "hoa_oak", "auditor"):
        refused = by_token[user].get("/api/map/layers")
        assert refused.status_code == 403, user
        assert "needs the officer or supervisor or admin role" in refused.json()["detail"]
        assert by_token[user].post("/api/map/sightings", json=_query()).status_code == 403


def _query(**over: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "plate": PLATE,
        "start": (now - timedelta(hours=2)).isoformat(),
        "end": (now + timedelta(minutes=1)).isoformat(),
        "case_number": "2025-007001",
        "reason": "hit and run on Oak Dr, tracing the vehicle's route",
    }
    body.update(over)
    return body


def _searches(world: World) -> int:
    with world.session() as s:
        query = select(func.count()).select_from(AuditEvent)
        return s.scalar(query.where(AuditEvent.action == "reads.search")) or 0


def test_sightings_come_in_time_order_from_the_audited_search(
    mapped: World, by_token: dict[str, Caller]
) -> None:
    before = _searches(mapped)
    response = by_token["officer_a"].post("/api/map/sightings", json=_query())
    assert response.status_code == 200, response.text
    result = response.json()
    seen = [(s["n"], s["read_id"], s["lat"], s["lon"]) for s in result["sightings"]]
    # Pine Hills does not share with Metro PD; the trailer camera has no coordinates.
    assert seen == [
        (1, "r-map-1", *PLACES["cam-oak-1"]),
        (2, "r-map-2", None, None),
        (3, "r-map-3", *PLACES["cam-oak-2"]),
        (4, "r-map-4", *PLACES["cam-oak-1"]),
    ]
    assert _searches(mapped) == before + 1
    with mapped.session() as s:
        event = s.get_one(AuditEvent, result["audit_id"])
    assert (event.actor, event.subject, event.case_number) == ("officer_a", PLATE, "2025-007001")
    assert event.purpose == "hit and run on Oak Dr, tracing the vehicle's route"
    assert event.detail["results"] == 4


def test_a_search_without_reason_or_by_a_supervisor_is_refused_unaudited(
    mapped: World, by_token: dict[str, Caller]
) -> None:
    before = _searches(mapped)
    officer = by_token["officer_a"]
    no_reason = officer.post("/api/map/sightings", json=_query(reason=""))
    assert no_reason.status_code == 422
    assert "reason" in str(no_reason.json()["detail"])
    bad_case = officer.post("/api/map/sightings", json=_query(case_number="x"))
    assert bad_case.status_code == 422
    narrow = officer.post("/api/map/sightings", json=_query(plate="M*"))
    assert narrow.status_code == 422
    assert "give at least 3 besides wildcards" in narrow.json()["detail"]
    supervisor = by_token["supervisor"].post("/api/map/sightings", json=_query())
    assert supervisor.status_code == 403
    assert _searches(mapped) == before


def test_the_page_serves_leaflet_locally_and_says_when_it_is_missing(
    mapped: World, as_user: dict[str, Caller], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    officer = as_user["officer_a"]
    page = officer.get("/map")
    assert page.status_code == 200
    assert '<script src="/static/vendor/leaflet/leaflet.js" defer>' in page.text
    assert 'id="sightings-form"' in page.text and 'data-tile-url=""' in page.text
    assert page.headers["content-security-policy"] == CSP
    assert '<a href="/map"' in officer.get("/alerts").text
    assert 'id="sightings-form"' not in as_user["supervisor"].get("/map").text
    monkeypatch.setattr(map_routes, "LEAFLET", tmp_path / "no-leaflet")
    missing = officer.get("/map")
    assert missing.status_code == 200
    assert "The map needs Leaflet, which is not installed on this console" in missing.text
    assert "leaflet.js" not in missing.text


def test_a_tile_server_is_a_setting_admitted_by_the_page_policy() -> None:
    tiles = MapSettings(tile_url="https://{s}.tiles.example.gov/{z}/{x}/{y}.png")
    assert map_csp(MapSettings()) == CSP
    assert "img-src 'self' data: https://*.tiles.example.gov;" in map_csp(tiles)
    with pytest.raises(ValidationError, match=r"map.tile_url: 'ftp://x/\{z\}' is not an absolute"):
        MapSettings(tile_url="ftp://x/{z}")
    with pytest.raises(ValidationError, match=r"lacks \{x\}, \{y\}; tiles are addressed by them"):
        MapSettings(tile_url="https://tiles.example.gov/{z}.png")


def test_an_earlier_search_reruns_on_the_map_audited_again(
    mapped: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    officer = by_token["officer_a"]
    searched = officer.post("/api/reads/search", json=_query(case_number="2025-007003"))
    assert searched.status_code == 200, searched.text
    audit_id = searched.json()["audit_id"]
    page = as_user["officer_a"].get(f"/map?search={audit_id}")
    assert f'data-search="{audit_id}"' in page.text
    assert "data-search" not in as_user["supervisor"].get(f"/map?search={audit_id}").text
    before = _searches(mapped)
    rerun = officer.post(f"/api/map/sightings/{audit_id}")
    assert rerun.status_code == 200, rerun.text
    result = rerun.json()
    assert [s["read_id"] for s in result["sightings"]] == [
        "r-map-1",
        "r-map-2",
        "r-map-3",
        "r-map-4",
    ]
    assert result["audit_id"] != audit_id and _searches(mapped) == before + 1
    with mapped.session() as s:
        first, again = s.get_one(AuditEvent, audit_id), s.get_one(AuditEvent, result["audit_id"])
        assert (again.actor, again.subject) == ("officer_a", PLATE)
        assert (again.case_number, again.purpose) == (first.case_number, first.purpose)
        assert again.detail["start"] == first.detail["start"]
        login = s.scalar(select(AuditEvent.id).where(AuditEvent.action != "reads.search"))
    # Another officer's search, or an entry that is no search, is not there to rerun.
    for caller, other in [(by_token["officer_b"], audit_id), (officer, login)]:
        refused = caller.post(f"/api/map/sightings/{other}")
        assert refused.status_code == 404
        assert f"no search {other} of yours" in refused.json()["detail"]
    assert _searches(mapped) == before + 1
