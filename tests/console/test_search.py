"""Searching past reads: case number and reason required, audited, scoped, residents hidden."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from console.app import create_app
from console.search import SearchError, pattern_matches, plate_pattern
from console.search_rules import agency_slug
from console.settings import ConsoleSettings
from store.tables import AuditEvent
from tests.console.conftest import Caller, World, settings_for, token_headers


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
        ({"case_number": "!"}, "case number '!' has no digits"),
        ({"case_number": "24 118 !"}, "is not in the form Metro PD's case numbers take"),
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


PLACEHOLDER_CASES = [
    ("n/a", "case number 'n/a' is a placeholder, not a case number"),
    ("none", "case number 'none' is a placeholder"),
    ("TEST", "case number 'TEST' is a placeholder"),
    ("test-1", "case number 'test-1' is a placeholder"),
    ("xxx", "case number 'xxx' is a placeholder"),
    ("0000", "case number '0000' is one character repeated"),
    ("CR-0000", "case number 'CR-0000' has only zeros for digits"),
    ("1234", "case number '1234' is a run of digits"),
    ("ABCD-EFG", "case number 'ABCD-EFG' has no digits"),
]
PLACEHOLDER_REASONS = [
    ("aaaaaaaaaa", "(it is one character repeated)"),
    ("asdf", "(it is filler, not a reason)"),
    ("test", "(it is filler, not a reason)"),
    ("n/a", "(it is filler, not a reason)"),
    ("xxx", "(it is one character repeated)"),
    ("...", "(it has no words, only digits and punctuation)"),
    ("1234567890", "(it has no words, only digits and punctuation)"),
    ("lorem ipsum dolor", "(it is filler, not a reason)"),
    ("asdfasdf stolen car", "('asdfasdf' repeats 'asdf')"),
    ("qwerty stolen car", "('qwerty' is a run of keys, not a word)"),
    ("sdfghk stolen car", "('sdfghk' has no vowels)"),
    ("ab ab ab ab ab", "uses fewer than 3 different letters"),
    ("burglary!!!!!", "needs at least two real words"),
]
HINT = "say why you need this search, e.g. 'stolen vehicle report 24-1183, suspect car'"


@pytest.mark.parametrize(("case_number", "message"), PLACEHOLDER_CASES)
def test_placeholder_case_numbers_are_refused_and_not_audited(
    world: World, by_token: dict[str, Caller], case_number: str, message: str
) -> None:
    before = _searches(world)
    response = by_token["officer_a"].post("/api/reads/search", json=_query(case_number=case_number))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "case_number"]
    assert message in error["msg"] and "e.g. 2025-004211" in error["msg"]
    assert _searches(world) == before


@pytest.mark.parametrize(("reason", "message"), PLACEHOLDER_REASONS)
def test_placeholder_reasons_are_refused_and_not_audited(
    world: World, by_token: dict[str, Caller], reason: str, message: str
) -> None:
    before = _searches(world)
    response = by_token["officer_a"].post("/api/reads/search", json=_query(reason=reason))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "reason"]
    assert message in error["msg"] and HINT in error["msg"], error["msg"]
    assert _searches(world) == before


@pytest.mark.parametrize(
    ("case_number", "reason"),
    [
        ("2024-001234", "stolen vehicle report 24-1183, suspect car"),
        ("CR24/5567", "armed robbery"),
        ("24-HOM-0012", "homicide; witness saw a dark sedan, plate 7ABCD12?"),
        ("na-24-118", "Véhicule volé, rapport de police 24-11"),
    ],
)
def test_realistic_searches_pass(
    world: World, by_token: dict[str, Caller], case_number: str, reason: str
) -> None:
    body = _query(case_number=case_number, reason=reason)
    response = by_token["officer_a"].post("/api/reads/search", json=body)
    assert response.status_code == 200, response.text


def test_search_page_explains_a_placeholder_and_writes_nothing(
    world: World, as_user: dict[str, Caller]
) -> None:
    before = _searches(world)
    now = datetime.now(UTC)
    form = {
        "plate": "abc*",
        "start": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "tz_offset": "0",
        "case_number": "n/a",
        "reason": "aaaaaaaaaa",
    }
    refused = as_user["officer_a"].post("/search", data=form)
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert "case number 'n/a' is a placeholder, not a case number" in page
    assert (
        f"reason 'aaaaaaaaaa' looks like a placeholder (it is one character repeated): {HINT}"
        in page
    )
    assert "reason: reason" not in page  # the message names its field once
    wrong_format = as_user["officer_a"].post(
        "/search", data={**form, "case_number": "24 118 !", "reason": "armed robbery"}
    )
    assert wrong_format.status_code == 422
    assert "is not in the form Metro PD&#39;s case numbers take" in wrong_format.text
    assert _searches(world) == before


def test_an_agency_may_have_its_own_case_number_format(world: World) -> None:
    own = {"metro-pd": r"MPD-\d{4}-\d{3,6}"}
    app = create_app(
        settings_for(world.url, world.image_root, case_number_patterns=own), webhooks=False
    )
    with TestClient(app, base_url="http://testserver") as client:
        metro = Caller(client, token_headers(world, "officer_a"))
        county = Caller(client, token_headers(world, "officer_b"))
        before = _searches(world)
        refused = metro.post("/api/reads/search", json=_query(case_number="2025-004211"))
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            "case_number: '2025-004211' is not in the form Metro PD's case numbers take "
            r"(pattern MPD-\d{4}-\d{3,6}); give it as it is on the case file, e.g. 2025-004211"
        )
        assert _searches(world) == before
        assert metro.post("/api/reads/search", json=_query(case_number="mpd-2025-0042")).is_success
        # County SO has no pattern of its own: the default applies.
        assert county.post("/api/reads/search", json=_query(case_number="2025-004211")).is_success
        # The shared rules hold whatever the agency's pattern allows.
        zeros = metro.post("/api/reads/search", json=_query(case_number="MPD-0000-000"))
        assert "has only zeros for digits" in zeros.json()["detail"][0]["msg"]
    assert _searches(world) == before + 2


@pytest.mark.parametrize(
    ("console", "message"),
    [
        ({"case_number_pattern": "[A-Z"}, "case_number_pattern: '[A-Z' is not a regular expr"),
        (
            {"case_number_patterns": {"Metro PD": "MPD-.*"}},
            "'Metro PD' is not an agency slug; use the agency's name in lower case",
        ),
        ({"case_number_patterns": {"metro-pd": "(x"}}, "case_number_patterns.metro-pd: '(x'"),
    ],
)
def test_bad_case_number_settings_are_refused(console: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ConsoleSettings(**console)


def test_agency_slugs() -> None:
    assert agency_slug("Metro PD") == "metro-pd"
    assert agency_slug("County S.O.") == "county-s-o"
    assert agency_slug("Sûreté du Québec") == "surete-du-quebec"
