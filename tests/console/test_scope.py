"""Every route for every role, and the scope rules on both databases.

The matrix below must name every route the app serves: a new route without an entry fails
`test_every_route_is_in_the_matrix`, so nobody adds one without deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select

from console.routes import ROUTERS
from console.scope import agencies_seeing_alerts, alerts_of_agency
from store.tables import Agency, Alert
from tests.console.conftest import USERS, Caller, World

ROLES_OF = {name: role for name, (role, _, _) in USERS.items()}
ANY = frozenset({"officer", "hoa_admin", "auditor", "admin", "supervisor", "resident"})


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    # For allowed roles: the status of a harmless call (None: covered by feature tests).
    ok: int | None = 200


def _r(method: str, template: str, *roles: str, ok: int | None = 200, **kw: Any) -> Route:
    return Route(method, template, frozenset(roles) or ANY, ok=ok, **kw)


SEARCH = {
    "plate": "ABC*",
    "start": "2020-01-01T00:00:00Z",
    "end": "2020-01-02T00:00:00Z",
    "case_number": "2025-0001",
    "reason": "stolen vehicle investigation",
}
COMMUNITY_API = [
    _r("POST", "/api/community/requests", "officer", "supervisor", ok=None, body={}),
    _r("GET", "/api/community/requests", "officer", "supervisor", "admin"),
    _r("GET", "/api/community/requests/{request_id}", "officer", "supervisor", "admin", ok=None),
    _r(
        "GET",
        "/api/community/requests/{request_id}/export",
        "officer",
        "supervisor",
        "admin",
        ok=None,
    ),
    _r(
        "POST",
        "/api/community/requests/{request_id}/decision",
        "supervisor",
        "admin",
        ok=None,
        body={},
    ),
    _r("GET", "/api/community/files/{file_id}", "officer", "supervisor", "admin", ok=None),
    _r("GET", "/api/community/files/{file_id}/download", "officer", "supervisor", "admin", ok=None),
    _r("POST", "/api/community/alerts", "officer", "supervisor", ok=None, body={}),
    _r("GET", "/api/community/alerts", "officer", "supervisor"),
    _r("GET", "/api/community/portal/requests", "resident", ok=None),
    _r("POST", "/api/community/portal/requests/{request_id}/share", "resident", ok=None),
    _r("POST", "/api/community/portal/requests/{request_id}/decline", "resident", ok=None),
    _r("POST", "/api/community/portal/shares/{share_id}/withdraw", "resident", ok=None),
    _r("POST", "/api/community/portal/opt-out", "resident", ok=None),
    _r("GET", "/api/community/portal/alerts", "resident", ok=None),
]
COMMUNITY_PAGES = [
    _r("GET", "/community/requests", "officer", "supervisor", "admin"),
    _r("POST", "/community/requests", "officer", "supervisor", ok=None, form={}),
    _r("GET", "/community/requests/{request_id}", "officer", "supervisor", "admin", ok=None),
    _r(
        "POST", "/community/requests/{request_id}/decision", "supervisor", "admin", ok=None, form={}
    ),
    _r("GET", "/community/portal", "resident", ok=None),
    _r("POST", "/community/portal/requests/{request_id}/share", "resident", ok=None),
    _r("POST", "/community/portal/requests/{request_id}/decline", "resident", ok=None),
    _r("POST", "/community/portal/shares/{share_id}/withdraw", "resident", ok=None),
    _r("POST", "/community/portal/opt-out", "resident", ok=None),
]
# Sites that do not share: officers ask them on a request, their HOA admins answer.
LPR_GRANTS = [
    _r("GET", "/api/community/lpr-sites", "officer", "supervisor"),
    _r(
        "GET",
        "/api/community/requests/{request_id}/lpr-grants",
        "officer",
        "supervisor",
        "admin",
        ok=None,
    ),
    _r(
        "POST",
        "/api/community/requests/{request_id}/lpr-grants",
        "officer",
        "supervisor",
        ok=None,
        body={},
    ),
    _r("GET", "/api/sites/{site}/lpr-requests", "hoa_admin"),
    _r("POST", "/api/sites/{site}/lpr-requests/{grant_id}/decision", "hoa_admin", ok=None, body={}),
    _r("POST", "/api/sites/{site}/lpr-requests/{grant_id}/revoke", "hoa_admin", ok=None),
    _r("GET", "/lpr-requests", "hoa_admin"),
    _r("POST", "/lpr-requests/{grant_id}/decision", "hoa_admin", ok=None, form={}),
    _r("POST", "/lpr-requests/{grant_id}/revoke", "hoa_admin", ok=None),
    _r(
        "POST",
        "/community/requests/{request_id}/lpr-grants",
        "officer",
        "supervisor",
        ok=None,
        form={},
    ),
]
# Changes are covered by test_admin_org; here only the refusals (ok=None).
ADMIN_ORG = [
    _r("GET", "/api/admin/agencies", "admin"),
    _r("POST", "/api/admin/agencies", "admin", ok=None, body={}),
    _r("PATCH", "/api/admin/agencies/{agency}", "admin", ok=None, body={}),
    _r("POST", "/api/admin/agencies/{agency}/retire", "admin", ok=None),
    _r("GET", "/api/admin/sites", "admin"),
    _r("POST", "/api/admin/sites", "admin", ok=None, body={}),
    _r("PATCH", "/api/admin/sites/{site}", "admin", ok=None, body={}),
    _r("POST", "/api/admin/sites/{site}/retire", "admin", ok=None),
    _r("GET", "/api/admin/sites/{site}/sharing", "admin"),
    _r("POST", "/api/admin/sites/{site}/sharing", "admin", ok=None, body={}),
    _r("GET", "/api/admin/cameras", "admin"),
    _r("POST", "/api/admin/cameras", "admin", ok=None, body={}),
    _r("PATCH", "/api/admin/cameras/{camera}", "admin", ok=None, body={}),
    _r("POST", "/api/admin/cameras/{camera}/retire", "admin", ok=None),
    _r("GET", "/admin/agencies", "admin"),
    _r("POST", "/admin/agencies", "admin", ok=None, form={"op": "x"}),
    _r("GET", "/admin/sites", "admin"),
    _r("POST", "/admin/sites", "admin", ok=None, form={"op": "x"}),
    _r("GET", "/admin/cameras", "admin"),
    _r("POST", "/admin/cameras", "admin", ok=None, form={"op": "x"}),
]
ADMIN_LISTS = [
    _r("GET", "/api/admin/hotlists", "admin"),
    _r("POST", "/api/admin/hotlists", "admin", ok=None, body={}),
    _r("GET", "/api/admin/hotlists/{hotlist}", "admin"),
    _r("PATCH", "/api/admin/hotlists/{hotlist}", "admin", ok=None, body={}),
    _r("POST", "/api/admin/hotlists/{hotlist}/import", "admin", ok=None),
    _r("POST", "/api/admin/hotlists/{hotlist}/refresh", "admin", ok=None),
    _r("POST", "/api/admin/hotlists/{hotlist}/expire", "admin", ok=None),
    _r("GET", "/api/admin/hotlists/{hotlist}/export.csv", "admin"),
    _r("GET", "/api/admin/holds", "admin"),
    _r("POST", "/api/admin/holds", "admin", ok=None, body={}),
    _r("POST", "/api/admin/holds/{hold}/release", "admin", ok=None, body={}),
    _r("GET", "/admin/hotlists", "admin"),
    _r("POST", "/admin/hotlists", "admin", ok=None, form={}),
    _r("POST", "/admin/hotlists/{hotlist}/edit", "admin", ok=None, form={}),
    _r("POST", "/admin/hotlists/{hotlist}/import", "admin", ok=None, form={}),
    _r("POST", "/admin/hotlists/{hotlist}/expire", "admin", ok=None, form={}),
    _r("GET", "/admin/hotlists/{hotlist}/export.csv", "admin"),
    _r("GET", "/admin/holds", "admin"),
    _r("POST", "/admin/holds", "admin", ok=None, form={}),
    _r("POST", "/admin/holds/{hold}/release", "admin", ok=None, form={}),
]
MATRIX = [
    _r("GET", "/api/me"),
    _r("GET", "/api/alerts", "officer"),
    _r("GET", "/api/alerts/stream", "officer", ok=None),
    _r("GET", "/api/alerts/{alert}", "officer"),
    _r(
        "POST",
        "/api/alerts/{alert}/disposition",
        "officer",
        ok=None,
        body={"choice": "acknowledge"},
    ),
    _r("POST", "/api/reads/search", "officer", body=SEARCH),
    _r("GET", "/api/reads/{read}/{kind}", "officer", "hoa_admin"),
    _r("GET", "/api/sites/{site}/cameras", "hoa_admin"),
    _r("GET", "/api/sites/{site}/reads", "hoa_admin"),
    _r("GET", "/api/sites/{site}/safelist", "hoa_admin"),
    _r("POST", "/api/sites/{site}/safelist", "hoa_admin", ok=None, body={"plate": "MTX1"}),
    _r("PATCH", "/api/sites/{site}/safelist/{entry}", "hoa_admin", ok=None, body={}),
    _r("DELETE", "/api/sites/{site}/safelist/{entry}", "hoa_admin", ok=None),
    _r("POST", "/api/sites/{site}/safelist/{entry}/expire", "hoa_admin", ok=None),
    _r("POST", "/api/sites/{site}/safelist/import", "hoa_admin", ok=None),
    _r("GET", "/api/sites/{site}/safelist/export.csv", "hoa_admin"),
    _r("GET", "/api/import-jobs/{job}", ok=None),  # anyone's own jobs: test_imports
    _r("GET", "/api/audit", "auditor"),
    _r("GET", "/api/audit/export.csv", "auditor"),
    _r("GET", "/api/audit/searches", "auditor"),
    _r("GET", "/api/audit/dispositions", "auditor"),
    _r("GET", "/api/retention/receipts", "auditor"),
    _r("GET", "/api/transparency", "auditor"),
    _r("GET", "/api/users", "admin"),
    _r("POST", "/api/users", "admin", ok=None, body={"username": "x", "role": "auditor"}),
    _r("POST", "/api/users/{username}/disable", "admin", ok=None),
    _r("POST", "/api/users/{username}/tokens", "admin", ok=None, body={"name": "x"}),
    _r("POST", "/api/users/{username}/password-reset", "admin", ok=None),
    _r("POST", "/api/tokens/{token_id}/revoke", "admin", ok=None),
    _r("GET", "/api/push/key", "officer"),
    _r("POST", "/api/push/subscriptions", "officer", ok=None, body={}),
    _r("DELETE", "/api/push/subscriptions", "officer", ok=None, body={"endpoint": "https://x/y"}),
    _r("GET", "/api/audit/flags", "auditor"),
    _r("GET", "/audit/flags", "auditor"),
    _r("GET", "/api/webhooks", "admin"),
    _r("POST", "/api/webhooks", "admin", ok=None, body={"agency_id": 1, "url": "http://x/y"}),
    _r("POST", "/api/webhooks/{webhook}/enabled", "admin", ok=None),
    _r("GET", "/api/webhooks/{webhook}/deliveries", "admin"),
    *COMMUNITY_API,
    # pages
    _r("GET", "/", ok=303),
    _r("GET", "/account/password"),
    _r("POST", "/account/password", ok=None),
    _r("POST", "/logout", ok=None),
    _r("GET", "/alerts", "officer"),
    _r("GET", "/search", "officer"),
    _r("POST", "/search", "officer", ok=None, form={"plate": "A"}),
    _r("GET", "/reads", "hoa_admin"),
    _r("GET", "/safelist", "hoa_admin"),
    _r("POST", "/safelist/add", "hoa_admin", ok=None, form={"plate": "MTX2"}),
    _r("POST", "/safelist/{entry}/edit", "hoa_admin", ok=None, form={}),
    _r("POST", "/safelist/{entry}/expire", "hoa_admin", ok=None, form={}),
    _r("POST", "/safelist/{entry}/remove", "hoa_admin", ok=None, form={}),
    _r("POST", "/safelist/import", "hoa_admin", ok=None, form={}),
    _r("GET", "/safelist/export.csv", "hoa_admin"),
    _r("GET", "/imports/{job}", ok=None),
    _r("GET", "/audit", "auditor"),
    _r("GET", "/audit/searches", "auditor"),
    _r("GET", "/audit/dispositions", "auditor"),
    _r("GET", "/audit/retention", "auditor"),
    _r("GET", "/transparency", "auditor"),
    _r("GET", "/admin/users", "admin"),
    _r("POST", "/admin/users", "admin", ok=None, form={"op": "x", "username": "x"}),
    _r("GET", "/admin/webhooks", "admin"),
    _r("POST", "/admin/webhooks", "admin", ok=None, form={"op": "x"}),
    # community: residents' own cameras and profile, invites for HOA admins and admins
    _r("GET", "/api/community/cameras", "resident"),
    _r("GET", "/api/community/cameras/{camera}", "resident"),
    _r("GET", "/community/cameras", "resident"),
    _r("POST", "/community/cameras", "resident", ok=None, form={}),
    _r("POST", "/community/cameras/{camera}/edit", "resident", ok=None, form={}),
    _r("POST", "/community/cameras/{camera}/pause", "resident", ok=None),
    _r("POST", "/community/cameras/{camera}/resume", "resident", ok=None),
    _r("POST", "/community/cameras/{camera}/remove", "resident", ok=None),
    _r("GET", "/community/profile", "resident"),
    _r("POST", "/community/profile/opt-out", "resident", ok=None),
    _r("GET", "/community/invites", "hoa_admin", "admin"),
    _r("POST", "/community/invites", "hoa_admin", "admin", ok=None, form={}),
    _r("POST", "/community/invites/{invite}/revoke", "hoa_admin", "admin", ok=None),
    *COMMUNITY_PAGES,
    *LPR_GRANTS,
    *ADMIN_ORG,
    *ADMIN_LISTS,
    # camera health: admins all cameras, agency users their shared sites', HOA admins their own
    _r("GET", "/api/cameras/health", "admin", "officer", "supervisor", "hoa_admin"),
    _r("GET", "/api/ops-alerts", "admin", "officer", "supervisor", "hoa_admin"),
    _r(
        "POST",
        "/api/ops-alerts/{ops_alert}/acknowledge",
        "admin",
        "officer",
        "supervisor",
        "hoa_admin",
        ok=None,
    ),
    _r("GET", "/cameras/health", "admin", "officer", "supervisor", "hoa_admin"),
    # the map (tests/console/test_map.py)
    _r("GET", "/map", "officer", "supervisor", "admin"),
    _r("GET", "/api/map/layers", "officer", "supervisor", "admin"),
    _r("POST", "/api/map/sightings", "officer", body=SEARCH),
    _r("POST", "/api/map/sightings/{audit_id}", "officer", ok=None),
]
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/public/transparency"),
    ("GET", "/join"),
    ("POST", "/join"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),  # its own bearer token: test_ops
    ("GET", "/media/{read_id}/{kind}"),  # its own signature: test_media_links
}


def _path(route: Route, world: World, user: str) -> str:
    """The route's path as `user` would call it: their own site, an alert of their agency."""
    own_site = world.ids["pine"] if user == "hoa_pine" else world.ids["oak"]
    alert = world.ids["alert_pine"] if user == "officer_b" else world.ids["alert_oak"]
    return route.template.format(
        alert=alert,
        read="r-oak-1",
        kind="crop",
        site=own_site,
        entry=1,
        username="nobody",
        webhook=1,
        token_id=999999,
        job=999999,
        camera=world.ids["camera_resident_b" if user == "resident_b" else "camera_resident_a"],
        invite=999999,
        request_id=999999,
        file_id=999999,
        share_id=999999,
        grant_id=999999,
        agency=999999,
        hotlist=1,
        hold=999999,
        ops_alert=999999,
        audit_id=999999,
    )


