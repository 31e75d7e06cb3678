"""Searching past reads: case number and reason required, audited, scoped, residents hidden."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from console.search import SearchError, pattern_matches, plate_pattern
from store.tables import AuditEvent
from tests.console.conftest import Caller, World


def _query(**over: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "plate": "ABC*",
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(minutes=1)).isoformat(),
        "case_number": "2025-004211",
        "reason": "burglary on Oak Dr, suspect vehicle seen leaving",
    }
    body.update(over)
    return body


def _searches(world: World) -> int:
    with world.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "reads.search")
            )
            or 0
        )


def test_search_finds_scoped_reads_and_writes_the_audit_entry(
    world: World, by_token: dict[str, Caller]
) -> None:
    response = by_token["officer_a"].post("/api/reads/search", json=_query())
    assert response.status_code == 200, response.text
    result = response.json()
    plates = {r["read_id"]: r["plate"] for r in result["reads"]}
    # Oak Ridge shares with Metro; Pine Hills and (switched-off) Elm Court do not.
    assert {"r-oak-1", "r-oak-plain"} <= set(plates)
    assert not {"r-pine-1", "r-elm-1"} & set(plates)
    with world.session() as s:
        event = s.get(AuditEvent, result["audit_id"])
    assert event is not None
    assert (event.actor, event.action, event.subject) == ("officer_a", "reads.search", "ABC*")
    assert event.case_number == "2025-004211"
    assert event.purpose == "burglary on Oak Dr, suspect vehicle seen leaving"
    assert (
        event.detail["results"] == result["count"]
        and event.detail["agency_id"] == (world.ids["metro"])
    )


def test_resident_reads_never_come_out_of_a_search(
    world: World, by_token: dict[str, Caller]
) -> None:
    response = by_token["officer_a"].post("/api/reads/search", json=_query(plate="RES111"))
    assert response.status_code == 200
    assert response.json()["reads"] == []
    wildcard = by_token["officer_a"].post("/api/reads/search", json=_query(plate="*111"))
    assert "r-oak-res" not in {r["read_id"] for r in wildcard.json()["reads"]}


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"case_number": ""}, "a case number is required for every search"),
        ({"case_number": "!"}, "the case number must be 3-64 letters"),
        ({"reason": "because"}, "state the reason for the search in at least 10 characters"),
    ],
)
def test_a_search_without_case_number_or_reason_is_refused_and_not_run(
    world: World, by_token: dict[str, Caller], over: dict[str, str], message: str
) -> None:
    before = _searches(world)
    response = by_token["officer_a"].post("/api/reads/search", json=_query(**over))
    assert response.status_code == 422
    assert message in str(response.json()["detail"])
    assert _searches(world) == before


def test_missing_case_number_field_is_refused(world: World, by_token: dict[str, Caller]) -> None:
    body = _query()
    del body["case_number"]
    response = by_token["officer_a"].post("/api/reads/search", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "case_number"]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"plate": "A*"}, "give at least 3 besides wildcards"),
        ({"plate": "AB%1"}, "may hold only letters, digits"),
        ({"end": "2020-01-01T00:00:00Z"}, "end: the end of the time range must be after"),
        (
            {"start": "2019-01-01T00:00:00Z", "end": "2019-06-01T00:00:00Z"},
            "may span at most 31 days",
        ),
    ],
)
def test_overbroad_or_malformed_searches_are_refused(
    world: World, by_token: dict[str, Caller], over: dict[str, str], message: str
) -> None:
    before = _searches(world)
    response = by_token["officer_a"].post("/api/reads/search", json=_query(**over))
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert _searches(world) == before


def test_area_outside_the_jurisdiction_is_refused(
    world: World, by_token: dict[str, Caller]
) -> None:
    response = by_token["officer_a"].post(
        "/api/reads/search", json=_query(camera_ids=["cam-oak-1", "cam-pine-1"])
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "camera_ids: cam-pine-1 not shared with your agency"
    own = by_token["officer_a"].post("/api/reads/search", json=_query(camera_ids=["cam-oak-2"]))
    assert {r["camera_id"] for r in own.json()["reads"]} == {"cam-oak-2"}
    sites = by_token["officer_a"].post(
        "/api/reads/search", json=_query(site_ids=[world.ids["elm"]])
    )
    assert sites.status_code == 403


def test_wildcards() -> None:
    assert plate_pattern("abc-1?3", min_chars=3) == "ABC1?3"
    assert plate_pattern("**AB*1", min_chars=3) == "*AB*1"
    with pytest.raises(SearchError, match="fixes 2 characters"):
        plate_pattern("A?B*", min_chars=3)
    assert pattern_matches("ABC*", "ABC123") and pattern_matches("A?C123", "ABC123")
    assert not pattern_matches("ABC?", "ABC123")


def test_search_page_runs_a_search_and_shows_errors(
    world: World, as_user: dict[str, Caller]
) -> None:
    officer = as_user["officer_a"]
    page = officer.get("/search")
    assert page.status_code == 200 and "Oak gate north" in page.text
    assert "Pine entrance" not in page.text  # areas offered are the shared ones only
    now = datetime.now(UTC)
    form = {
        "plate": "abc*",
        "start": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "tz_offset": "0",
        "case_number": "",
        "reason": "x",
    }
    refused = officer.post("/search", data=form)
    assert refused.status_code == 422
    assert "a case number is required for every search" in refused.text
    ok = officer.post("/search", data={**form, "case_number": "CR-7", "reason": "armed robbery"})
    assert ok.status_code == 200
    assert re.search(r"\d+ reads? matching", ok.text) and "ABC123" in ok.text
