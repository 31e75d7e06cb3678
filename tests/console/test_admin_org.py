"""Admins' API for agencies, sites, sharing and cameras: who may call it, what each change
records in the audit log, and the 422/409/404 answers that say what to fix."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from store.audit_details import parse_detail
from store.audit_org import AgencyRetireDetail, CameraUpdateDetail, FieldChange
from store.tables import ApiToken, AuditEvent, Camera, User, Webhook
from tests.console.conftest import Caller, World

_names = itertools.count()
ENDPOINTS = [
    ("GET", "/api/admin/agencies"),
    ("POST", "/api/admin/agencies"),
    ("PATCH", "/api/admin/agencies/{agency}"),
    ("POST", "/api/admin/agencies/{agency}/retire"),
    ("GET", "/api/admin/sites"),
    ("POST", "/api/admin/sites"),
    ("PATCH", "/api/admin/sites/{site}"),
    ("POST", "/api/admin/sites/{site}/retire"),
    ("GET", "/api/admin/sites/{site}/sharing"),
    ("POST", "/api/admin/sites/{site}/sharing"),
    ("GET", "/api/admin/cameras"),
    ("POST", "/api/admin/cameras"),
    ("PATCH", "/api/admin/cameras/{camera}"),
    ("POST", "/api/admin/cameras/{camera}/retire"),
]


def _unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _filled(template: str, world: World) -> str:
    # Seeded records: the refused callers below never get as far as touching them.
    return template.format(agency=world.ids["metro"], site=world.ids["oak"], camera="cam-oak-1")


@pytest.mark.parametrize(("method", "template"), ENDPOINTS, ids=" ".join)
def test_only_admins_reach_the_organisation_api(
    method: str,
    template: str,
    world: World,
    client: Any,
    as_user: dict[str, Caller],
    by_token: dict[str, Caller],
) -> None:
    path = _filled(template, world)
    body: dict[str, str] | None = {} if method != "GET" else None
    for user in ("officer_a", "auditor", "hoa_oak", "supervisor", "resident_a"):
        for caller in (as_user[user], by_token[user]):
            response = caller.request(method, path, json=body)
            assert response.status_code == 403, (user, response.text)
            assert "this needs the admin role" in response.json()["detail"]
    client.cookies.clear()
    anonymous = client.request(method, path, json=body)
    assert anonymous.status_code == 401
    if method == "GET":
        assert by_token["admin"].get(path).status_code == 200
        assert as_user["admin"].get(path).status_code == 200


def test_an_admin_token_adds_shares_edits_and_retires_with_an_audit_trail(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    agency = _ok(
        admin.post("/api/admin/agencies", json={"name": _unique("Lakeside PD"), "state": "ca"}), 201
    )
    assert agency["state"] == "CA" and agency["retired_at"] is None
    site = _ok(
        admin.post(
            "/api/admin/sites", json={"name": _unique("Lakeside HOA"), "image_retention_days": 14}
        ),
        201,
    )
    shares = _ok(
        admin.post(
            f"/api/admin/sites/{site['id']}/sharing",
            json={"agency_id": agency["id"], "enabled": True},
        )
    )
    assert {"agency_id": agency["id"], "enabled": True} in [
        {"agency_id": s["agency_id"], "enabled": s["enabled"]} for s in shares
    ]
    camera_id = f"lake-{next(_names)}"
    camera = _ok(
        admin.post(
            "/api/admin/cameras",
            json={"id": camera_id, "site_id": site["id"], "location": "Lake Dr", "region": "ca"},
        ),
        201,
    )
    assert (camera["name"], camera["region"]) == (camera_id, "CA")
    edited = _ok(
        admin.request(
            "PATCH",
            f"/api/admin/cameras/{camera_id}",
            json={"latitude": 37.5, "direction": "NB"},
        )
    )
    assert (edited["latitude"], edited["direction"], edited["location"]) == (37.5, "NB", "Lake Dr")
    site_after = _ok(
        admin.request(
            "PATCH", f"/api/admin/sites/{site['id']}", json={"image_retention_days": None}
        )
    )
    assert site_after["image_retention_days"] is None  # null: back to the deployment default
    retired = _ok(admin.post(f"/api/admin/cameras/{camera_id}/retire"))
    assert retired["retired_at"] is not None
    _ok(admin.post(f"/api/admin/agencies/{agency['id']}/retire"))
    shares = _ok(admin.get(f"/api/admin/sites/{site['id']}/sharing"))
    assert [
        (s["enabled"], s["agency_retired"]) for s in shares if s["agency_id"] == agency["id"]
    ] == [(False, True)]
    listed = {c["id"]: c for c in _ok(admin.get("/api/admin/cameras"))}
    assert listed[camera_id]["retired_at"] == retired["retired_at"]

    with world.session() as s:
        token_ids = set(
            s.scalars(select(ApiToken.id).join(User).where(User.username == "admin")).all()
        )
        events = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
            .where(
                AuditEvent.subject.in_(
                    [f"agency:{agency['id']}", f"site:{site['id']}", f"camera:{camera_id}"]
                )
            )
            .order_by(AuditEvent.id)
        ).all()
    assert [(actor, action) for actor, action, _ in events] == [
        ("admin", "agency.create"),
        ("admin", "site.create"),
        ("admin", "site.share"),
        ("admin", "camera.create"),
        ("admin", "camera.update"),
        ("admin", "site.update"),
        ("admin", "camera.retire"),
        ("admin", "agency.retire"),
    ]
    update = parse_detail("camera.update", events[4][2])
    assert isinstance(update, CameraUpdateDetail) and update.token_id in token_ids
    assert update.changes == (
        FieldChange(field="latitude", before=None, after="37.5"),
        FieldChange(field="direction", before="", after="NB"),
    )
    retire = parse_detail("agency.retire", events[7][2])
    assert isinstance(retire, AgencyRetireDetail) and retire.shares_ended == (site["name"],)


def test_a_signed_in_admin_is_audited_without_a_token(
    world: World, as_user: dict[str, Caller]
) -> None:
    agency = _ok(
        as_user["admin"].post("/api/admin/agencies", json={"name": _unique("Bay PD")}), 201
    )
    with world.session() as s:
        detail = s.scalar(
            select(AuditEvent.detail).where(AuditEvent.subject == f"agency:{agency['id']}")
        )
    assert detail is not None and detail["token_id"] is None


def _field_error(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    message: str = error["msg"]
    return message


def test_bad_values_are_422_naming_the_field_and_change_nothing(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    site = _ok(admin.post("/api/admin/sites", json={"name": _unique("Ridge HOA")}), 201)
    camera_id = f"ridge-{next(_names)}"
    _ok(
        admin.post(
            "/api/admin/cameras", json={"id": camera_id, "site_id": site["id"], "latitude": 10}
        ),
        201,
    )
    path = f"/api/admin/cameras/{camera_id}"
    assert "latitude 91.0 is outside -90..90" in _field_error(
        admin.request("PATCH", path, json={"latitude": 91, "location": "moved"}), "latitude"
    )
    assert "unknown state code 'ZZ'" in _field_error(
        admin.request("PATCH", path, json={"region": "ZZ"}), "region"
    )
    assert "at least 1" in _field_error(
        admin.request(
            "PATCH", f"/api/admin/sites/{site['id']}", json={"resident_retention_hours": 0}
        ),
        "resident_retention_hours",
    )
    assert "no site 999999" in _field_error(
        admin.post("/api/admin/cameras", json={"id": "orphan", "site_id": 999999}), "site_id"
    )
    assert "no agency 999999" in _field_error(
        admin.post(
            f"/api/admin/sites/{site['id']}/sharing", json={"agency_id": 999999, "enabled": True}
        ),
        "agency_id",
    )
    schema = admin.post("/api/admin/sites", json={"name": ""})
    assert schema.status_code == 422 and schema.json()["detail"][0]["loc"] == ["body", "name"]
    with world.session() as s:
        camera = s.get(Camera, camera_id)
        assert camera is not None and (camera.latitude, camera.location) == (10, "")
        assert s.get(Camera, "orphan") is None
        updates = s.scalars(
            select(AuditEvent.id).where(AuditEvent.subject == f"camera:{camera_id}")
        ).all()
    assert len(updates) == 1  # its creation only


def test_taken_names_and_retired_records_are_409_and_missing_ones_404(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    taken = admin.post("/api/admin/agencies", json={"name": "Metro PD"})
    assert taken.status_code == 409
    assert taken.json()["detail"] == "agency 'Metro PD' already exists; pick another name"
    dup = admin.post("/api/admin/cameras", json={"id": "cam-oak-1", "site_id": world.ids["oak"]})
    assert dup.status_code == 409 and "camera 'cam-oak-1' already exists" in dup.text
    site = _ok(admin.post("/api/admin/sites", json={"name": _unique("Gone HOA")}), 201)
    _ok(admin.post(f"/api/admin/sites/{site['id']}/retire"))
    again = admin.post(f"/api/admin/sites/{site['id']}/retire")
    assert again.status_code == 409 and "was retired at" in again.json()["detail"]
    closed = admin.post(
        "/api/admin/cameras", json={"id": f"gone-{next(_names)}", "site_id": site["id"]}
    )
    assert closed.status_code == 409 and "is retired; add the camera" in closed.text
    for method, path, what in [
        ("PATCH", "/api/admin/agencies/999999", "no agency 999999"),
        ("POST", "/api/admin/sites/999999/retire", "no site 999999"),
        ("GET", "/api/admin/sites/999999/sharing", "no site 999999"),
        ("PATCH", "/api/admin/cameras/no-such-cam", "camera 'no-such-cam' is not registered"),
    ]:
        response = admin.request(method, path, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (path, response.text)
        assert what in response.json()["detail"]


def test_the_openapi_document_describes_the_organisation_api(as_user: dict[str, Caller]) -> None:
    spec = _ok(as_user["admin"].get("/openapi.json"))
    paths = spec["paths"]
    assert set(paths["/api/admin/cameras/{camera_id}"]) == {"patch"}
    assert set(paths["/api/admin/sites/{site_id}/sharing"]) == {"get", "post"}
    update = spec["components"]["schemas"]["CameraUpdate"]["properties"]
    assert {"latitude", "longitude", "region", "direction"} <= set(update)
    assert "site_id" not in update  # a camera moving sites is retired and added anew


def test_the_camera_page_names_a_bad_field_and_adds_nothing(
    world: World, as_user: dict[str, Caller]
) -> None:
    form = {
        "csrf_token": as_user["admin"].headers["X-CSRF-Token"],
        "op": "add",
        "camera_id": "page-cam",
        "site_id": str(world.ids["elm"]),
        "latitude": "north",
    }
    page = as_user["admin"].post("/admin/cameras", data=form)
    assert page.status_code == 422
    assert "latitude: latitude &#39;north&#39; is not a number" in page.text
    page = as_user["admin"].post("/admin/cameras", data={**form, "latitude": "", "region": "XX"})
    assert page.status_code == 422 and "region: camera region: unknown state code" in page.text
    with world.session() as s:
        assert s.get(Camera, "page-cam") is None
    admin = as_user["admin"]
    cookie_only = {"Cookie": admin.headers["Cookie"]}  # the form's token is all that is checked
    stale = admin.client.post(
        "/admin/cameras", data={**form, "latitude": "", "csrf_token": "stale"}, headers=cookie_only
    )
    assert stale.status_code == 403 and "security token is missing or stale" in stale.text
    with world.session() as s:
        assert s.get(Camera, "page-cam") is None


def _camera_events(world: World, camera_id: str) -> list[tuple[str, str, Any]]:
    with world.session() as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.subject == f"camera:{camera_id}")
            .order_by(AuditEvent.id)
        )
        return [(actor, action, detail) for actor, action, detail in rows]


def test_a_camera_keeps_images_for_less_than_its_site_through_the_api(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    site = _ok(
        admin.post(
            "/api/admin/sites", json={"name": _unique("Lake HOA"), "image_retention_days": 14}
        ),
        201,
    )
    camera_id = f"pool-{next(_names)}"
    camera = _ok(
        admin.post(
            "/api/admin/cameras",
            json={"id": camera_id, "site_id": site["id"], "image_retention_days": 7},
        ),
        201,
    )
    assert camera["image_retention_days"] == 7
    path = f"/api/admin/cameras/{camera_id}"
    refused = _field_error(
        admin.request("PATCH", path, json={"image_retention_days": 20, "location": "moved"}),
        "image_retention_days",
    )
    assert f"longer than site {site['name']!r} keeps images (14 days, its own setting)" in refused
    assert "enter at most 14" in refused
    cleared = _ok(admin.request("PATCH", path, json={"image_retention_days": None}))
    assert (cleared["image_retention_days"], cleared["location"]) == (None, "")
    listed = {c["id"]: c for c in _ok(admin.get("/api/admin/cameras"))}
    assert listed[camera_id]["image_retention_days"] is None
    events = _camera_events(world, camera_id)
    assert [action for _, action, _ in events] == [
        "camera.create",
        "camera.update",
        "camera.update",
    ]
    updates = [parse_detail("camera.update", detail) for _, _, detail in events[1:]]
    assert all(isinstance(u, CameraUpdateDetail) and u.token_id is not None for u in updates)
    assert [u.changes for u in updates if isinstance(u, CameraUpdateDetail)] == [
        (FieldChange(field="image_retention_days", before=None, after="7"),),
        (FieldChange(field="image_retention_days", before="7", after=None),),
    ]


def test_the_camera_page_sets_a_shorter_period_audited_and_refuses_a_longer_one(
    world: World, as_user: dict[str, Caller], client: Any
) -> None:
    admin = as_user["admin"]
    site = _ok(admin.post("/api/admin/sites", json={"name": _unique("Brook HOA")}), 201)
    camera_id = f"clinic-{next(_names)}"
    form = {
        "csrf_token": admin.headers["X-CSRF-Token"],
        "op": "add",
        "camera_id": camera_id,
        "site_id": str(site["id"]),
        "name": "Clinic lot",
        "image_retention_days": "31",
    }
    page = admin.post("/admin/cameras", data=form)
    assert page.status_code == 422
    assert "(30 days, the deployment default)" in page.text
    with world.session() as s:
        assert s.get(Camera, camera_id) is None
    page = admin.post("/admin/cameras", data={**form, "image_retention_days": ""})
    assert page.status_code == 200 and f"Camera {camera_id} added." in page.text
    edit = {**form, "op": "edit", "location": "Elm St", "image_retention_days": "5"}
    page = admin.post("/admin/cameras", data=edit)
    assert page.status_code == 200 and f"Camera {camera_id} saved." in page.text
    row = page.text.split(f'<tr data-camera="{camera_id}">', 1)[1].split("</tr>", 1)[0]
    assert "images 5 days" in row
    events = _camera_events(world, camera_id)
    assert [(actor, action) for actor, action, _ in events] == [
        ("admin", "camera.create"),
        ("admin", "camera.update"),
    ]
    update = parse_detail("camera.update", events[1][2])
    assert isinstance(update, CameraUpdateDetail)
    assert FieldChange(field="image_retention_days", before=None, after="5") in update.changes
    public = client.get("/public/transparency").text
    assert "Clinic lot (Elm St) (images kept 5 days)" in public


def test_retiring_an_agency_ends_its_users_and_webhooks_and_takes_no_new_ones(
    world: World, client: Any, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    agency = _ok(admin.post("/api/admin/agencies", json={"name": _unique("Harbor PD")}), 201)
    username = f"harbor-{next(_names)}"
    officer = {"username": username, "role": "officer", "agency_id": agency["id"]}
    _ok(admin.post("/api/users", json=officer), 201)
    token = _ok(admin.post(f"/api/users/{username}/tokens", json={"name": "cad"}), 201)["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    client.cookies.clear()
    assert client.get("/api/me", headers=bearer).status_code == 200
    hook = {"agency_id": agency["id"], "url": "https://cad.example.gov/harbor"}
    webhook = _ok(admin.post("/api/webhooks", json=hook), 201)["webhook"]

    retired = _ok(admin.post(f"/api/admin/agencies/{agency['id']}/retire"))
    assert retired["users_disabled"] == [username]
    assert retired["webhooks_disabled"] == [webhook["id"]]
    client.cookies.clear()
    assert client.get("/api/me", headers=bearer).status_code == 401
    with world.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None and user.disabled
        assert s.get(Webhook, webhook["id"]).enabled is False  # type: ignore[union-attr]

    again = admin.post("/api/users", json=officer | {"username": f"{username}-2"})
    assert again.status_code == 422
    assert f"agency {agency['name']!r} was retired on" in again.text
    assert "pick one in service" in again.text
    refused = admin.post("/api/webhooks", json=hook)
    assert refused.status_code == 422 and "it gets no webhooks" in refused.text
    with world.session() as s:
        assert s.scalar(select(User).where(User.username == f"{username}-2")) is None
        hooks = s.scalars(select(Webhook.id).where(Webhook.agency_id == agency["id"])).all()
        assert list(hooks) == [webhook["id"]]
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject.in_([username, str(webhook["id"])]))
            .order_by(AuditEvent.id)
        ).all()
    assert actions[-2:] == ["user.disable", "webhook.disable"]
