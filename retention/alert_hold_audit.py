"""Alert holds against the audit log and the signed reads: an alert confirmed with a case
number keeps its read and every sighting's read past the retention period, so a row edited to
look confirmed, or a sighting pointed at another read, would keep images nobody may keep.

The alert's status and case number change after the read, so the reads digest cannot sign
them; the `alert.confirm` audit event, in the chain the checkpoints sign, can. Which reads an
alert holds is fixed when the matcher stores them: a held read must be the alert's plate, seen
by the camera at the time the alert row and its sightings recorded, and the reads digest
signs the read's plate, camera and time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alpr.evaluate import edit_distance
from hotlist.plates import canonical, is_wildcard
from hotlist.settings import MatchSettings
from hotlist.wildcards import WildcardIndex
from retention.holds import CONFIRMED
from store.audit_details import AlertConfirmDetail, UnreadableDetail, parse_as
from store.tables import Alert, AlertSighting, AuditEvent, PlateReadRow


def _widest_edit_budget() -> int:
    """The most any matcher setting lets a read differ from its entry: the upper bounds of
    max_substitutions and max_edits. A sighting further than that was never a match."""
    fields = MatchSettings.model_fields
    bounds = [getattr(rule, "le", None) for n in ("max_substitutions", "max_edits")
              for rule in fields[n].metadata]  # fmt: skip
    return sum(le for le in bounds if isinstance(le, int))


MOST_EDITS = _widest_edit_budget()
_CHUNK = 500


@dataclass(frozen=True)
class _Confirmation:
    event_id: int
    case_number: str


def _confirmations(session: Session) -> dict[int, _Confirmation]:
    found: dict[int, _Confirmation] = {}
    statement = select(AuditEvent).where(AuditEvent.action == AlertConfirmDetail.action)
    for event in session.scalars(statement.order_by(AuditEvent.id)):
        detail = parse_as(AlertConfirmDetail, event.detail)
        alert_id = _alert_id(event.subject)
        # An unreadable detail confirms nothing here; `audit verify` reports it.
        if alert_id is not None and not isinstance(detail, UnreadableDetail):
            found[alert_id] = _Confirmation(event.id, event.case_number or "")
    return found


def _alert_id(subject: str) -> int | None:
    kind, _, number = subject.partition(":")
    return int(number) if kind == "alert" and number.isdigit() else None


def _holds(alert: Alert) -> bool:
    return alert.status == CONFIRMED and bool(alert.case_number)


def _status_problem(alert: Alert, confirmed: _Confirmation | None) -> str | None:
    if confirmed is None:
        if _holds(alert):
            return (
                f"confirmed with case {alert.case_number} but no audit event confirmed it: "
                "the alert was edited, and its reads are held without cause"
            )
        return None
    if alert.status != CONFIRMED or (alert.case_number or "") != confirmed.case_number:
        return (
            f"audit event {confirmed.event_id} confirmed it with case "
            f"{confirmed.case_number or '(none)'}, but the row says {alert.status} with case "
            f"{alert.case_number or '(none)'}: the alert was edited"
        )
    return None


def _plate_fits(entry_plate: str, plate: str) -> bool:
    canon = canonical(plate)
    if is_wildcard(entry_plate):
        return bool(WildcardIndex([(0, entry_plate)]).hits(canon))
    return edit_distance(canonical(entry_plate), canon) <= MOST_EDITS


def _read_problem(alert: Alert, read: PlateReadRow | None) -> str | None:
    if read is None:
        return f"its read {alert.read_id} is missing"
    if (read.plate, read.camera_id) != (alert.plate_read, alert.camera_id):
        return f"its read {read.read_id} is not the plate and camera the alert recorded: edited"
    return None


def _sighting_problem(
    alert: Alert, sighting: AlertSighting, read: PlateReadRow | None
) -> str | None:
    if read is None:
        return f"its sighting {sighting.id} names read {sighting.read_id}, which is missing"
    same_pass = (read.camera_id, read.captured_at) == (sighting.camera_id, sighting.seen_at)
    if not same_pass or not _plate_fits(alert.entry_plate, read.plate or ""):
        return (
            f"its sighting {sighting.id} holds read {read.read_id}, which is not a read of the "
            "alert's plate by that camera at that time: the sighting was edited"
        )
    return None


def _held_read_problems(session: Session, alert: Alert) -> list[str]:
    problems = []
    problem = _read_problem(alert, session.get(PlateReadRow, alert.read_id))
    if problem is not None:
        problems.append(problem)
    sightings = select(AlertSighting, PlateReadRow).outerjoin(
        PlateReadRow, PlateReadRow.read_id == AlertSighting.read_id
    )
    rows = session.execute(
        sightings.where(AlertSighting.alert_id == alert.id).order_by(AlertSighting.id)
    )
    for sighting, read in rows:
        problem = _sighting_problem(alert, sighting, read)
        if problem is not None:
            problems.append(problem)
    return problems


def _alerts(session: Session, statement: Select[Alert]) -> list[Alert]:
    return list(session.scalars(statement.order_by(Alert.id)))


def _alert_problems(
    session: Session, alert: Alert, confirmed: _Confirmation | None
) -> list[tuple[str, str]]:
    subject = f"alert:{alert.id}"
    problems = []
    problem = _status_problem(alert, confirmed)
    if problem is not None:
        problems.append((subject, problem))
    if _holds(alert):
        problems += [(subject, p) for p in _held_read_problems(session, alert)]
    return problems


def verify_alert_holds(session: Session) -> list[tuple[str, str]]:
    """(subject, problem) for every alert whose hold on reads the audit log or the reads do
    not bear out: a confirmation not announced, one edited away, or a held read that is not a
    sighting of the alert's plate."""
    confirmations = _confirmations(session)
    problems: list[tuple[str, str]] = []
    seen: set[int] = set()
    for alert in _alerts(session, select(Alert).where(Alert.status == CONFIRMED)):
        seen.add(alert.id)
        problems += _alert_problems(session, alert, confirmations.get(alert.id))
    # Confirmed in the log but not in the row: the edit that lets the purge take evidence.
    unconfirmed = sorted(confirmations.keys() - seen)
    for start in range(0, len(unconfirmed), _CHUNK):
        chunk = unconfirmed[start : start + _CHUNK]
        for alert in _alerts(session, select(Alert).where(Alert.id.in_(chunk))):
            seen.add(alert.id)
            problems += _alert_problems(session, alert, confirmations.get(alert.id))
    for alert_id in sorted(confirmations.keys() - seen):
        event_id = confirmations[alert_id].event_id
        why = f"audit event {event_id} confirmed this alert but it is missing: deleted"
        problems.append((f"alert:{alert_id}", why))
    return problems
