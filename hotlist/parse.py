"""Reading hotlist feeds and safe-list files, and saying exactly which rows are bad and why.

One parser for the CLI and the web console: it never touches the database, and a row either
becomes a typed value or a `RowError` with its line, field and reason. Callers decide whether
any error rejects the whole file (the default) or only the bad rows (`--skip-invalid`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, NamedTuple, TypeVar, cast

from hotlist.parse_columns import (
    BAD,
    Columns,
    build_rows,
    by_distinct,
    doubtful_plates,
    ends_before_start,
    marked,
    paused_gc,
    text_column,
    too_long,
)
from hotlist.plates import MAX_PLATE_LENGTH, is_wildcard, normalize_entry_plate
from hotlist.table_reader import Format, RowError, Source, _Records, _records, parse_column_map
from org.regions import state_code
from store.spreadsheet import unescape_cell

__all__ = [
    "HOTLIST_FIELDS",
    "REASONS",
    "SAFELIST_FIELDS",
    "Format",
    "HotlistRow",
    "ParseResult",
    "RowError",
    "SafelistRow",
    "Source",
    "parse_column_map",
    "parse_hotlist",
    "parse_safelist_csv",
    "paused_gc",
]

REASONS = (
    "stolen_vehicle",
    "stolen_plate",
    "wanted_person",
    "missing_person",
    "amber_alert",
    "silver_alert",
    "protection_order",
    "other",
)
_REASON_ALIASES = {
    "stolen": "stolen_vehicle",
    "amber": "amber_alert",
    "wanted": "wanted_person",
    "missing": "missing_person",
    "silver": "silver_alert",
    "custom": "other",
}
HOTLIST_FIELDS = (
    "plate",
    "state",
    "reason",
    "make",
    "model",
    "color",
    "record_number",
    "entered_at",
    "expires_at",
)
SAFELIST_FIELDS = ("plate", "state", "label", "expires_at")
_TEXT_LIMITS = {"make": 40, "model": 40, "color": 30, "record_number": 40, "label": 100}
PROGRESS_EVERY = 50_000


class HotlistRow(NamedTuple):
    """A valid hotlist row (a NamedTuple: a million of them are built per feed refresh)."""

    line: int
    plate: str
    state: str | None
    reason: str
    make: str | None
    model: str | None
    color: str | None
    record_number: str | None
    entered_at: datetime | None
    expires_at: datetime | None


class SafelistRow(NamedTuple):
    line: int
    plate: str
    state: str | None
    label: str
    expires_at: datetime | None


RowT = TypeVar("RowT", HotlistRow, SafelistRow)


@dataclass(frozen=True)
class ParseResult(Generic[RowT]):
    rows: tuple[RowT, ...]
    errors: tuple[RowError, ...]
    total: int  # data rows seen, good and bad

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_hotlist(
    source: Source,
    *,
    fmt: Format = "csv",
    columns: dict[str, str] | None = None,
    delimiter: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ParseResult[HotlistRow]:
    """Parse a hotlist feed: CSV with a header, or a delimited feed with a column map."""
    with paused_gc():
        return _parse_hotlist(source, fmt, columns, delimiter, progress)


def _parse_hotlist(
    source: Source,
    fmt: Format,
    columns: dict[str, str] | None,
    delimiter: str | None,
    progress: Callable[[int], None] | None,
) -> ParseResult[HotlistRow]:
    errors: list[RowError] = []
    fields = _Fields(errors)
    records = _records(source, fmt, columns or {}, delimiter, fields=HOTLIST_FIELDS, errors=errors)
    total = len(records.rows) + len(errors)
    built, doubtful = _fast_hotlist_rows(records, fields)
    if progress is not None:
        progress(total)
    for i in sorted(doubtful):
        # The per-row path says what is wrong (or normalizes a plate such as `abc-123`).
        built[i] = _hotlist_row(records.lines[i], records.rows[i], records.at, fields)
    rows = cast(list[HotlistRow], list(filter(None, built)) if doubtful else built)
    rows = _without_duplicates(rows, errors)
    return ParseResult(tuple(rows), tuple(sorted(errors, key=lambda e: e.line)), total)


_KEY = operator.itemgetter(1, 2, 7, 3)  # plate, state, record number, reason
_PLATE = operator.itemgetter(1)


def _without_duplicates(rows: list[HotlistRow], errors: list[RowError]) -> list[HotlistRow]:
    """Rows with the same plate, state, record number and reason as an earlier row become
    errors pointing at the first."""
    # Plates alone are nearly always distinct, and far cheaper to compare than 4-tuples.
    if len(set(map(_PLATE, rows))) == len(rows) or len(set(map(_KEY, rows))) == len(rows):
        return rows
    kept: list[HotlistRow] = []
    seen: dict[tuple[str, str | None, str | None, str], int] = {}
    for row in rows:
        first = seen.setdefault(_KEY(row), row.line)
        if first != row.line:
            errors.append(RowError(row.line, "plate", f"duplicate of line {first}"))
        else:
            kept.append(row)
    return kept


def _fast_hotlist_rows(
    records: _Records, fields: _Fields
) -> tuple[list[HotlistRow | None], set[int]]:
    """Rows built column by column, and the rows any check doubts (their slot is None; the
    per-row path looks at them again)."""
    table = Columns(records.rows, records.columns)
    at = records.at
    plates = table[at[0]]
    doubtful = doubtful_plates(plates)
    state, bad_state = by_distinct(table[at[1]], fields.state_value)
    reason, bad_reason = by_distinct(table[at[2]], fields.reason_value)
    entered, bad_entered = by_distinct(table[at[7]], fields.date_value)
    expires, bad_expires = by_distinct(table[at[8]], fields.date_value)
    for values, bad in ((state, bad_state), (reason, bad_reason), (entered, bad_entered)):
        if bad:
            doubtful.update(marked(values))
    if bad_expires:
        doubtful.update(marked(expires))
    doubtful.update(ends_before_start(entered, expires))
    texts = []
    for k, name in ((3, "make"), (4, "model"), (5, "color"), (6, "record_number")):
        raw = table[at[k]]
        values, long = text_column(raw, _TEXT_LIMITS[name])
        if long:
            doubtful.update(too_long(raw, _TEXT_LIMITS[name]))
        texts.append(values)
    columns = [records.lines, plates, state, reason, *texts, entered, expires]
    built: list[HotlistRow | None] = list(build_rows(HotlistRow, columns))
    for i in doubtful:
        built[i] = None
    return built, doubtful


def parse_safelist_csv(
    source: Source,
    *,
    columns: dict[str, str] | None = None,
    delimiter: str | None = None,
) -> ParseResult[SafelistRow]:
    """Parse a safe-list CSV (plate, state, label, expires_at) with the hotlist's rules."""
    rows: list[SafelistRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | None], int] = {}
    fields = _Fields(errors)
    records = _records(
        source, "csv", columns or {}, delimiter, fields=SAFELIST_FIELDS, errors=errors
    )
    total = len(records.rows) + len(errors)
    for line, values in zip(records.lines, records.rows, strict=True):
        row = _safelist_row(line, values, records.at, fields)
        if row is None:
            continue
        first = seen.setdefault((row.plate, row.state), line)
        if first != line:
            errors.append(RowError(line, "plate", f"duplicate of line {first}"))
            continue
        rows.append(row)
    return ParseResult(tuple(rows), tuple(sorted(errors, key=lambda e: e.line)), total)