def _call(caller: Caller, route: Route, path: str) -> Any:
    kwargs: dict[str, Any] = {}
    if route.body is not None:
        kwargs["json"] = route.body
    if route.form is not None:
        kwargs["data"] = route.form
    return caller.request(route.method, path, **kwargs)


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = [r for router in ROUTERS for r in router.routes] + list(app.routes)
    served = {
        (method, route.path)
        for route in routes
        if isinstance(route, APIRoute) and not route.path.startswith(("/docs", "/redoc"))
        for method in route.methods or ()
    }
    assert len(served) > 50
    names = {
        "{alert}": "{alert_id}",
        "{read}": "{read_id}",
        "{site}": "{site_id}",
        "{entry}": "{entry_id}",
        "{webhook}": "{webhook_id}",
        "{job}": "{job_id}",
        "{camera}": "{camera_id}",
        "{invite}": "{invite_id}",
        "{agency}": "{agency_id}",
        "{hotlist}": "{hotlist_id}",
        "{hold}": "{hold_id}",
        "{ops_alert}": "{alert_id}",
    }
    covered = set(PUBLIC)
    for route in MATRIX:
        path = route.template
        for short, full in names.items():
            path = path.replace(short, full)
        covered.add((route.method, path))
    assert served - covered == set()
    assert covered - served == set()


