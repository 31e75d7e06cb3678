"""The coarse grid police see instead of exact places: cells of about 150 m.

Rows are 0.00135 degrees of latitude (150 m); a row's columns are 0.00135 / cos(latitude of
the row's centre) degrees of longitude, so cells are close to square at any latitude and a
cell id alone gives back its centre.
"""

from __future__ import annotations

import math
import re

STEP_DEG = 0.00135
# Rows near the poles would need columns of unbounded width; this caps them.
_MIN_COS = 0.01
_CELL = re.compile(r"^c(-?\d+):(-?\d+)$")


def check_point(latitude: float, longitude: float) -> None:
    """Refuse a point that is not on Earth (or not a number)."""
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        msg = f"latitude {latitude} is out of range; use decimal degrees from -90 to 90"
        raise ValueError(msg)
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        msg = f"longitude {longitude} is out of range; use decimal degrees from -180 to 180"
        raise ValueError(msg)


def _column_step(row: int) -> float:
    centre = (row + 0.5) * STEP_DEG
    return STEP_DEG / max(math.cos(math.radians(centre)), _MIN_COS)


def cell_of(latitude: float, longitude: float) -> str:
    check_point(latitude, longitude)
    row = math.floor(latitude / STEP_DEG)
    col = math.floor(longitude / _column_step(row))
    return f"c{row}:{col}"


def cell_center(cell: str) -> tuple[float, float]:
    """(latitude, longitude) of the cell's centre."""
    match = _CELL.match(cell)
    if match is None:
        msg = f"{cell!r} is not a cell id; cell ids look like c27812:-91034"
        raise ValueError(msg)
    row, col = int(match.group(1)), int(match.group(2))
    return (row + 0.5) * STEP_DEG, (col + 0.5) * _column_step(row)


def cell_bounds(cell: str) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the cell, to draw it without naming any point inside."""
    lat, lon = cell_center(cell)
    half_lat = STEP_DEG / 2
    half_lon = _column_step(math.floor(lat / STEP_DEG)) / 2
    return lat - half_lat, lon - half_lon, lat + half_lat, lon + half_lon
