"""Areas of requests and alerts: a point and a radius, and who is inside one."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8


class AreaError(ValueError):
    """An area out of bounds; the message says which bound and what to send instead."""


@dataclass(frozen=True)
class Area:
    lat: float
    lon: float
    radius_m: int

    def check(self, max_radius_m: int) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            msg = (
                f"area: the center ({self.lat}, {self.lon}) is not on Earth; latitude must be "
                "-90..90 and longitude -180..180"
            )
            raise AreaError(msg)
        if not 1 <= self.radius_m <= max_radius_m:
            msg = (
                f"area: radius {self.radius_m} m is out of bounds; draw a circle of 1 to "
                f"{max_radius_m} m"
            )
            raise AreaError(msg)

    def contains(self, lat: float | None, lon: float | None) -> bool:
        if lat is None or lon is None:
            return False
        return distance_m(self.lat, self.lon, lat, lon) <= self.radius_m

    def bounds(self) -> tuple[float, float, float, float]:
        """(min lat, max lat, min lon, max lon) of a box around the circle, for an index scan."""
        dlat = math.degrees(self.radius_m / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(self.lat)), 1e-6)
        return self.lat - dlat, self.lat + dlat, self.lon - dlon, self.lon + dlon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
