"""The checks on what people type for an agency, a site or a camera, shared by creating and
editing. Each failure is an `InvalidField` naming the field and what to enter instead."""

from __future__ import annotations

from org.errors import InvalidField
from org.regions import state_code

SITE_KINDS = ("hoa", "neighborhood", "business", "school", "city", "other")
NAME_MAX = 200
CAMERA_ID_MAX = 64
DIRECTION_MAX = 16


def required_text(value: str, field: str, what: str, *, limit: int = NAME_MAX) -> str:
    """`value` stripped; empty or longer than `limit` is refused."""
    value = value.strip()
    if not value:
        raise InvalidField(field, f"{what} must not be empty")
    return optional_text(value, field, what, limit=limit)


def optional_text(value: str, field: str, what: str, *, limit: int = NAME_MAX) -> str:
    value = value.strip()
    if len(value) > limit:
        msg = f"{what} is {len(value)} characters long; keep it to {limit}"
        raise InvalidField(field, msg)
    return value


def latitude(value: float | None) -> float | None:
    if value is not None and not -90 <= value <= 90:
        msg = f"latitude {value} is outside -90..90 (degrees north; south is negative)"
        field = "latitude"
        raise InvalidField(field, msg)
    return value


def longitude(value: float | None) -> float | None:
    if value is not None and not -180 <= value <= 180:
        msg = f"longitude {value} is outside -180..180 (degrees east; west is negative)"
        field = "longitude"
        raise InvalidField(field, msg)
    return value


def subdivision(value: str | None, field: str, what: str) -> str | None:
    """A two-letter US state or Canadian province code, upper-cased; empty means none."""
    if value is None or not value.strip():
        return None
    try:
        code = state_code(value)
    except ValueError as exc:
        raise InvalidField(field, f"{what}: {exc}") from exc
    if code is None or len(code) != 2:
        msg = f"{what} {value.strip()!r} must be a two-letter state or province code (CA, NY, ON)"
        raise InvalidField(field, msg)
    return code


def site_kind(value: str) -> str:
    if value not in SITE_KINDS:
        msg = f"site kind {value!r} is not one of {', '.join(SITE_KINDS)}"
        field = "kind"
        raise InvalidField(field, msg)
    return value


def retention(value: int | None, field: str, what: str) -> int | None:
    """A per-site override; None keeps the deployment default."""
    if value is not None and value < 1:
        msg = f"{what} must be at least 1 (got {value}); leave it empty for the deployment default"
        raise InvalidField(field, msg)
    return value


def camera_retention(
    value: int | None, site: str, site_days: int | None, default_days: int
) -> int | None:
    """A camera's own image retention: it may only shorten its site's period (a camera at a
    sensitive spot keeps less), never lengthen it; None keeps the site's period."""
    field = "image_retention_days"
    if value is None:
        return None
    if value < 1:
        msg = (
            f"camera image retention days must be at least 1 (got {value}); leave it empty "
            "for its site's period"
        )
        raise InvalidField(field, msg)
    period = site_days or default_days
    if value > period:
        whose = "its own setting" if site_days else "the deployment default"
        msg = (
            f"camera image retention of {value} days is longer than site {site!r} keeps "
            f"images ({period} days, {whose}); a camera may only shorten its site's period: "
            f"enter at most {period}, or leave it empty for the site's"
        )
        raise InvalidField(field, msg)
    return value
