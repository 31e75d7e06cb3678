"""Auditors: the audit log (filters, CSV, chain), searches by user and plate, dispositions,
retention receipts and the monthly transparency summary."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from console.accounts.users import create_user
from org.registry import create_camera
from retention.purge import run_purge
from retention.settings import RetentionSettings
from store.audit import record_audit
from store.tables import HotlistEntry, PlateReadRow
from tests.console.conftest import Caller, World, settings_for, token_headers
from tests.console.test_search import _query
from tests.store.formula_cells import FORMULA_CELLS


def test_audit_log_filters_and_pages(world: World, by_token: dict[str, Caller]) -> None:
    by_token["officer_a"].post("/api/reads/search", json=_query(case_number="AUD-1"))
    auditor = by_token["auditor"]
    page = auditor.get("/api/audit", params={"actor": "officer_a", "action": "reads"}).json()
    assert page["events"] and {e["action"] for e in page["events"]} == {"reads.search"}
    assert {e["actor"] for e in page["events"]} == {"officer_a"}
    by_case = auditor.get("/api/audit", params={"case_number": "AUD-1"}).json()["events"]
    assert [e["case_number"] for e in by_case] == ["AUD-1"]
    first = auditor.get("/api/audit", params={"limit": 2}).json()
    assert len(first["events"]) == 2 and first["next_before_id"] == first["events"][-1]["id"]
    older = auditor.get("/api/audit", params={"limit": 2, "before_id": first["next_before_id"]})
    assert all(e["id"] < first["next_before_id"] for e in older.json()["events"])
    assert auditor.get("/api/audit", params={"verify": "true"}).json()["chain_intact"] is True


def test_audit_csv_export_matches_the_filter(world: World, by_token: dict[str, Caller]) -> None:
    auditor = by_token["auditor"]
    exported = auditor.get("/api/audit/export.csv", params={"action": "reads.search"})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    api = auditor.get("/api/audit", params={"action": "reads.search", "limit": 1000}).json()
    assert [int(r["id"]) for r in rows] == sorted(e["id"] for e in api["events"])
    assert all(r["action"] == "reads.search" and len(r["hash"]) == 64 for r in rows)
    assert rows[0].keys() >= {"actor", "case_number", "purpose", "detail", "prev_hash"}


def test_agency_auditor_sees_only_that_agencys_users(world: World, client: TestClient) -> None:
    with world.session() as s:
        create_user(
            s,
            actor="test",
            username="county_auditor",
            role="auditor",
            agency_id=world.ids["county"],
            password="county auditor pw",
        )
        s.commit()
    auditor = Caller(client, token_headers(world, "county_auditor"))
    Caller(client, token_headers(world, "officer_a")).post("/api/reads/search", json=_query())
    actors = {
        e["actor"] for e in auditor.get("/api/audit", params={"limit": 1000}).json()["events"]
    }
    assert "officer_a" not in actors
    alerts = {d["alert_id"] for d in auditor.get("/api/audit/dispositions").json()}
    assert world.ids["alert_oak"] not in alerts


def test_searches_by_user_and_by_plate(world: World, by_token: dict[str, Caller]) -> None:
    by_token["officer_a"].post(
        "/api/reads/search", json=_query(plate="QQ?77*", case_number="PL-2025-77")
    )
    auditor = by_token["auditor"]
    covering = auditor.get("/api/audit/searches", params={"plate": "QQ1777"}).json()
    assert "PL-2025-77" in {s["case_number"] for s in covering}
    other = auditor.get("/api/audit/searches", params={"plate": "QZ1777"}).json()
    assert "PL-2025-77" not in {s["case_number"] for s in other}
    mine = auditor.get("/api/audit/searches", params={"user": "officer_a"}).json()
    assert mine and {s["actor"] for s in mine} == {"officer_a"}
    assert auditor.get("/audit/searches", params={"plate": "QQ1777"}).text.count("PL-2025-77") == 1


def test_dispositions_list(world: World, by_token: dict[str, Caller]) -> None:
    alert_id = world.new_alert()
    by_token["officer_a"].post(
        f"/api/alerts/{alert_id}/disposition",
        json={"choice": "vehicle_mismatch", "note": "BMW, not a Ford"},
    )
    rows = (
        by_token["auditor"]
        .get("/api/audit/dispositions", params={"user": "officer_a", "status": "rejected"})
        .json()
    )
    row = next(r for r in rows if r["alert_id"] == alert_id)
    assert row["status_reason"] == "vehicle_mismatch" and row["status_note"] == "BMW, not a Ford"
    page = by_token["auditor"].get("/audit/dispositions")
    assert "BMW, not a Ford" in page.text and "vehicle mismatch" in page.text


def test_transparency_counts_each_kind_of_event(world: World, by_token: dict[str, Caller]) -> None:
    month = f"{datetime.now(UTC):%Y-%m}"
    auditor = by_token["auditor"]

    def summary() -> dict[str, dict[str, int]]:
        rows = auditor.get("/api/transparency", params={"month": month}).json()
        return {r["agency"]: r for r in rows}

    before = summary()
    with world.session() as s:
        create_camera(
            s,
            f"cam-oak-t{len(before)}-{datetime.now(UTC):%H%M%S%f}",
            site=world.ids["oak"],
            name="Oak side gate",
        )
        # An old read at Oak Ridge, due for purge now, and a fresh alert confirmed.
        world.ingest(
            s,
            f"r-old-{datetime.now(UTC):%H%M%S%f}",
            "cam-oak-2",
            "OLD001",
            minutes_ago=60 * 24 * 40,
            images=True,
        )
        s.commit()
    alert_id = world.new_alert()
    by_token["officer_a"].post(
        f"/api/alerts/{alert_id}/disposition", json={"choice": "correct_read"}
    )
    by_token["officer_a"].post("/api/reads/search", json=_query())
    result = run_purge(world.engine, RetentionSettings(), world.image_root)
    assert result.receipt.read_count >= 1
    after = summary()
    metro = {
        k: after["Metro PD"][k] - before["Metro PD"][k]
        for k in ("cameras", "reads", "hits", "confirmed_hits", "searches", "reads_purged")
    }
    assert metro == {
        "cameras": 1,
        "reads": 1,
        "hits": 1,
        "confirmed_hits": 1,
        "searches": 1,
        "reads_purged": 1,
    }
    assert after["County SO"] == before["County SO"]
    receipts = auditor.get("/api/retention/receipts").json()
    assert receipts[0]["id"] == result.receipt.id and receipts[0]["read_count"] >= 1
    page = auditor.get("/audit/retention")
    assert "All receipts verified" in page.text


def test_transparency_month_is_validated(by_token: dict[str, Caller]) -> None:
    response = by_token["auditor"].get("/api/transparency", params={"month": "2025-13"})
    assert response.status_code == 422
    assert response.json()["detail"] == "month '2025-13' must be YYYY-MM, e.g. 2025-03"


def test_public_transparency_can_be_switched_off(world: World) -> None:
    from fastapi.testclient import TestClient

    from console.app import create_app

    settings = settings_for(world.url, world.image_root, public_transparency=False)
    with TestClient(create_app(settings, webhooks=False)) as anonymous:
        response = anonymous.get("/public/transparency")
    assert response.status_code == 404
    assert "does not publish" in response.text


def test_public_transparency_states_the_policy_and_cameras_without_plates(
    world: World, client: TestClient
) -> None:
    client.cookies.clear()
    page = client.get("/public/transparency")
    assert page.status_code == 200, "published by default"
    text = page.text
    assert "deleted 30 days after capture" in text and "after 24 hours" in text
    rows = {
        row.split("</td>", 1)[0]: row
        for row in text.split("<tr><td>")[1:]
        if "HOA" in row.split("</td>", 1)[0] or "Court" in row.split("</td>", 1)[0]
    }
    assert "Metro PD" in rows["Oak Ridge HOA"]
    assert "Oak gate north (Oak Dr, inbound)" in rows["Oak Ridge HOA"]
    assert "Oak gate south" in rows["Oak Ridge HOA"]
    assert "County SO" in rows["Pine Hills HOA"] and "Pine entrance" in rows["Pine Hills HOA"]
    assert "no agency" in rows["Elm Court"], "a disabled share is not shown as sharing"
    with world.session() as s:
        plates = set(s.scalars(select(PlateReadRow.plate))) | set(
            s.scalars(select(HotlistEntry.plate))
        )
    assert plates, "the world has reads and hotlist entries to leak"
    leaked = sorted(p for p in plates if p and p in text)
    assert leaked == [], f"plates on the public page: {leaked}"


def test_audit_page_shows_the_chain_state(
    by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    page = as_user["auditor"].get(
        "/audit",
        params={
            "action": "reads.search",
            "since": f"{datetime.now(UTC) - timedelta(days=1):%Y-%m-%d}",
        },
    )
    assert page.status_code == 200
    assert "Hash chain verified" in page.text and "reads.search" in page.text
    bad = as_user["auditor"].get("/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "is not a date" in bad.text


def test_audit_csv_neutralises_formula_cells(world: World, by_token: dict[str, Caller]) -> None:
    from store.audit_details import WebhookDisableDetail

    formulas = FORMULA_CELLS
    with world.session() as s:
        for text in formulas:
            record_audit(
                s,
                actor=text,
                subject=text,
                case_number=text,
                purpose=text,
                detail=WebhookDisableDetail(),
            )
        s.commit()
    # And a real search whose reason an officer started with a formula character.
    reason = "@SUM(A1) stolen vehicle report 24-1183, suspect car"
    searched = by_token["officer_a"].post("/api/reads/search", json=_query(reason=reason))
    assert searched.status_code == 200, searched.text
    auditor = by_token["auditor"]
    exported = auditor.get("/api/audit/export.csv", params={"action": "webhook.disable"})
    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    assert len(rows) == len(formulas)
    for row, text in zip(rows, formulas, strict=True):
        for field in ("actor", "subject", "case_number", "purpose"):
            assert row[field] == "'" + text, (field, row[field])
    searches = auditor.get("/api/audit/export.csv", params={"action": "reads.search"})
    purposes = [r["purpose"] for r in csv.DictReader(io.StringIO(searches.text, newline=""))]
    assert "'" + reason in purposes and reason not in purposes


def test_public_transparency_publishes_the_signed_heads(world: World, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from console.app import create_app
    from platewatch.settings import load_settings
    from store.checkpoint_verify import verify_checkpoints
    from store.checkpoints import publish_checkpoints

    settings = load_settings(
        database_url=world.url,
        data_dir=tmp_path,
        edge={"image_root": str(world.image_root)},
        console={"public_transparency": True},
    )
    written = publish_checkpoints(world.engine, settings.checkpoint_paths())
    with world.session() as s:
        assert verify_checkpoints(s, "audit", settings.checkpoint_paths()) == []
    with TestClient(create_app(settings, webhooks=False)) as client:
        page = client.get("/public/transparency")
    assert page.status_code == 200
    assert "<title>Transparency · platewatch</title>" in page.text
    from store.signing import load_key

    public = load_key(settings.checkpoint_paths().key).verifier.public_b64
    assert page.text.count(public) == 1  # once, in the page body, not also in the title
    from markupsafe import escape

    for cp in written:
        assert cp.signature in page.text and cp.head_hash in page.text
        # The reads digests are part of what a receipts checkpoint signs.
        assert cp.reads is None or str(escape(cp.reads)) in page.text
    assert any(cp.reads for cp in written)