@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r.method} {r.template}")
def test_roles_outside_the_route_are_refused(
    route: Route, world: World, as_user: dict[str, Caller], by_token: dict[str, Caller]
) -> None:
    for user, role in ROLES_OF.items():
        if role in route.allowed or user == "hoa_pine":
            continue
        callers = [as_user[user]] + ([by_token[user]] if route.template.startswith("/api/") else [])
        for caller in callers:
            response = _call(caller, route, _path(route, world, user))
            assert response.status_code == 403, (user, response.status_code, response.text)


@pytest.mark.parametrize(
    "route", [r for r in MATRIX if r.ok is not None], ids=lambda r: f"{r.method} {r.template}"
)
def test_roles_of_the_route_are_served(
    route: Route, world: World, as_user: dict[str, Caller]
) -> None:
    for user, role in ROLES_OF.items():
        if role not in route.allowed:
            continue
        response = _call(as_user[user], route, _path(route, world, user))
        if route.template == "/api/reads/{read}/{kind}" and user == "hoa_pine":
            assert response.status_code == 404  # another site's read: not in scope
            continue
        if route.template == "/api/reads/{read}/{kind}" and role not in ("officer", "hoa_admin"):
            continue
        expected = route.ok
        if route.template == "/api/reads/{read}/{kind}" and user == "officer_b":
            expected = 404  # Oak Ridge does not share with County SO
        assert response.status_code == expected, (user, response.status_code, response.text)


