"""Reading a list file as a table: its encoding, its shape and where each field sits.

Structural problems (not UTF-8, wrong number of columns) are row errors like any other, so a
file is judged row by row and every bad line is reported, not just the first.
"""

from __future__ import annotations

import csv
import io
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, overload

Source = str | bytes | Path | BinaryIO
Format = Literal["csv", "delimited"]
_SURROGATE = re.compile("[\udc80-\udcff]")

_HEADER_ALIASES = {
    "license_plate": "plate",
    "plate_number": "plate",
    "lic": "plate",
    "tag": "plate",
    "plate_state": "state",
    "lic_state": "state",
    "region": "state",
    "colour": "color",
    "record": "record_number",
    "ncic_number": "record_number",
    "nic": "record_number",
    "entered": "entered_at",
    "expires": "expires_at",
    "expiry": "expires_at",
    "unit": "label",
}


@dataclass(frozen=True)
class RowError:
    """One bad row: where it is, which field, and what is wrong with it."""

    line: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: " + (f"{self.field}: " if self.field else "") + self.reason

    def located(self, file: object) -> str:
        """`file:line: field: reason`, the form editors and grep understand."""
        return f"{file}:{self.line}: " + (f"{self.field}: " if self.field else "") + self.reason


class _RowView(Sequence[list[str]]):
    """The rows of a table kept as columns, read back row by row (for the few rows the
    per-row parser looks at)."""

    def __init__(self, columns: list[list[str]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @overload
    def __getitem__(self, index: int) -> list[str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...
    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return [column[index] for column in self.columns]


@dataclass(frozen=True)
class _Records:
    """Rows with the right shape, their line numbers, and where each field sits (-1: absent);
    `columns` holds the same cells column by column when the reader split them that way."""

    lines: list[int]
    rows: Sequence[list[str]]
    at: tuple[int, ...]
    columns: list[list[str]] | None = None


def _records(
    source: Source,
    fmt: Format,
    columns: dict[str, str],
    delimiter: str | None,
    *,
    fields: tuple[str, ...],
    errors: list[RowError],
) -> _Records:
    """Read the table; rows that are blank, not UTF-8 or of the wrong width go to `errors`."""
    text, check_encoding = _decode(source)
    if not text.strip():
        # Most often a feed download that failed: importing it, even with --skip-invalid and
        # --replace, must not empty a list.
        need = "a header line and rows" if fmt == "csv" else "one row per plate"
        name = f"{source}: " if isinstance(source, Path) else ""
        msg = f"{name}the file is empty (it needs {need}); nothing was imported, check the download"
        raise ValueError(msg)
    sep = delimiter or ("," if fmt == "csv" else ";")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    first_line = 1
    header: list[str] | None = None
    if fmt == "csv":
        header = next(reader, [])
        positions = _header_positions(header, columns, fields)
        first_line = reader.line_num + 1
    else:
        positions = _delimited_positions(columns, fields)
    at = tuple(positions.get(field, -1) for field in fields)
    split = None if check_encoding else _split_plain(text, sep, header)
    if split is not None:
        count = len(split[0])
        return _Records(list(range(first_line, first_line + count)), _RowView(split), at, split)
    if '"' in text:
        # Quoted fields may span lines: ask the reader for each row's line.
        lines: list[int] = []
        rows: list[list[str]] = []
        for row in reader:
            lines.append(reader.line_num)
            rows.append(row)
    else:
        rows = list(reader)
        lines = list(range(first_line, first_line + len(rows)))
    expected = len(header) if header is not None else _first_width(rows)
    return _checked(lines, rows, at, expected, check_encoding=check_encoding, errors=errors)


def _checked(
    lines: list[int],
    rows: list[list[str]],
    at: tuple[int, ...],
    expected: int,
    *,
    check_encoding: bool,
    errors: list[RowError],
) -> _Records:
    """The rows of the right width and encoding; blank ones dropped, the others errors."""
    widths = set(map(len, rows))
    if widths == {expected} and not check_encoding:
        return _Records(lines, rows, at)
    good_lines: list[int] = []
    good_rows: list[list[str]] = []
    for line, row in zip(lines, rows, strict=True):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if check_encoding and any(_SURROGATE.search(cell) for cell in row):
            errors.append(
                RowError(
                    line, None, "bad encoding: the line is not valid UTF-8; save the file as UTF-8"
                )
            )
        elif len(row) != expected:
            errors.append(
                RowError(line, None, f"wrong column count: {len(row)} columns, expected {expected}")
            )
        else:
            good_lines.append(line)
            good_rows.append(row)
    return _Records(good_lines, good_rows, at)


def _split_plain(text: str, sep: str, header: list[str] | None) -> list[list[str]] | None:
    """The table as columns, if it is plain: no quotes, `\n` line ends, no blank lines and
    the same number of fields on every line. Such a table splits with two string methods
    in C, without the csv module's list per row; anything else returns None and goes
    through the csv reader."""
    if '"' in text or "\r" in text or not text.endswith("\n"):
        return None
    body = text.split("\n", 1)[1] if header is not None else text
    if not body:
        return None
    lines = body[:-1].split("\n")
    seps = set(map(operator.methodcaller("count", sep), lines))
    if len(seps) != 1 or "" in lines:
        return None
    fields = seps.pop() + 1
    if header is not None and fields != len(header):
        return None
    cells = body[:-1].replace("\n", sep).split(sep)
    return [cells[k::fields] for k in range(fields)]


def _first_width(rows: list[list[str]]) -> int:
    for row in rows:
        if row and not (len(row) == 1 and not row[0].strip()):
            return len(row)
    return 0


def _decode(source: Source) -> tuple[str, bool]:
    """The text, and whether some lines were not UTF-8 (they carry surrogate escapes)."""
    if isinstance(source, str):
        return source, False
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="surrogateescape"), True


def _header_positions(
    header: list[str], columns: dict[str, str], fields: tuple[str, ...]
) -> dict[str, int]:
    names = [h.strip().lower().replace(" ", "_") for h in header]
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        field = _HEADER_ALIASES.get(name, name)
        if field in fields and field not in positions:
            positions[field] = i
    for field, column in columns.items():
        _known(field, fields)
        wanted = column.strip().lower().replace(" ", "_")
        if wanted not in names:
            msg = (
                f"column map {field}={column}: the header has no column {column!r} "
                f"(it has {', '.join(header)})"
            )
            raise ValueError(msg)
        positions[field] = names.index(wanted)
    if "plate" not in positions:
        msg = (
            f"the header has no plate column (it has {', '.join(header)}); name it "
            "`plate` or map it with --columns plate=COLUMN"
        )
        raise ValueError(msg)
    return positions


def _delimited_positions(columns: dict[str, str], fields: tuple[str, ...]) -> dict[str, int]:
    if not columns:
        return {field: i for i, field in enumerate(fields)}
    positions: dict[str, int] = {}
    for field, column in columns.items():
        _known(field, fields)
        if not column.isdigit() or int(column) < 1:
            msg = (
                f"column map {field}={column}: a delimited feed has no header, so "
                "give the 1-based position (e.g. plate=1,state=2)"
            )
            raise ValueError(msg)
        positions[field] = int(column) - 1
    if "plate" not in positions:
        msg = "the column map has no plate position; add plate=N"
        raise ValueError(msg)
    return positions


def _known(field: str, fields: tuple[str, ...]) -> None:
    if field not in fields:
        msg = f"unknown field {field!r} in the column map; known: {', '.join(fields)}"
        raise ValueError(msg)


def parse_column_map(spec: str | None) -> dict[str, str]:
    """`plate=LicPlate,state=2` to {"plate": "LicPlate", "state": "2"}."""
    if not spec:
        return {}
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            msg = f"column map part {part!r} is not FIELD=COLUMN (e.g. plate=LicPlate)"
            raise ValueError(msg)
        mapping[field.strip().lower()] = column.strip()
    return mapping
