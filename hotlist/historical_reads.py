"""A stored read as the matcher scores it: the PlateRead its row was stored from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from alpr.read import Box, PlateRead
from store.tables import PlateReadRow

log = logging.getLogger(__name__)
_NO_BOX = Box(x1=0, y1=0, x2=1, y2=1)


@dataclass(frozen=True)
class StoredRead:
    read: PlateRead
    site_id: int  # its camera's site


def stored_read(row: PlateReadRow, site_id: int) -> StoredRead:
    """The read back from its row: `detail` is the PlateRead event minus the columns, so the
    recognizer's per-character choices weigh a historical candidate as they weighed it live."""
    columns = {
        "read_id": row.read_id,
        "camera_id": row.camera_id,
        "captured_at": row.captured_at,
        "plate": row.plate or "",
        "confidence": row.confidence,
    }
    try:
        read = PlateRead.model_validate({**(row.detail or {}), **columns})
    except ValidationError:
        # A row stored by an older edge, or emptied by hand: its text and confidence remain.
        log.debug("read %s: stored detail does not parse; scored on its text", row.read_id)
        read = PlateRead(**columns, region=row.region, box=_NO_BOX)
    return StoredRead(read, site_id)
