"""Following a table by id without losing rows that commit out of id order.

PostgreSQL hands out ids at insert, not at commit: while one transaction holding id 10 is
still open, id 11 can commit and be read, and a plain `id > last` cursor would then skip 10
for good. The cursor rereads a window below its high-water mark and remembers what it has
already handed out there.
"""

from __future__ import annotations

from collections.abc import Iterable

LOOKBACK = 200


class IdCursor:
    def __init__(self, floor: int = 0, lookback: int = LOOKBACK) -> None:
        self.floor = floor  # ids at or below it are never handed out
        self.high = floor
        self.lookback = lookback
        self._seen: set[int] = set()

    @property
    def low(self) -> int:
        """Read ids above this; everything at or below it is settled."""
        return max(self.floor, self.high - self.lookback)

    def window(self, batch: int) -> int:
        """How many ids (ascending from `low`) to read so that `batch` new ones fit: the
        lookback window can be full of ids already handed out, and a smaller limit would
        return only those, forever."""
        return self.lookback + batch

    def take(self, ids: Iterable[int]) -> list[int]:
        """The ids not handed out before, ascending; remembers them."""
        fresh = sorted({i for i in ids if i > self.floor and i not in self._seen})
        if fresh:
            self.high = max(self.high, fresh[-1])
        self._seen.update(fresh)
        low = self.low
        self._seen = {i for i in self._seen if i > low}
        return fresh
