"""Hotlist and safe-list exports as a person runs them: formula-looking text is neutralised
(store.spreadsheet) and the exported file imports back to the same values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotlist.lists import add_entry, create_hotlist, export_hotlist, get_hotlist, import_hotlist
from hotlist.safelists import add_safelist_entry, export_safelist, import_safelist
from org.registry import create_site
from platewatch.cli import app
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import HotlistEntry, SafelistEntry
from tests.store.formula_cells import FORMULA_CELLS

# One value per dangerous first character, plus one already quoted.
DANGEROUS = [*FORMULA_CELLS, "'=7+8"]
PLATES = [f"FX{n:04d}" for n in range(len(DANGEROUS))]


def _hotlist_entries(session: Session, name: str) -> list[tuple[str, str | None, str | None]]:
    hotlist = get_hotlist(session, name)
    query = select(HotlistEntry.plate, HotlistEntry.make, HotlistEntry.record_number).where(
        HotlistEntry.hotlist_id == hotlist.id
    )
    return sorted((plate, make, record) for plate, make, record in session.execute(query))


def _store_dangerous_hotlist(session: Session, name: str) -> None:
    create_hotlist(session, name)
    hotlist = get_hotlist(session, name)
    for plate, text in zip(PLATES, DANGEROUS, strict=True):
        # Written as a feed might leave them (the add path strips a leading tab or CR).
        session.add(
            HotlistEntry(
                hotlist_id=hotlist.id,
                plate=plate,
                reason="stolen_vehicle",
                make=text,
                model=text,
                color=text,
                record_number=text,
            )
        )
    session.flush()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _assert_neutralised(rows: list[dict[str, str]], fields: tuple[str, ...]) -> None:
    by_plate = {r["plate"]: r for r in rows}
    for plate, text in zip(PLATES, DANGEROUS, strict=True):
        for field in fields:
            cell = by_plate[plate][field]
            assert cell.startswith("'"), (field, cell)
            assert cell[1:] == text


def test_hotlist_export_neutralises_and_imports_back(session: Session) -> None:
    _store_dangerous_hotlist(session, "danger")
    add_entry(session, "danger", plate="OK1234", make="Ford", record_number="V1")
    out = io.StringIO()
    assert export_hotlist(session, "danger", out) == len(DANGEROUS) + 1
    rows = _rows(out.getvalue())
    _assert_neutralised(rows, ("make", "model", "color", "record_number"))
    assert {"plate": "OK1234", "make": "Ford", "record_number": "V1"}.items() <= next(
        r for r in rows if r["plate"] == "OK1234"
    ).items()
    report = import_hotlist(session, out.getvalue(), list_name="copy")
    assert report.imported == len(DANGEROUS) + 1 and not report.errors
    assert _hotlist_entries(session, "copy") == _hotlist_entries(session, "danger")
    # Importing the export into the list it came from finds nothing new.
    again = import_hotlist(session, out.getvalue(), list_name="danger")
    assert (again.imported, again.unchanged) == (0, len(DANGEROUS) + 1)


def test_safelist_export_neutralises_and_imports_back(session: Session) -> None:
    site = create_site(session, "Formula Court")
    for plate, text in zip(PLATES, DANGEROUS, strict=True):
        session.add(SafelistEntry(site_id=site.id, plate=plate, label=text, added_by="test"))
    session.flush()
    out = io.StringIO()
    assert export_safelist(session, site.id, out) == len(DANGEROUS)
    _assert_neutralised(_rows(out.getvalue()), ("label",))
    report = import_safelist(session, out.getvalue(), site=site.id, added_by="test", replace=True)
    assert (report.added, report.removed) == (len(DANGEROUS), len(DANGEROUS))
    query = select(SafelistEntry.plate, SafelistEntry.label).where(SafelistEntry.site_id == site.id)
    labels = dict(session.execute(query).all())
    assert labels == dict(zip(PLATES, DANGEROUS, strict=True))


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", url)
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    return make_session_factory(engine)()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_exports_round_trip(cli_db: Session, tmp_path: Path) -> None:
    _store_dangerous_hotlist(cli_db, "danger")
    site = create_site(cli_db, "Formula Court")
    for plate, text in zip(PLATES, DANGEROUS, strict=True):
        cli_db.add(SafelistEntry(site_id=site.id, plate=plate, label=text, added_by="test"))
    cli_db.commit()
    hot = tmp_path / "hot.csv"
    code, _, err = _run("hotlist", "export", "danger", "--output", str(hot))
    assert code == 0, err
    text = hot.read_bytes().decode("utf-8")
    _assert_neutralised(_rows(text), ("make", "model", "record_number"))
    code, out, err = _run("hotlist", "import", str(hot), "--list", "copy")
    assert code == 0, err + out
    safe = tmp_path / "safe.csv"
    code, _, err = _run("safelist", "export", "Formula Court", "--output", str(safe))
    assert code == 0, err
    _assert_neutralised(_rows(safe.read_bytes().decode("utf-8")), ("label",))
    code, out, err = _run("safelist", "import", str(safe), "--site", "Formula Court", "--replace")
    assert code == 0, err + out
    cli_db.expire_all()
    assert _hotlist_entries(cli_db, "copy") == _hotlist_entries(cli_db, "danger")
    query = select(SafelistEntry.plate, SafelistEntry.label)
    labels = dict(cli_db.execute(query).all())
    assert labels == dict(zip(PLATES, DANGEROUS, strict=True))
    cli_db.close()


def test_typed_values_are_stored_as_typed(session: Session) -> None:
    """The add path builds a one-row CSV; a typed quote or formula is kept exactly."""
    create_hotlist(session, "typed")
    for n, text in enumerate(["=1+1", "'=1+1", "''@x", "'Tis"]):
        entry = add_entry(session, "typed", plate=f"TY{n:04d}", make=text)
        assert entry.make == text
    site = create_site(session, "Typed Court")

    for n, text in enumerate(["-1", "'-1", "  '+x  "]):
        added = add_safelist_entry(session, site.id, f"TY{n:04d}", label=text, added_by="t")
        assert added.label == text.strip()
