"""Errors of the organisation registry."""

from __future__ import annotations

from store.errors import NotFoundError


class UnknownCamera(NotFoundError):  # noqa: N818  (the name the stream codes against)
    def __init__(self, camera_id: str) -> None:
        super().__init__(
            f"camera {camera_id!r} is not registered; register it with "
            f"`platewatch camera add {camera_id} --site SITE` before sending its reads"
        )
        self.camera_id = camera_id
