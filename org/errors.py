"""Errors of the organisation registry."""

from __future__ import annotations

from datetime import datetime

from store.errors import DomainError, NotFoundError


class UnknownCamera(NotFoundError):  # noqa: N818  (the name the stream codes against)
    def __init__(self, camera_id: str) -> None:
        super().__init__(
            f"camera {camera_id!r} is not registered; register it with "
            f"`platewatch camera add {camera_id} --site SITE` before sending its reads"
        )
        self.camera_id = camera_id


class RetiredCamera(DomainError):  # noqa: N818  (beside UnknownCamera, which the stream meets)
    """A read taken after its camera was retired: the stream dead-letters it."""

    def __init__(self, camera_id: str, retired_at: datetime) -> None:
        super().__init__(
            f"camera {camera_id!r} was retired at {retired_at:%Y-%m-%d %H:%M} UTC and takes no "
            "new reads; register the replacement under a new id, or stop the edge sending"
        )
        self.camera_id = camera_id


class InvalidField(DomainError):  # noqa: N818  (reads as what it is: `raise InvalidField(...)`)
    """A value people typed is not usable; `field` names the input it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class RetiredError(DomainError):
    """The agency, site or camera is retired, so it cannot be changed or shared with."""