def test_anonymous_callers_are_sent_to_sign_in(client: Any, world: World) -> None:
    client.cookies.clear()
    for route in MATRIX:
        path = _path(route, world, "officer_a")
        response = client.request(route.method, path, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
        else:
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login")


# --- officers: jurisdiction -----------------------------------------------------------------


def test_officers_see_only_alerts_their_sites_share(
    world: World, by_token: dict[str, Caller]
) -> None:
    ids = world.ids
    seen_a = {a["id"] for a in by_token["officer_a"].get("/api/alerts").json()}
    seen_b = {a["id"] for a in by_token["officer_b"].get("/api/alerts").json()}
    assert ids["alert_oak"] in seen_a
    assert ids["alert_pine"] in seen_b
    # Elm Court's sharing is switched off; County's own list is not Metro's business, and
    # Oak Ridge does not share with County at all.
    for hidden in ("alert_pine", "alert_elm", "alert_oak_county_list"):
        assert ids[hidden] not in seen_a
    for hidden in ("alert_oak", "alert_elm", "alert_oak_county_list"):
        assert ids[hidden] not in seen_b


def test_officer_outside_the_jurisdiction_gets_not_found(
    world: World, by_token: dict[str, Caller]
) -> None:
    alert_id = world.ids["alert_pine"]
    officer = by_token["officer_a"]
    assert officer.get(f"/api/alerts/{alert_id}").status_code == 404
    refused = officer.post(f"/api/alerts/{alert_id}/disposition", json={"choice": "dismiss"})
    assert refused.status_code == 404
    assert "jurisdiction" in refused.json()["detail"]
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.status == "new" and alert.status_by is None


def test_feed_routing_agrees_with_the_alert_query(world: World) -> None:
    """The live feed decides per alert who gets it; it must match what the list query shows."""
    with world.session() as s:
        agencies = s.scalars(select(Agency.id)).all()
        alerts = s.scalars(select(Alert)).all()
        routed = agencies_seeing_alerts(s, [alert.id for alert in alerts])
        for alert in alerts:
            by_query = {
                a
                for a in agencies
                if s.scalar(select(Alert.id).where(Alert.id == alert.id, alerts_of_agency(a)))
            }
            assert routed[alert.id] == by_query, alert.id


def test_images_follow_the_read_scope(world: World, by_token: dict[str, Caller]) -> None:
    officer_a, hoa_oak = by_token["officer_a"], by_token["hoa_oak"]
    crop = officer_a.get("/api/reads/r-oak-1/crop")
    assert crop.status_code == 200 and crop.content.startswith(b"\xff\xd8")
    assert crop.headers["cache-control"] == "private, no-store"
    assert officer_a.get("/api/reads/r-oak-1/frame").content.endswith(b"frame-r-oak-1")
    assert officer_a.get("/api/reads/r-pine-1/crop").status_code == 404
    # A resident's read is never an officer's to browse; the site's admin may see it.
    assert officer_a.get("/api/reads/r-oak-res/crop").status_code == 404
    assert hoa_oak.get("/api/reads/r-oak-res/crop").status_code == 200
    assert by_token["hoa_pine"].get("/api/reads/r-oak-1/crop").status_code == 404
    assert officer_a.get("/api/reads/no-such-read/crop").status_code == 404
    assert officer_a.get("/api/reads/r-oak-1/other").status_code == 422


# --- HOA admins: own site only --------------------------------------------------------------


def test_hoa_admin_cannot_read_or_change_another_sites_list(
    world: World, by_token: dict[str, Caller]
) -> None:
    pine, oak = world.ids["pine"], world.ids["oak"]
    oak_admin, pine_admin = by_token["hoa_oak"], by_token["hoa_pine"]
    created = pine_admin.post(f"/api/sites/{pine}/safelist", json={"plate": "PINE42"})
    assert created.status_code == 201
    entry = created.json()["id"]
    for method, path, body in [
        ("GET", f"/api/sites/{pine}/safelist", None),
        ("POST", f"/api/sites/{pine}/safelist", {"plate": "EVIL1"}),
        ("DELETE", f"/api/sites/{pine}/safelist/{entry}", None),
        ("GET", f"/api/sites/{pine}/safelist/export.csv", None),
        ("GET", f"/api/sites/{pine}/reads", None),
        ("GET", f"/api/sites/{pine}/cameras", None),
    ]:
        response = oak_admin.request(method, path, json=body)
        assert response.status_code == 403, (method, path)
        assert f"site {pine} is not yours" in response.json()["detail"]
    # Through the own site's path, another site's entry id is simply not there.
    assert oak_admin.request("DELETE", f"/api/sites/{oak}/safelist/{entry}").status_code == 404
    plates = {e["plate"] for e in pine_admin.get(f"/api/sites/{pine}/safelist").json()}
    assert "PINE42" in plates and "EVIL1" not in plates


def test_hoa_admin_sees_own_reads_with_resident_tags(
    world: World, by_token: dict[str, Caller]
) -> None:
    reads = by_token["hoa_oak"].get(f"/api/sites/{world.ids['oak']}/reads").json()
    by_id = {r["read_id"]: r for r in reads}
    assert by_id["r-oak-res"]["resident"] is True
    assert by_id["r-oak-1"]["resident"] is False
    assert not {"r-pine-1", "r-elm-1"} & set(by_id)
    cameras = by_token["hoa_oak"].get(f"/api/sites/{world.ids['oak']}/cameras").json()
    assert {"cam-oak-1", "cam-oak-2"} <= {c["id"] for c in cameras}
    assert {c["site_id"] for c in cameras} == {world.ids["oak"]}
