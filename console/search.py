"""Searching past reads: case number and reason required, scoped, audited, residents hidden.

The case number and reason pass console.search_rules (the request schema checks the rules all
agencies share, `search_reads` the agency's case-number format) before anything is read or
written, so a refused search leaves no audit entry."""

from __future__ import annotations

import re

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from community.lpr_grant_scope import GrantInForce, grants_in_force
from console.alerts import image_url
from console.deps import Principal
from console.errors import Forbidden
from console.schemas.search import ReadHitPublic, SearchCreate, SearchResult
from console.scope import officer_agency, shared_camera_ids, shared_site_ids
from console.search_rules import agency_slug, check_case_format
from console.settings import ConsoleSettings
from store.audit import record_audit
from store.audit_community import LprGrantUseDetail
from store.audit_details import ReadsSearchDetail
from store.base import utcnow
from store.tables import Agency, Camera, PlateReadRow, Site

_PATTERN = re.compile(r"^[A-Z0-9*?]+$")


class SearchError(ValueError):
    """A search that cannot run as asked; the message names the field and what to change."""


def plate_pattern(text: str, *, min_chars: int) -> str:
    """Normalize a plate pattern: upper case, no spaces or dashes, `*` and `?` wildcards."""
    pattern = re.sub(r"[\s\-.]", "", text.upper())
    pattern = re.sub(r"\*+", "*", pattern)
    if not pattern or not _PATTERN.match(pattern):
        msg = (
            f"plate: {text!r} may hold only letters, digits, '*' (any run) and '?' (one character)"
        )
        raise SearchError(msg)
    fixed = sum(ch.isalnum() for ch in pattern)
    if fixed < min_chars:
        msg = (
            f"plate: {text!r} fixes {fixed} characters; give at least {min_chars} besides wildcards"
        )
        raise SearchError(msg)
    return pattern


def pattern_to_like(pattern: str) -> str:
    return pattern.replace("*", "%").replace("?", "_")


def pattern_matches(pattern: str, plate: str) -> bool:
    """Whether a stored search pattern would have matched a plate (for "was my plate searched")."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, plate.upper()) is not None


def _check_area(
    session: Session, agency_id: int, query: SearchCreate, grants: list[GrantInForce]
) -> set[str]:
    """The cameras shared with the agency; refuses a filter naming one neither shared nor
    opened by a grant of the search's case."""
    shared_cameras = set(session.scalars(shared_camera_ids(agency_id)))
    granted_cameras = {c for grant in grants for c in grant.camera_ids}
    outside = sorted(set(query.camera_ids) - shared_cameras - granted_cameras)
    if outside:
        msg = f"camera_ids: {', '.join(outside)} not shared with your agency"
        raise Forbidden(msg)
    shared_sites = set(session.scalars(shared_site_ids(agency_id)))
    granted_sites = {grant.site_id for grant in grants}
    outside_sites = sorted(set(query.site_ids) - shared_sites - granted_sites)
    if outside_sites:
        msg = f"site_ids: {', '.join(map(str, outside_sites))} not shared with your agency"
        raise Forbidden(msg)
    return shared_cameras


def _check_case_format(
    session: Session, agency_id: int, case_number: str, settings: ConsoleSettings
) -> None:
    """The case number in the officer's agency's format (its own pattern, or the default)."""
    agency = session.get(Agency, agency_id)
    name = agency.name if agency is not None else f"agency {agency_id}"
    pattern = settings.case_number_patterns.get(agency_slug(name), settings.case_number_pattern)
    try:
        check_case_format(case_number, pattern, name)
    except ValueError as exc:
        raise SearchError(str(exc)) from exc


def _check_window(query: SearchCreate, settings: ConsoleSettings) -> None:
    if query.end <= query.start:
        msg = "end: the end of the time range must be after its start"
        raise SearchError(msg)
    if (query.end - query.start).total_seconds() > settings.search_max_days * 86400:
        msg = f"end: the time range may span at most {settings.search_max_days} days; narrow it"
        raise SearchError(msg)


