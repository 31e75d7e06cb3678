"""Validating a million-row feed column by column, at C speed.

Each check is a whole-column operation (a `map` over a list, a set of distinct values, a
numpy scan of the plates' bytes) instead of a Python call per cell. A row that any check
doubts is only flagged here: the per-row parser looks at it again and explains exactly what
is wrong, so the fast path never has to produce an error message itself.
"""

from __future__ import annotations

import gc
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, cast

import numpy as np

from hotlist.plates import MAX_PLATE_LENGTH
from store.spreadsheet import QUOTE, unescape_cell

BAD = object()  # a verdict: this value does not pass; the row is doubtful
T = TypeVar("T")


def _plain_bytes() -> np.ndarray[Any, np.dtype[np.bool_]]:
    table = np.zeros(256, dtype=bool)
    for ch in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        table[ch] = True
    return table


_PLAIN = _plain_bytes()


class Columns:
    """The cells of a table as one tuple per column (a transposition done in C)."""

    def __init__(self, rows: Sequence[list[str]], columns: Sequence[Sequence[str]] | None) -> None:
        self.count = len(rows)
        if columns is None:
            columns = list(zip(*rows, strict=True)) if rows else []
        self._columns = columns
        self._width = len(columns) if self.count else 0
        self._empty = ("",) * self.count

    def __getitem__(self, index: int) -> Sequence[str]:
        """A column by position; an absent one (-1, or past the row's end) reads as empty."""
        return self._columns[index] if 0 <= index < self._width else self._empty


def doubtful_plates(plates: Sequence[str]) -> set[int]:
    """Rows whose plate is not already 1-10 of A-Z and 0-9 (those need normalizing, are
    wildcards, or are wrong)."""
    count = len(plates)
    if not count:
        return set()
    lengths = np.fromiter(map(len, plates), dtype=np.int64, count=count)
    # One byte per character: anything outside ASCII becomes "?", which is not plain.
    data = np.frombuffer("".join(plates).encode("ascii", errors="replace"), dtype=np.uint8)
    bad_chars = np.flatnonzero(~_PLAIN[data])
    rows = np.searchsorted(np.cumsum(lengths), bad_chars, side="right")
    bad_lengths = np.flatnonzero((lengths == 0) | (lengths > MAX_PLATE_LENGTH))
    return set(rows.tolist()) | set(bad_lengths.tolist())


def by_distinct(values: Sequence[str], check: Callable[[str], object]) -> tuple[list[Any], bool]:
    """Each value's verdict, checking each distinct value once; and whether any was BAD."""
    verdicts = {value: check(value) for value in set(values)}
    any_bad = any(v is BAD for v in verdicts.values())
    return list(map(verdicts.__getitem__, values)), any_bad


def text_column(values: Sequence[str], limit: int) -> tuple[list[str | None], bool]:
    """Stripped text, None for empty; and whether some value may be too long. A cell our
    export neutralised (`'=...`, see store.spreadsheet) is read back as it was."""
    too_long = max(map(len, values), default=0) > limit
    stripped = list(map(str.strip, values))
    if any(map(operator.methodcaller("startswith", QUOTE), stripped)):
        stripped = list(map(unescape_cell, stripped))
    if "" not in stripped:
        return stripped, too_long  # type: ignore[return-value]
    if not any(stripped):
        return [None] * len(stripped), too_long
    return [s or None for s in stripped], too_long


def marked(values: Sequence[object]) -> list[int]:
    """Positions of BAD verdicts."""
    return [i for i, v in enumerate(values) if v is BAD]


def too_long(values: Sequence[str], limit: int) -> list[int]:
    return [i for i, v in enumerate(values) if len(v) > limit]


def ends_before_start(entered: Sequence[object], expires: Sequence[object]) -> list[int]:
    """Rows whose expiry is before their entry (only looked at when both columns have dates)."""
    if not any(isinstance(v, datetime) for v in set(expires)):
        return []
    if not any(isinstance(v, datetime) for v in set(entered)):
        return []
    return [
        i
        for i, (en, ex) in enumerate(zip(entered, expires, strict=True))
        if isinstance(en, datetime) and isinstance(ex, datetime) and ex < en
    ]


def build_rows(kind: type[T], columns: Sequence[Sequence[object]]) -> list[T]:
    """Tuples of a NamedTuple class from its columns, without a Python call per row."""
    make = cast(Callable[[tuple[object, ...]], T], partial(tuple.__new__, kind))
    return list(map(make, zip(*columns, strict=True)))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while building a million small tuples: it would otherwise
    walk the growing list again and again, doubling the time of a feed import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
