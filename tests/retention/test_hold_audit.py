"""Holds against their audit announcements when an announcement's detail cannot be read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from retention.hold_audit import verify_holds
from retention.holds import place_hold
from store.audit import unreadable_details
from store.tables import AuditEvent
from tests.retention.world import NOW, World, days_ago


def test_a_hold_announced_in_an_unreadable_detail_counts_as_unannounced(world: World) -> None:
    world.site("oak")
    read = world.read("oak-cam0", days_ago(1))
    with world.factory.begin() as s:
        hold = place_hold(
            s, read_id=read, actor="ann", reason="FOIA 12", until=NOW + timedelta(days=9), now=NOW
        ).id
    with world.factory() as s:
        assert verify_holds(s) == []
    placed = AuditEvent.action == "retention.hold.place"
    with world.factory.begin() as s:
        # Days in place of the end time: what an older writer might have stored.
        s.execute(update(AuditEvent).where(placed).values(detail={"hold_id": hold, "until": 9}))
    with world.factory() as s:
        assert verify_holds(s) == [
            (
                f"hold:{hold}",
                "no audit event placed this hold: it was written outside the retention commands",
            )
        ]
        [unreadable] = unreadable_details(s)
        assert "until: Input should be a valid datetime" in unreadable.unreadable.problem