def _statement(
    agency_id: int, query: SearchCreate, pattern: str, grants: list[GrantInForce], limit: int
) -> Select[PlateReadRow, Camera, Site]:
    """Reads of the sites sharing with the agency, and those the case's grants open."""
    stmt = (
        select(PlateReadRow, Camera, Site)
        .join(Camera, Camera.id == PlateReadRow.camera_id)
        .join(Site, Site.id == Camera.site_id)
        .where(
            or_(
                PlateReadRow.camera_id.in_(shared_camera_ids(agency_id)),
                *(grant.reads_condition() for grant in grants),
            ),
            PlateReadRow.resident.is_(False),
            PlateReadRow.plate.is_not(None),
            PlateReadRow.plate.like(pattern_to_like(pattern)),
            PlateReadRow.captured_at >= query.start,
            PlateReadRow.captured_at < query.end,
        )
        .order_by(PlateReadRow.captured_at.desc())
        .limit(limit)
    )
    if query.camera_ids:
        stmt = stmt.where(PlateReadRow.camera_id.in_(query.camera_ids))
    if query.site_ids:
        stmt = stmt.where(Camera.site_id.in_(query.site_ids))
    return stmt


def search_reads(
    session: Session, principal: Principal, query: SearchCreate, settings: ConsoleSettings
) -> SearchResult:
    """Run and audit one search; the audit entry is written even when nothing matches."""
    agency_id = officer_agency(principal)
    _check_case_format(session, agency_id, query.case_number, settings)
    pattern = plate_pattern(query.plate, min_chars=settings.search_min_plate_chars)
    _check_window(query, settings)
    grants = grants_in_force(session, agency_id, query.case_number, utcnow())
    shared = _check_area(session, agency_id, query, grants)
    stmt = _statement(agency_id, query, pattern, grants, settings.search_max_results + 1)
    rows = session.execute(stmt).all()
    truncated = len(rows) > settings.search_max_results
    rows = rows[: settings.search_max_results]
    event = record_audit(
        session,
        actor=principal.username,
        subject=pattern,
        case_number=query.case_number,
        purpose=query.reason,
        detail=ReadsSearchDetail(
            plate=pattern,
            start=query.start,
            end=query.end,
            camera_ids=tuple(sorted(query.camera_ids)),
            site_ids=tuple(sorted(query.site_ids)),
            agency_id=agency_id,
            results=len(rows),
            truncated=truncated,
            via=principal.via,
        ),
    )
    granted_by = {
        read.read_id: _granting(grants, read) for read, _, _ in rows if read.camera_id not in shared
    }
    _record_grant_uses(
        session, principal, query=query, grants=grants, granted_by=granted_by,
        search_audit_id=event.id,
    )  # fmt: skip
    hits = [_hit(read, camera, site, granted_by.get(read.read_id)) for read, camera, site in rows]
    return SearchResult(
        audit_id=event.id, pattern=pattern, count=len(hits), truncated=truncated, reads=hits
    )


def _hit(read: PlateReadRow, camera: Camera, site: Site, grant_id: int | None) -> ReadHitPublic:
    return ReadHitPublic(
        read_id=read.read_id,
        captured_at=read.captured_at,
        plate=read.plate or "",
        confidence=read.confidence,
        region=read.region,
        camera_id=camera.id,
        camera_name=camera.name,
        site_name=site.name,
        has_hit=read.has_hit,
        crop_url=image_url(read, "crop"),
        frame_url=image_url(read, "frame"),
        grant_id=grant_id,
    )


def _granting(grants: list[GrantInForce], read: PlateReadRow) -> int | None:
    covering = (g.id for g in grants if g.covers(read.camera_id, read.captured_at, read.plate))
    return next(covering, None)


def _record_grant_uses(
    session: Session,
    principal: Principal,
    *,
    query: SearchCreate,
    grants: list[GrantInForce],
    granted_by: dict[str, int | None],
    search_audit_id: int,
) -> None:
    """One `lpr_grant.use` per grant the search ran under, hits or none: the site's reads were
    searched either way."""
    for grant in grants:
        record_audit(
            session,
            actor=principal.username,
            subject=f"lpr_grant:{grant.id}",
            case_number=query.case_number,
            purpose=query.reason,
            detail=LprGrantUseDetail(
                grant_id=grant.id,
                site_id=grant.site_id,
                search_audit_id=search_audit_id,
                results=sum(1 for g in granted_by.values() if g == grant.id),
            ),
        )