class _Fields:
    """Validates field values, remembering the verdict for values that repeat (states,
    reasons, dates): a million-row feed has only a few thousand distinct ones."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        self._states: dict[str, str | ValueError | None] = {}
        self._reasons: dict[str, str | None] = {}
        self._dates: dict[str, datetime | None] = {}

    def state_value(self, raw: str) -> object:
        try:
            return state_code(raw)
        except ValueError:
            return BAD

    def reason_value(self, raw: str) -> object:
        text = raw.strip().lower().replace(" ", "_").replace("-", "_") or "stolen_vehicle"
        text = _REASON_ALIASES.get(text, text)
        return text if text in REASONS else BAD

    def date_value(self, raw: str) -> object:
        if not raw.strip():
            return None
        value = _parse_date(raw)
        return BAD if value is None else value

    def plate(self, line: int, raw: str, *, allow_wildcard: bool) -> str | None:
        if _plain_plate(raw):
            return raw
        try:
            plate = normalize_entry_plate(raw)
        except ValueError as exc:
            self.errors.append(RowError(line, "plate", str(exc)))
            return None
        if not allow_wildcard and is_wildcard(plate):
            self.errors.append(
                RowError(
                    line, "plate", f"{plate!r}: safe-list plates must be complete (no `?` or `*`)"
                )
            )
            return None
        return plate

    def state(self, line: int, raw: str) -> str | None:
        verdict = self._states.get(raw, _MISSING)
        if verdict is _MISSING:
            try:
                verdict = state_code(raw)
            except ValueError as exc:
                verdict = exc
            self._states[raw] = verdict
        if isinstance(verdict, ValueError):
            self.errors.append(RowError(line, "state", str(verdict)))
            return None
        return verdict  # type: ignore[return-value]

    def reason(self, line: int, raw: str) -> str | None:
        if raw not in self._reasons:
            text = raw.strip().lower().replace(" ", "_").replace("-", "_") or "stolen_vehicle"
            text = _REASON_ALIASES.get(text, text)
            self._reasons[raw] = text if text in REASONS else None
        reason = self._reasons[raw]
        if reason is None:
            self.errors.append(
                RowError(
                    line,
                    "reason",
                    f"unknown reason {raw.strip()!r}: use one of {', '.join(REASONS)}",
                )
            )
        return reason

    def text(self, line: int, field: str, raw: str) -> str | None:
        text = unescape_cell(raw.strip())
        if len(text) > _TEXT_LIMITS[field]:
            self.errors.append(
                RowError(
                    line, field, f"too long ({len(text)} characters; at most {_TEXT_LIMITS[field]})"
                )
            )
        return text or None

    def date(self, line: int, field: str, raw: str) -> datetime | None:
        if not raw:
            return None
        if raw not in self._dates:
            if len(self._dates) > 100_000:
                self._dates.clear()
            self._dates[raw] = _parse_date(raw)
        value = self._dates[raw]
        if value is None:
            self.errors.append(
                RowError(
                    line,
                    field,
                    f"bad date {raw.strip()!r}: use YYYY-MM-DD, "
                    "YYYYMMDD or an ISO 8601 time such as "
                    "2024-05-01T13:00:00Z",
                )
            )
        return value


_MISSING = object()


def _plain_plate(text: str) -> bool:
    """Already normalized: 1-10 of A-Z and 0-9 (string methods beat a regex here)."""
    return (
        len(text) <= MAX_PLATE_LENGTH
        and text.isalnum()
        and text.isascii()
        and (text.isupper() or text.isdigit())
    )


def _parse_date(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    # Feeds without a zone are taken as UTC, the zone every platewatch time is kept in.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _cell(row: list[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def _hotlist_row(line: int, row: list[str], at: tuple[int, ...], f: _Fields) -> HotlistRow | None:
    before = len(f.errors)
    plate = f.plate(line, _cell(row, at[0]), allow_wildcard=True)
    state = f.state(line, _cell(row, at[1]))
    reason = f.reason(line, _cell(row, at[2]))
    make = f.text(line, "make", _cell(row, at[3]))
    model = f.text(line, "model", _cell(row, at[4]))
    color = f.text(line, "color", _cell(row, at[5]))
    record = f.text(line, "record_number", _cell(row, at[6]))
    entered = f.date(line, "entered_at", _cell(row, at[7]))
    expires = f.date(line, "expires_at", _cell(row, at[8]))
    if entered and expires and expires < entered:
        f.errors.append(RowError(line, "expires_at", "expires before it was entered"))
    if len(f.errors) != before or plate is None or reason is None:
        return None
    return HotlistRow(line, plate, state, reason, make, model, color, record, entered, expires)


def _safelist_row(line: int, row: list[str], at: tuple[int, ...], f: _Fields) -> SafelistRow | None:
    before = len(f.errors)
    plate = f.plate(line, _cell(row, at[0]), allow_wildcard=False)
    state = f.state(line, _cell(row, at[1]))
    label = f.text(line, "label", _cell(row, at[2])) or ""
    expires = f.date(line, "expires_at", _cell(row, at[3]))
    if len(f.errors) != before or plate is None:
        return None
    return SafelistRow(line, plate, state, label, expires)
