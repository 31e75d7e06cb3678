"""Errors of the hotlist stage. Each says what was wrong and what to do about it."""

from __future__ import annotations


class HotlistError(ValueError):
    """Base of every error this stage raises on purpose; the stream dead-letters reads on it."""


class NotFoundError(HotlistError):
    """A named agency, site, camera, list or alert does not exist."""


class UnknownCamera(NotFoundError):  # noqa: N818  (the name the stream codes against)
    def __init__(self, camera_id: str) -> None:
        super().__init__(
            f"camera {camera_id!r} is not registered; register it with "
            f"`platewatch camera add {camera_id} --site SITE` before sending its reads"
        )
        self.camera_id = camera_id


class AlreadyExistsError(HotlistError):
    """A name that must be unique is taken."""


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

    def __init__(self, message: str, errors: tuple[object, ...]) -> None:
        super().__init__(message)
        self.errors = errors
