"""Every bad row of a feed is reported with its line and reason, and nothing else is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotlist.parse import parse_column_map, parse_hotlist, parse_safelist_csv

HEADER = "plate,state,reason,make,model,color,record_number,entered_at,expires_at\n"


def test_clean_feed_parses_every_field() -> None:
    result = parse_hotlist(HEADER + "abc-1234,ca,Stolen,Honda,Civic,Blue,N1,2024-05-01,20250101\n")
    assert result.ok and result.total == 1
    row = result.rows[0]
    assert (row.line, row.plate, row.state, row.reason) == (2, "ABC1234", "CA", "stolen_vehicle")
    assert (row.make, row.model, row.color, row.record_number) == ("Honda", "Civic", "Blue", "N1")
    assert row.entered_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert row.expires_at == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (",CA,,,,,,,", "plate", "empty plate"),
        ("  --  ,CA,,,,,,,", "plate", "empty plate"),
        ("ABCDEFGHIJK,CA,,,,,,,", "plate", "plate too long (11 characters; at most 10)"),
        ("ABC123,XX,,,,,,,", "state", "unknown state code 'XX'"),
        ("ABC123,CA,,,,,,2024-02-30,", "entered_at", "bad date '2024-02-30'"),
        ("ABC123,CA,,,,,,,next week", "expires_at", "bad date 'next week'"),
        ("ABC123,CA,,,,,,2024-05-01,2024-01-01", "expires_at", "expires before it was entered"),
        ("ABC123,CA,joyride,,,,,,", "reason", "unknown reason 'joyride'"),
        ("ABÇ123,CA,,,,,,,", "plate", "has characters other than A-Z"),
        ("A*,CA,,,,,,,", "plate", "wildcard plate 'A*' has 1 known characters"),
    ],
)
def test_each_bad_row_is_reported_with_line_field_and_reason(
    line: str, field: str, message: str
) -> None:
    result = parse_hotlist(HEADER + "GOOD123,CA,,,,,,,\n" + line + "\n")
    assert [r.plate for r in result.rows] == ["GOOD123"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.line, error.field) == (3, field)
    assert message in error.reason
    assert str(error).startswith(f"line 3: {field}: ")


def test_wrong_column_count_and_bad_encoding_name_their_lines() -> None:
    data = (
        (HEADER + "GOOD123,CA,,,,,,,\nSHORT1,CA\n").encode()
        + "BAD\xe9\xff,CA,,,,,,,\n".encode("latin-1")
        + b"LAST123,NY,,,,,,,\n"
    )
    result = parse_hotlist(data)
    assert [r.plate for r in result.rows] == ["GOOD123", "LAST123"]
    assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [
        (3, "wrong column count"),
        (4, "bad encoding"),
    ]
    assert "2 columns, expected 9" in result.errors[0].reason
    assert result.total == 4


def test_every_bad_row_is_listed_not_just_the_first() -> None:
    rows = "".join(",CA,,,,,,,\n" if i % 2 else f"P{i:05d},CA,,,,,,,\n" for i in range(200))
    result = parse_hotlist(HEADER + rows)
    assert len(result.errors) == 100 and len(result.rows) == 100
    assert [e.line for e in result.errors] == list(range(3, 202, 2))


def test_duplicate_rows_point_at_the_first() -> None:
    result = parse_hotlist(HEADER + "ABC123,CA,,,,,N1,,\nabc 123,ca,,,,,N1,,\nABC123,NY,,,,,N1,,\n")
    assert [(e.line, e.reason) for e in result.errors] == [(3, "duplicate of line 2")]
    assert len(result.rows) == 2


def test_delimited_feed_with_column_map() -> None:
    feed = "X;ABC 123;CA;1\nY;ZZ9999;BRA;2\n"
    result = parse_hotlist(
        feed, fmt="delimited", columns=parse_column_map("plate=2,state=3,record_number=4")
    )
    assert [(r.plate, r.state, r.record_number) for r in result.rows] == [
        ("ABC123", "CA", "1"),
        ("ZZ9999", "BRA", "2"),
    ]


def test_csv_column_map_renames_headers() -> None:
    result = parse_hotlist(
        "Tag Number,Lic State\nABC123,TX\n",
        columns=parse_column_map("plate=Tag Number,state=Lic State"),
    )
    assert [(r.plate, r.state) for r in result.rows] == [("ABC123", "TX")]


def test_missing_plate_column_and_bad_maps_are_explained() -> None:
    with pytest.raises(ValueError, match="no plate column"):
        parse_hotlist("number,state\nA,CA\n")
    with pytest.raises(ValueError, match="give the 1-based position"):
        parse_hotlist("A;B\n", fmt="delimited", columns={"plate": "tag"})
    with pytest.raises(ValueError, match="not FIELD=COLUMN"):
        parse_column_map("plate")
    with pytest.raises(ValueError, match="unknown field 'vin'"):
        parse_hotlist("plate,vin\nA,1\n", columns={"vin": "vin"})


def test_safelist_rules_match_and_forbid_wildcards() -> None:
    result = parse_safelist_csv("plate,state,label\nRES 1,CA,Unit 4\nAB*1,,\n,CA,\nRES1,CA,\n")
    assert [(r.plate, r.label) for r in result.rows] == [("RES1", "Unit 4")]
    assert [(e.line, e.field) for e in result.errors] == [(3, "plate"), (4, "plate"), (5, "plate")]
    assert "no `?` or `*`" in result.errors[0].reason
    assert result.errors[2].reason == "duplicate of line 2"


CELLS = st.text(alphabet=st.sampled_from(list("AB1 ?-é,\t")), max_size=6)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=9, max_size=9), min_size=1, max_size=12))
def test_the_fast_column_split_agrees_with_the_csv_reader(rows: list[list[str]]) -> None:
    # Without quotes and with \n line ends the table is split column-wise in C; a \r\n file
    # goes through the csv module. Both must give the same rows and the same errors.
    lines = [",".join(cell.replace(",", "") for cell in row) for row in rows]
    plain = parse_hotlist(HEADER + "".join(line + "\n" for line in lines))
    crlf = parse_hotlist(HEADER.replace("\n", "\r\n") + "".join(line + "\r\n" for line in lines))
    assert plain.rows == crlf.rows
    assert plain.errors == crlf.errors
    assert plain.total == crlf.total


def test_a_plate_that_needs_normalizing_keeps_its_place_among_plain_ones() -> None:
    result = parse_hotlist(HEADER + "AAA111,CA,,,,,,,\nbb-222,CA,,,,,,,\nCCC333,CA,,,,,,,\n")
    assert [(r.line, r.plate) for r in result.rows] == [(2, "AAA111"), (3, "BB222"), (4, "CCC333")]
