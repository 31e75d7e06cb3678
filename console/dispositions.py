"""The officer's disposition buttons, mapped onto the hotlist stage's audited transitions.

The choices follow Axon Fleet's hit review (correct read, wrong state, incorrect read, dismiss)
plus "vehicle does not match", the check that would have stopped the BMW-for-Oldsmobile stop.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy.orm import Session

from console.schemas.alerts import DispositionChoice
from hotlist.dispositions import Action, set_disposition
from hotlist.errors import InvalidTransitionError
from store.tables import Alert


@dataclass(frozen=True)
class Choice:
    action: Action
    reason: str | None
    label: str


CHOICES: dict[DispositionChoice, Choice] = {
    "acknowledge": Choice("acknowledge", None, "Acknowledge"),
    "correct_read": Choice("confirm", "correct_read", "Correct read"),
    "wrong_state": Choice("reject", "wrong_state", "Wrong state"),
    "incorrect_read": Choice("reject", "incorrect_read", "Incorrect read"),
    "vehicle_mismatch": Choice("reject", "vehicle_mismatch", "Vehicle does not match"),
    "dismiss": Choice("dismiss", None, "Dismiss"),
}


def apply_disposition(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    choice: DispositionChoice,
    note: str | None,
    case_number: str | None,
) -> Alert:
    mapped = CHOICES[choice]
    try:
        return set_disposition(
            session,
            alert_id,
            actor=actor,
            action=mapped.action,
            reason=mapped.reason,
            note=(note or "").strip() or None,
            case_number=(case_number or "").strip() or None,
        )
    except InvalidTransitionError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except ValueError as exc:  # HotlistError and the service's argument checks
        raise HTTPException(status_code=422, detail=str(exc)) from exc
