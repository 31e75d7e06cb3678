"""A small world of sites, cameras and reads with their real image files on disk."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from retention.files import image_relpath
from retention.settings import RetentionSettings
from store.audit import record_audit
from store.audit_details import AlertConfirmDetail
from store.tables import Alert, AlertSighting, Camera, PlateReadRow, Site

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


@dataclass
class World:
    engine: Engine
    factory: sessionmaker[Session]
    image_root: Path
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def site(
        self,
        name: str,
        *,
        image_days: int | None = None,
        resident_hours: int | None = None,
        cameras: int = 1,
    ) -> int:
        with self.factory.begin() as s:
            site = Site(
                name=name, image_retention_days=image_days, resident_retention_hours=resident_hours
            )
            s.add(site)
            s.flush()
            for i in range(cameras):
                s.add(Camera(id=f"{name}-cam{i}", site_id=site.id, name=f"{name} camera {i}"))
            return site.id

    def read(
        self,
        camera_id: str,
        captured_at: datetime,
        *,
        resident: bool = False,
        has_hit: bool = False,
        images: bool = True,
        site_id: int | None = -1,
        plate: str = "ABC123",
    ) -> str:
        """Store a read (and its crop and frame on disk unless images=False)."""
        read_id = f"r{next(self.counter):06d}"
        crop = frame = None
        if images:
            crop = image_relpath(camera_id, captured_at, read_id, "crop")
            frame = image_relpath(camera_id, captured_at, read_id, "frame")
            for rel in (crop, frame):
                path = self.image_root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"\xff\xd8jpeg\xff\xd9")
        with self.factory.begin() as s:
            if site_id == -1:
                site_id = s.scalar(select(Camera.site_id).where(Camera.id == camera_id))
            s.add(
                PlateReadRow(
                    read_id=read_id,
                    camera_id=camera_id,
                    site_id=site_id,
                    captured_at=captured_at,
                    plate=plate,
                    confidence=0.97,
                    resident=resident,
                    has_hit=has_hit,
                    detail={"alternatives": [{"plate": plate[:-1] + "8", "confidence": 0.2}]},
                    crop_path=crop,
                    frame_path=frame,
                )
            )
        return read_id

    def alert(
        self,
        read_id: str,
        *,
        status: str = "confirmed",
        case_number: str | None = "C-1",
        sightings: tuple[str, ...] = (),
    ) -> int:
        """An alert on a read (as the hotlist stage stores it), with later sightings."""
        with self.factory.begin() as s:
            read = s.get_one(PlateReadRow, read_id)
            alert = Alert(
                read_id=read_id,
                camera_id=read.camera_id,
                site_id=read.site_id,
                decision="alert",
                match_kind="exact",
                score=1.0,
                plate_read=read.plate or "",
                read_confidence=0.97,
                entry_plate=read.plate or "",
                list_name="NCIC",
                reason="stolen_vehicle",
                status=status,
                case_number=case_number,
                first_seen_at=read.captured_at,
                last_seen_at=read.captured_at,
            )
            s.add(alert)
            s.flush()
            if status == "confirmed":
                # As hotlist.dispositions announces it: the retention audit checks the row
                # against this event.
                record_audit(
                    s,
                    actor="officer 7",
                    subject=f"alert:{alert.id}",
                    case_number=case_number,
                    detail=AlertConfirmDetail(
                        from_status="new",
                        to_status="confirmed",
                        reason=None,
                        list_name=alert.list_name,
                        decision=alert.decision,
                    ),
                )
            for seen in sightings:
                later = s.get_one(PlateReadRow, seen)
                s.add(
                    AlertSighting(
                        alert_id=alert.id,
                        read_id=seen,
                        camera_id=later.camera_id,
                        seen_at=later.captured_at,
                    )
                )
            return alert.id

    def has_sites(self) -> bool:
        """Whether sites exist yet (hypothesis reuses one world across examples)."""
        with self.factory() as s:
            return s.scalar(select(Site.id).limit(1)) is not None

    def row(self, read_id: str) -> PlateReadRow:
        with self.factory() as s:
            row = s.get(PlateReadRow, read_id)
            assert row is not None
            return row

    def files_of(self, read_id: str) -> list[Path]:
        return sorted(self.image_root.rglob(f"{read_id}_*.jpg"))

    def all_files(self) -> list[str]:
        return sorted(
            p.relative_to(self.image_root).as_posix()
            for p in self.image_root.rglob("*")
            if p.is_file()
        )


def settings(**overrides: object) -> RetentionSettings:
    """Test settings: no audit grace unless a test asks for it."""
    values: dict[str, object] = {"audit_grace_minutes": 0, "delete_threads": 2}
    values.update(overrides)
    return RetentionSettings.model_validate(values)


def days_ago(days: float, now: datetime = NOW) -> datetime:
    return now - timedelta(days=days)
