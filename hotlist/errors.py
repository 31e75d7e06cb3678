"""Errors of the hotlist stage. Each says what was wrong and what to do about it."""

from __future__ import annotations

from store.errors import DomainError


class HotlistError(DomainError):
    """Base of the errors only this stage raises (lists, alerts, imports)."""


class InvalidTransitionError(HotlistError):
    """An alert disposition that its current status does not allow."""

    def __init__(self, alert_id: int, status: str, action: str, allowed: tuple[str, ...]) -> None:
        hint = f"allowed now: {', '.join(allowed)}" if allowed else "the alert is closed"
        super().__init__(f"alert {alert_id} is {status}; cannot {action} it ({hint})")
        self.alert_id = alert_id
        self.status = status
        self.action = action


class ImportRejectedError(HotlistError):
    """A file had bad rows and nothing was imported."""

    def __init__(self, message: str, errors: tuple[object, ...], total: int) -> None:
        super().__init__(message)
        self.errors = errors
        self.total = total  # rows in the file, good and bad
