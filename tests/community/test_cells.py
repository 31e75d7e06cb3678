from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.cells import STEP_DEG, cell_center, cell_of


@given(
    st.floats(min_value=-89.9, max_value=89.9),
    st.floats(min_value=-179.9, max_value=179.9),
)
def test_a_point_lies_within_half_a_cell_of_its_cells_centre(lat: float, lon: float) -> None:
    centre_lat, centre_lon = cell_center(cell_of(lat, lon))
    assert abs(centre_lat - lat) <= STEP_DEG / 2 + 1e-9
    # Columns are as wide in metres as rows are tall: 0.00135 deg of latitude, about 150 m.
    width = STEP_DEG / max(math.cos(math.radians(centre_lat)), 0.01)
    assert abs(centre_lon - lon) <= width / 2 + 1e-9
    assert cell_of(centre_lat, centre_lon) == cell_of(lat, lon)


def test_neighbours_150_m_apart_fall_in_different_cells() -> None:
    here = cell_of(37.77490, -122.41940)
    assert cell_of(37.77491, -122.41941) == here
    assert cell_of(37.77490 + 0.0014, -122.41940) != here
    assert here.startswith("c") and ":" in here


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        (91.0, 0.0, "latitude 91.0 is out of range; use decimal degrees from -90 to 90"),
        (0.0, -181.0, "longitude -181.0 is out of range; use decimal degrees from -180 to 180"),
        (math.nan, 0.0, "latitude nan is out of range"),
    ],
)
def test_points_off_the_earth_are_refused(lat: float, lon: float, message: str) -> None:
    with pytest.raises(ValueError, match="out of range") as caught:
        cell_of(lat, lon)
    assert str(caught.value).startswith(message)


def test_a_malformed_cell_id_says_what_one_looks_like() -> None:
    with pytest.raises(ValueError, match="cell ids look like c27812:-91034"):
        cell_center("27812,-91034")
