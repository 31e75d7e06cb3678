"""What an approved grant opens: the reads of its cameras in its time range (of its plates,
when it names any), to its agency, under its case number, while it is in force.

The search (console.search) adds `reads_condition` of each grant in force to its scope and
records every use; the image route asks `grant_covering`. A grant past `expires_at` opens
nothing whether or not the sweep (community.lpr_grants.expire_grants) has marked it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from community.lpr_grants import GRANTED
from store.tables import LprAccessGrant, PlateReadRow


@dataclass(frozen=True)
class GrantInForce:
    id: int
    site_id: int
    camera_ids: frozenset[str]
    plates: frozenset[str]
    starts_at: datetime
    ends_at: datetime

    def reads_condition(self) -> ColumnElement[bool]:
        """The granted reads, as a condition on `plate_reads`."""
        condition = and_(
            PlateReadRow.camera_id.in_(sorted(self.camera_ids)),
            PlateReadRow.captured_at >= self.starts_at,
            PlateReadRow.captured_at < self.ends_at,
        )
        if self.plates:
            condition = and_(condition, PlateReadRow.plate.in_(sorted(self.plates)))
        return condition

    def covers(self, camera_id: str, captured_at: datetime, plate: str | None) -> bool:
        """`reads_condition` for one read already loaded."""
        return (
            camera_id in self.camera_ids
            and self.starts_at <= captured_at < self.ends_at
            and (not self.plates or plate in self.plates)
        )


def same_case(a: str, b: str) -> bool:
    # The agency's case-number format is matched case-insensitively (console.search_rules).
    return a.strip().upper() == b.strip().upper()


def _in_force(session: Session, agency_id: int, now: datetime) -> list[LprAccessGrant]:
    return list(
        session.scalars(
            select(LprAccessGrant)
            .where(
                LprAccessGrant.agency_id == agency_id,
                LprAccessGrant.status == GRANTED,
                LprAccessGrant.expires_at > now,
            )
            .order_by(LprAccessGrant.id)
        )
    )


def _value(row: LprAccessGrant) -> GrantInForce:
    return GrantInForce(
        id=row.id,
        site_id=row.site_id,
        camera_ids=frozenset(row.camera_ids),
        plates=frozenset(row.plates),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


def grants_in_force(
    session: Session, agency_id: int, case_number: str, now: datetime
) -> list[GrantInForce]:
    """The agency's grants in force for this case number; none for any other."""
    return [
        _value(row)
        for row in _in_force(session, agency_id, now)
        if same_case(row.case_number, case_number)
    ]


def grant_covering(
    session: Session, agency_id: int, read: PlateReadRow, now: datetime
) -> GrantInForce | None:
    """A grant in force (of any of the agency's cases) that opens this read, if one does."""
    for row in _in_force(session, agency_id, now):
        grant = _value(row)
        if grant.covers(read.camera_id, read.captured_at, read.plate):
            return grant
    return None
