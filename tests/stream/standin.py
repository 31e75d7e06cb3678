"""A stand-in read handler: stores reads idempotently, with no matching. Used only to test the
stream's own mechanics apart from the hotlist stage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alpr.read import PlateRead
from hotlist.errors import HotlistError, UnknownCamera
from store.tables import Camera, PlateReadRow


class StoreOnlyHandler:
    unprocessable: tuple[type[Exception], ...] = (HotlistError,)

    def prepare(self, session: Session) -> None:
        del session

    def handle(self, session: Session, read: PlateRead) -> bool:
        if session.get(PlateReadRow, read.read_id) is not None:
            return False
        camera = session.get(Camera, read.camera_id)
        if camera is None:
            raise UnknownCamera(read.camera_id)
        session.add(
            PlateReadRow(
                read_id=read.read_id,
                camera_id=read.camera_id,
                site_id=camera.site_id,
                captured_at=read.captured_at,
                plate=read.plate,
                confidence=read.confidence,
            )
        )
        return True
