"""The audit log as auditors read it: a stored detail no model reads is a marked row, never an
error page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update

from store.tables import AuditEvent
from tests.console.conftest import Caller, World
from tests.console.test_search import _query


@contextmanager
def _detail_edited(world: World, case_number: str, detail: dict[str, Any]) -> Iterator[None]:
    """The world is shared by the session: the row gets its detail, and so its hash, back."""
    where = AuditEvent.case_number == case_number
    with world.session() as s:
        original = s.scalars(select(AuditEvent.detail).where(where)).one()
        s.execute(update(AuditEvent).where(where).values(detail=detail))
        s.commit()
    try:
        yield
    finally:
        with world.session() as s:
            s.execute(update(AuditEvent).where(where).values(detail=original))
            s.commit()


def test_an_unreadable_detail_is_shown_as_such_not_as_an_error(
    world: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    officer, auditor = by_token["officer_a"], by_token["auditor"]
    officer.post("/api/reads/search", json=_query(case_number="OK-1"))
    officer.post("/api/reads/search", json=_query(case_number="BAD-1"))
    with _detail_edited(world, "BAD-1", {"plate": 5}):
        [event] = auditor.get("/api/audit", params={"case_number": "BAD-1"}).json()["events"]
        assert event["detail"] is None
        assert "reads.search detail does not match its model: plate:" in event["detail_problem"]
        [good] = auditor.get("/api/audit", params={"case_number": "OK-1"}).json()["events"]
        assert good["detail"]["via"] == "token" and good["detail_problem"] is None
        page = as_user["auditor"].get("/audit", params={"action": "reads.search"})
        assert page.status_code == 200
        assert "unreadable detail" in page.text and "via=token" in page.text
        assert "The audit chain is broken" in page.text  # the edit also broke that row's hash
        searches = {s["case_number"]: s for s in auditor.get("/api/audit/searches").json()}
        assert searches["BAD-1"]["pattern"] == event["subject"]
        assert searches["BAD-1"]["start"] is None and searches["BAD-1"]["detail_problem"]
        assert searches["OK-1"]["start"] and searches["OK-1"]["detail_problem"] is None
        listed = as_user["auditor"].get("/audit/searches")
        assert listed.status_code == 200 and listed.text.count("unreadable detail") == 1
    assert auditor.get("/api/audit", params={"verify": "true"}).json()["chain_intact"] is True
