"""Coarse cells of about 150 m: what police see of a camera that is not listed.

Rows are 0.00135 degrees of latitude (about 150 m); columns are 0.00135 / cos(latitude of the
row) degrees of longitude, so a cell is about as wide as it is tall wherever it is.
"""

from __future__ import annotations

import math

CELL_DEG = 0.00135


def _col_width(row: int) -> float:
    lat = (row + 0.5) * CELL_DEG
    return CELL_DEG / max(math.cos(math.radians(lat)), 1e-6)


def cell_of(lat: float, lon: float) -> str:
    row = math.floor(lat / CELL_DEG)
    col = math.floor(lon / _col_width(row))
    return f"c{row}:{col}"


def cell_center(cell: str) -> tuple[float, float]:
    row_text, _, col_text = cell.removeprefix("c").partition(":")
    row, col = int(row_text), int(col_text)
    return (row + 0.5) * CELL_DEG, (col + 0.5) * _col_width(row)
