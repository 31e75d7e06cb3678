"""The commands as a person runs them, against a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hotlist.ingest import ingest_read
from hotlist.matcher import Matcher
from hotlist.settings import MatchSettings
from platewatch.cli import app
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import Alert
from tests.hotlist.conftest import make_read


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", url)
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    return tmp_path


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_import_rejects_bad_rows_then_matches_reads(env: Path) -> None:
    assert run("site", "add", "Oak Ridge HOA")[0] == 0
    assert run("camera", "add", "gate-1", "--site", "Oak Ridge HOA")[0] == 0
    bad = env / "bad.csv"
    bad.write_text("plate,state\nABC1234,CA\n,CA\nXYZ999,QQ\n", encoding="utf-8")
    code, _, err = run("hotlist", "import", str(bad), "--list", "NCIC")
    assert code == 1
    assert f"{bad}:3: plate: empty plate" in err
    assert f"{bad}:4: state: unknown state code 'QQ'" in err
    assert "nothing was imported" in err
    code, out, _ = run("hotlist", "list")
    assert "NCIC" not in out
    code, out, _ = run("hotlist", "import", str(bad), "--list", "NCIC", "--skip-invalid")
    assert code == 0 and "1 entries imported" in out and "2 invalid rows skipped" in out
    feed = env / "feed.txt"
    feed.write_text("ABC1234;CA;N1\nRES777;CA;N2\n", encoding="utf-8")
    code, out, _ = run(
        "hotlist",
        "import",
        str(feed),
        "--list",
        "NCIC",
        "--format",
        "delimited",
        "--columns",
        "plate=1,state=2,record_number=3",
        "--replace",
    )
    assert code == 0 and "2 entries imported, 1 removed" in out
    safe = env / "safe.csv"
    safe.write_text("plate,label\nRES777,Unit 4\n", encoding="utf-8")
    assert run("safelist", "import", str(safe), "--site", "Oak Ridge HOA")[0] == 0
    lines = (
        "\n".join(
            [
                json.dumps(
                    {
                        "source": "a.jpg",
                        "plate": "ABC1234",
                        "confidence": 0.99,
                        "box": [1, 2, 3, 4],
                        "region": "us",
                        "elapsed_ms": 12,
                    }
                ),
                json.dumps({"plate": "RES777", "confidence": 0.99, "camera": "gate-1"}),
                json.dumps({"plate": "ZZZ999", "confidence": 0.99}),
            ]
        )
        + "\n"
    )
    code, out, _ = run("hotlist", "match", "--json", stdin=lines)
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["decision"] for r in results] == ["alert", "alert", "none"]
    assert results[0]["matches"][0] | {"score": 0} == {
        "entry_plate": "ABC1234",
        "entry_state": "CA",
        "list": "NCIC",
        "kind": "exact",
        "score": 0,
        "substitutions": 0,
        "state_mismatch": False,
        "decision": "alert",
    }
    assert results[1]["resident"] is True  # still alerts: NCIC is not the site's own list
    code, out, _ = run("hotlist", "export", "NCIC")
    assert out.splitlines()[1:] == [
        "ABC1234,CA,stolen_vehicle,,,,N1,,",
        "RES777,CA,stolen_vehicle,,,,N2,,",
    ]


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff  \r\n"], ids=["empty", "blank", "bom"])
@pytest.mark.parametrize("fmt", ["csv", "delimited"])
def test_an_empty_feed_is_refused_and_the_list_kept(env: Path, content: str, fmt: str) -> None:
    good = env / "good.csv"
    good.write_text("plate,state\nABC1234,CA\n", encoding="utf-8")
    assert run("hotlist", "import", str(good), "--list", "NCIC")[0] == 0
    empty = env / "feed.csv"
    empty.write_text(content, encoding="utf-8")
    code, out, err = run(
        "hotlist",
        "import",
        str(empty),
        "--list",
        "NCIC",
        "--format",
        fmt,
        "--replace",
        "--skip-invalid",
    )
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"error: {empty}: the file is empty "
        f"(it needs {'a header line and rows' if fmt == 'csv' else 'one row per plate'}); "
        "nothing was imported, check the download"
    ]
    assert "Traceback" not in err
    code, out, _ = run("hotlist", "show", "NCIC")
    assert code == 0 and "ABC1234" in out


def test_import_and_add_look_back_as_far_as_retention_keeps_reads(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("agency", "add", "Springfield PD")[0] == 0
    assert run("site", "add", "Oak Ridge HOA")[0] == 0
    assert run("site", "share", "Oak Ridge HOA", "Springfield PD")[0] == 0
    assert run("camera", "add", "gate-1", "--site", "Oak Ridge HOA")[0] == 0
    engine = make_engine(f"sqlite:///{env / 'pw.db'}")
    with make_session_factory(engine).begin() as session:
        for plate in ("ABC1234", "XYZ9876"):
            read = make_read(plate, at=datetime.now(UTC) - timedelta(days=10))
            ingest_read(session, read, Matcher(None), MatchSettings())
    engine.dispose()
    feed = env / "feed.csv"
    feed.write_text("plate,state\nABC1234,CA\n", encoding="utf-8")
    monkeypatch.setenv("PLATEWATCH_RETENTION__IMAGE_DAYS", "7")
    code, out, _ = run("hotlist", "import", str(feed), "--list", "NCIC")
    assert code == 0 and "historical" not in out
    monkeypatch.delenv("PLATEWATCH_RETENTION__IMAGE_DAYS")
    feed.write_text("plate,state\nABC1234,NV\n", encoding="utf-8")
    code, out, _ = run("hotlist", "import", str(feed), "--list", "NCIC")
    assert code == 0 and "; 1 historical alerts from stored reads" in out
    assert run("hotlist", "add", "NCIC", "XYZ9876")[0] == 0
    engine = make_engine(f"sqlite:///{env / 'pw.db'}")
    with make_session_factory(engine)() as session:
        found = session.execute(select(Alert.entry_plate, Alert.historical)).all()
    engine.dispose()
    assert sorted(found) == [("ABC1234", True), ("XYZ9876", True)]
