"""The per-action detail models: each writes the bytes its writer wrote before, every action the
code writes or reads has one, and a detail no model reads is a value, not an exception."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from store.audit import GENESIS, event_hash
from store.audit_details import AUDIT_DETAILS, AuditDetail, UnreadableDetail, parse_detail
from store.tables import AuditEvent
from tests.store.audit_samples import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("platewatch", "console", "retention", "stream", "hotlist", "alpr", "org", "store")
# The head of a chain of one row per sample, hashed by store.audit at 46d22c8 (before the models)
# from the legacy dicts in audit_samples.
LEGACY_HEAD = "5d925bb640f680aa358bfa6380f05ba44fa5567b70a78b0693ced87e3078cdef"
# The actions written before details were typed: the pinned head chains one of each. Actions
# added since have no untyped past, so they stay out of it (and cannot move the pin).
LEGACY_ACTIONS = [
    "alert.acknowledge",
    "alert.confirm",
    "alert.dismiss",
    "alert.reject",
    "auth.login",
    "auth.logout",
    "reads.search",
    "retention.hold.place",
    "retention.hold.release",
    "retention.purge",
    "safelist.add",
    "safelist.export",
    "safelist.import",
    "safelist.remove",
    "safelist.update",
    "site.share",
    "site.unshare",
    "token.issue",
    "token.revoke",
    "user.create",
    "user.disable",
    "user.password",
    "user.password_reset",
    "webhook.create",
    "webhook.disable",
    "webhook.enable",
]


def _canonical(detail: object) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def test_every_registered_action_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(AUDIT_DETAILS)


def _subclasses(cls: type[AuditDetail]) -> list[type[AuditDetail]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_model_naming_an_action_is_registered_under_it() -> None:
    concrete = [cls for cls in _subclasses(AuditDetail) if "action" in vars(cls)]
    assert len({cls.action for cls in concrete}) == len(concrete), "two models, one action"
    for cls in concrete:
        assert AUDIT_DETAILS.get(cls.action) is cls, f"{cls.__name__} is not in AnyAuditDetail"
        words = cls.action.replace("_", ".").split(".")
        assert cls.__name__ == "".join(w.capitalize() for w in words) + "Detail"


@pytest.mark.parametrize("action", sorted(SAMPLES))
def test_each_model_writes_what_its_writer_wrote_before(action: str) -> None:
    model, legacy = SAMPLES[action]
    assert model.action == action
    assert model.as_json() == legacy
    assert _canonical(model.as_json()) == _canonical(legacy)
    assert parse_detail(action, legacy) == model
    assert parse_detail(action, json.loads(json.dumps(model.as_json()))) == model


def test_a_chain_of_typed_rows_hashes_as_the_untyped_rows_did() -> None:
    prev = GENESIS
    for action in sorted(LEGACY_ACTIONS):
        model, _ = SAMPLES[action]
        event = AuditEvent(
            at=datetime(2025, 3, 9, 8, 0, tzinfo=UTC),
            actor="officer1",
            action=model.action,
            subject="s",
            case_number="C-1",
            purpose="why",
            detail=model.as_json(),
        )
        prev = event_hash(prev, event)
    assert prev == LEGACY_HEAD


LOGIN: dict[str, Any] = {"session_id": 7, "client": "Mozilla/5.0"}
BAD: dict[str, tuple[str, object, str]] = {
    "unknown action": ("user.teleport", {}, "no detail model for action 'user.teleport'"),
    "extra key": ("auth.login", {**LOGIN, "ip": "10.0.0.1"}, "ip: Extra inputs are not permitted"),
    "missing key": ("auth.login", {"session_id": 7}, "client: Field required"),
    "string for int": ("auth.login", {**LOGIN, "session_id": "7"}, "session_id: Input should be"),
    "bool for int": ("safelist.export", {"entries": True}, "entries: Input should be"),
    "not an object": ("webhook.enable", None, "detail: Input should be a valid dictionary"),
    "naive time": (
        "retention.hold.place",
        {"hold_id": 1, "until": "2025-09-01T00:00:00"},
        "until: Input should have timezone info",
    ),
    "time rewritten": (
        "retention.hold.place",
        {"hold_id": 1, "until": "2025-09-01T00:00:00Z"},
        "until: Value error, '2025-09-01T00:00:00Z' is not in the form written",
    ),
    "not a time": ("retention.hold.place", {"hold_id": 1, "until": "soon"}, "until: Value error"),
    "float for int": ("safelist.export", {"entries": 3.0}, "entries: Input should be"),
    "field name for key": (
        "alert.confirm",
        {"from_status": "new", "to": "confirmed", "reason": None, "list": "l", "decision": "d"},
        "from: Field required",
    ),
    "string for array": ("user.password_reset", {"sessions_ended": "1"}, "sessions_ended: Input"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_detail_no_model_reads_is_an_unreadable_value(case: str) -> None:
    action, raw, message = BAD[case]
    parsed = parse_detail(action, raw)
    assert isinstance(parsed, UnreadableDetail) and parsed.action == action
    assert message in parsed.problem, parsed.problem


def _calls_and_compares() -> tuple[list[ast.Call], list[ast.Compare]]:
    calls, compares = [], []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "record_audit":
                    calls.append(node)
                elif isinstance(node, ast.Compare):
                    compares.append(node)
    return calls, compares


def _is_action_column(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "action"
        and getattr(node.value, "id", "") == "AuditEvent"
    )


def test_writers_name_no_action_and_readers_compare_only_registered_ones() -> None:
    calls, compares = _calls_and_compares()
    assert len(calls) >= 20, "the scan found too few writers to be looking in the right place"
    for call in calls:
        keywords = {k.arg for k in call.keywords}
        assert "detail" in keywords and "action" not in keywords, ast.unparse(call)
    for compare in compares:
        sides = [compare.left, *compare.comparators]
        if any(_is_action_column(side) for side in sides):
            literals = [s.value for s in sides if isinstance(s, ast.Constant)]
            assert all(v in AUDIT_DETAILS for v in literals), ast.unparse(compare)
