"""Receipts against their audit announcements when an announcement's detail cannot be read."""

from __future__ import annotations

from sqlalchemy import select, update

from retention.purge import run_purge
from retention.receipts import ReceiptProblem, verify_receipts
from store.tables import AuditEvent
from tests.retention.world import NOW, World, days_ago, settings


def test_an_unreadable_purge_announcement_is_a_problem_of_its_receipt(world: World) -> None:
    world.site("oak")
    world.read("oak-cam0", days_ago(31))
    receipt = run_purge(world.engine, settings(), world.image_root, now=NOW).receipt
    with world.factory() as s:
        assert verify_receipts(s) == []
    announced = AuditEvent.subject == f"receipt:{receipt.id}"
    with world.factory.begin() as s:
        s.execute(update(AuditEvent).where(announced).values(detail={"receipt": receipt.hash}))
        event_id = s.scalars(select(AuditEvent.id).where(announced)).one()
    with world.factory() as s:
        [problem] = verify_receipts(s)
    assert problem == ReceiptProblem(
        receipt.id,
        f"audit event {event_id} announced this receipt unreadably: retention.purge detail does "
        "not match its model: receipt_hash: Field required; reads: Field required; "
        "files: Field required; receipt: Extra inputs are not permitted",
    )
