"""Admins' hotlists and legal holds over the API: who may call each endpoint, what each change
writes (and audits, as the user or token), and that an import through the console reports
exactly the bad rows `platewatch hotlist import` reports for the same file."""

from __future__ import annotations

import getpass
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from console.app import create_app
from platewatch.cli import app as cli_app
from store.tables import AuditEvent, Hotlist, HotlistEntry
from tests.console.conftest import Caller, LiveServer, World, finished_job, token_headers

BAD_FILE = (
    "plate,state,reason\n"
    "GOOD01,CA,stolen_vehicle\n"
    ",CA,stolen_vehicle\n"
    "BAD002,QQ,stolen_vehicle\n"
    "GOOD03,CA,no_such_reason\n"
    "GOOD04,NV,stolen_plate\n"
)
_names = itertools.count()


def _new_list(admin: Caller, **body: Any) -> dict[str, Any]:
    created = admin.post("/api/admin/hotlists", json={"name": f"adm-{next(_names)}", **body})
    assert created.status_code == 201, created.text
    hotlist: dict[str, Any] = created.json()
    return hotlist


def _upload(
    admin: Caller, hotlist_id: int, text: str, *, refresh: bool = False, **form: Any
) -> httpx.Response:
    action = "refresh" if refresh else "import"
    return admin.post(
        f"/api/admin/hotlists/{hotlist_id}/{action}",
        files={"file": ("feed.csv", text.encode(), "text/csv")},
        data={k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
    )


def _plates(world: World, hotlist_id: int) -> set[str]:
    with world.session() as s:
        query = select(HotlistEntry.plate).where(HotlistEntry.hotlist_id == hotlist_id)
        return set(s.scalars(query))


def _events(world: World, subject: str) -> list[AuditEvent]:
    with world.session() as s:
        query = select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.id)
        return list(s.scalars(query))


def _field(response: Any) -> tuple[str, str]:
    """The first field a 422 names, and its message."""
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    return str(error["loc"][-1]), str(error["msg"])


# --- who may call what ----------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/admin/hotlists", None),
    ("POST", "/api/admin/hotlists", {"name": "never"}),
    ("GET", "/api/admin/hotlists/1", None),
    ("PATCH", "/api/admin/hotlists/1", {"description": "never"}),
    ("POST", "/api/admin/hotlists/1/import", "file"),
    ("POST", "/api/admin/hotlists/1/refresh", "file"),
    ("POST", "/api/admin/hotlists/1/expire", None),
    ("GET", "/api/admin/hotlists/1/export.csv", None),
    ("GET", "/api/admin/holds", None),
    ("POST", "/api/admin/holds", {"read_id": "r-oak-1", "reason": "x", "until": "2099-01-01Z"}),
    ("POST", "/api/admin/holds/1/release", {"reason": "never"}),
]


def _send(caller: Caller | Any, method: str, path: str, body: object) -> Any:
    if body == "file":
        return caller.request(method, path, files={"file": ("x.csv", b"plate\nNEVER1\n")})
    return caller.request(method, path, json=body)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v)[:40])
def test_only_admins_reach_the_list_and_hold_endpoints(
    world: World, by_token: dict[str, Caller], client: Any, method: str, path: str, body: object
) -> None:
    with world.session() as s:
        before = (s.scalar(select(func.count()).select_from(Hotlist)), _count_entries(s))
    for user in ("officer_a", "auditor", "hoa_oak", "supervisor", "resident_a"):
        refused = _send(by_token[user], method, path, body)
        assert refused.status_code == 403, (user, refused.text)
        assert "needs the admin role" in refused.json()["detail"]
    client.cookies.clear()
    anonymous = _send(client, method, path, body)
    assert anonymous.status_code == 401
    with world.session() as s:
        assert (s.scalar(select(func.count()).select_from(Hotlist)), _count_entries(s)) == before


def _count_entries(s: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(HotlistEntry)))


def test_admin_reads_lists_with_their_counts(world: World, by_token: dict[str, Caller]) -> None:
    lists = {h["name"]: h for h in by_token["admin"].get("/api/admin/hotlists").json()}
    ncic = lists["NCIC stolen"]
    assert ncic["source"] == "ncic" and ncic["entries"] >= 3
    one = by_token["admin"].get(f"/api/admin/hotlists/{ncic['id']}").json()
    assert one["name"] == "NCIC stolen"
    assert by_token["admin"].get("/api/admin/hotlists/999999").status_code == 404


# --- create, edit, import, refresh, expire, export -------------------------------------------


def test_create_and_edit_say_which_field_is_wrong(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    made = _new_list(admin, description="  daily feed  ", priority=3)
    assert (made["description"], made["priority"], made["entries"]) == ("daily feed", 3, 0)
    field, msg = _field(admin.post("/api/admin/hotlists", json={"name": made["name"]}))
    assert field == "name" and "already exists" in msg
    field, _ = _field(admin.post("/api/admin/hotlists", json={"name": "p", "priority": 10}))
    assert field == "priority"
    field, _ = _field(admin.post("/api/admin/hotlists", json={"name": "s", "source": "fbi"}))
    assert field == "source"
    unknown_owner = admin.post("/api/admin/hotlists", json={"name": "o", "owner_agency_id": 999})
    field, msg = _field(unknown_owner)
    assert field == "owner_agency_id" and "999" in msg
    path = f"/api/admin/hotlists/{made['id']}"
    field, msg = _field(admin.request("PATCH", path, json={"name": "NCIC stolen"}))
    assert field == "name" and "already exists" in msg
    field, _ = _field(admin.request("PATCH", path, json={"surprise": 1}))
    assert field == "surprise"
    edited = admin.request("PATCH", path, json={"description": "weekly", "priority": 2})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["description"], edited.json()["priority"]) == ("weekly", 2)
    assert edited.json()["version"] == made["version"] + 1  # priority is in the matchers' index
    with world.session() as s:
        names = s.scalars(select(Hotlist.name).where(Hotlist.name.in_(["p", "s", "o"]))).all()
        assert names == []
    events = _events(world, f"hotlist:{made['id']}")
    assert [e.action for e in events] == ["hotlist.create", "hotlist.update"]
    for event in events:
        assert event.actor == "admin"
        assert event.detail["via"] == "token" and isinstance(event.detail["token_id"], int)
    assert events[1].detail["changed"] == ["description", "priority"]


def test_import_refresh_expire_and_export(world: World, by_token: dict[str, Caller]) -> None:
    admin = by_token["admin"]
    hotlist = _new_list(admin)
    hid = hotlist["id"]
    job = finished_job(admin, _upload(admin, hid, "plate,state\nIMP001,CA\nIMP002,NV\n"))
    assert job["status"] == "done", job
    assert job["kind"] == "hotlist" and job["counts"]["imported"] == 2
    assert _plates(world, hid) == {"IMP001", "IMP002"}
    again = finished_job(admin, _upload(admin, hid, "plate,state\nIMP002,NV\nIMP003,CA\n"))
    assert again["counts"] == {"imported": 1, "unchanged": 1, "removed": 0}
    daily = "plate,state\nIMP002,NV\nIMP003,CA\nIMP004,CA\n"
    refresh = finished_job(admin, _upload(admin, hid, daily, refresh=True))
    assert refresh["status"] == "done", refresh
    assert refresh["counts"] == {"imported": 1, "unchanged": 2, "removed": 1}
    assert _plates(world, hid) == {"IMP002", "IMP003", "IMP004"}
    exported = admin.get(f"/api/admin/hotlists/{hid}/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("plate,state,reason")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["IMP002", "IMP003", "IMP004"]
    expired = admin.post(f"/api/admin/hotlists/{hid}/expire")
    assert expired.status_code == 200, expired.text
    assert expired.json()["entries_expired"] == 3
    assert expired.json()["hotlist"]["expired_entries"] == 3
    assert admin.post(f"/api/admin/hotlists/{hid}/expire").json()["entries_expired"] == 0
    with world.session() as s:
        ends = s.scalars(select(HotlistEntry.expires_at).where(HotlistEntry.hotlist_id == hid))
        assert all(e is not None and e <= datetime.now(UTC) for e in ends)
    back = finished_job(admin, _upload(admin, hid, daily, refresh=True))
    assert back["status"] == "done", back
    listed = admin.get(f"/api/admin/hotlists/{hid}").json()
    assert (listed["entries"], listed["expired_entries"]) == (3, 0)  # a refresh brings it back
    actions = [e.action for e in _events(world, f"hotlist:{hid}")]
    assert actions == [
        "hotlist.create",
        "hotlist.import",
        "hotlist.import",
        "hotlist.import",
        "hotlist.export",
        "hotlist.expire",
        "hotlist.expire",
        "hotlist.import",
    ]
    imports = [e.detail for e in _events(world, f"hotlist:{hid}") if e.action == "hotlist.import"]
    assert [d["replace"] for d in imports] == [False, False, True, True]


@pytest.fixture
def cli_db(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`platewatch` commands run in this process against the console's database."""
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", world.url)
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    yield


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.stderr


def _as_cli_lines(file: Path, errors: list[dict[str, Any]]) -> list[str]:
    return [
        f"{file}:{e['line']}: " + (f"{e['field']}: " if e["field"] else "") + e["reason"]
        for e in errors
    ]


def test_rejected_import_lists_the_clis_bad_rows_and_writes_nothing(
    world: World, by_token: dict[str, Caller], cli_db: None, tmp_path: Path
) -> None:
    admin = by_token["admin"]
    feed = tmp_path / "feed.csv"
    feed.write_text(BAD_FILE, encoding="utf-8")
    cli_list = f"cli-{next(_names)}"
    code, stderr = _cli("hotlist", "import", str(feed), "--list", cli_list)
    assert code == 1
    cli_lines = [line for line in stderr.splitlines() if line.startswith(f"{feed}:")]
    assert len(cli_lines) == 3

    hotlist = _new_list(admin)
    job = finished_job(admin, _upload(admin, hotlist["id"], BAD_FILE))
    assert job["status"] == "failed"
    assert job["message"].startswith("3 of 5 rows are invalid, so nothing was imported.")
    assert (job["rows_total"], job["rows_rejected"], job["rows_done"]) == (5, 3, 0)
    assert _as_cli_lines(feed, job["errors"]) == cli_lines
    assert [(e["line"], e["field"]) for e in job["errors"]] == [
        (3, "plate"),
        (4, "state"),
        (5, "reason"),
    ]
    assert _plates(world, hotlist["id"]) == set()
    after = by_token["admin"].get(f"/api/admin/hotlists/{hotlist['id']}").json()
    assert after["version"] == hotlist["version"] and after["refreshed_at"] is None
    with world.session() as s:
        assert s.scalar(select(Hotlist.id).where(Hotlist.name == cli_list)) is None
    assert [e.action for e in _events(world, f"hotlist:{hotlist['id']}")] == ["hotlist.create"]


def test_skipping_bad_rows_reports_them_as_the_cli_does(
    world: World, by_token: dict[str, Caller], cli_db: None, tmp_path: Path
) -> None:
    admin = by_token["admin"]
    feed = tmp_path / "feed.csv"
    feed.write_text(BAD_FILE, encoding="utf-8")
    cli_list = f"cli-{next(_names)}"
    code, stderr = _cli("hotlist", "import", str(feed), "--list", cli_list, "--skip-invalid")
    assert code == 0, stderr
    cli_lines = [line for line in stderr.splitlines() if line.startswith(f"{feed}:")]
    hotlist = _new_list(admin)
    job = finished_job(admin, _upload(admin, hotlist["id"], BAD_FILE, skip_invalid=True))
    assert job["status"] == "done", job
    assert _as_cli_lines(feed, job["errors"]) == cli_lines
    assert job["rows_rejected"] == 3 and job["counts"]["imported"] == 2
    with world.session() as s:
        cli_id = s.scalar(select(Hotlist.id).where(Hotlist.name == cli_list))
    assert cli_id is not None
    assert _plates(world, hotlist["id"]) == _plates(world, cli_id) == {"GOOD01", "GOOD04"}
    # The CLI's import is audited as the person who ran it.
    cli_events = _events(world, f"hotlist:{cli_id}")
    assert [(e.action, e.actor) for e in cli_events] == [
        ("hotlist.import", f"cli:{getpass.getuser()}")
    ]
    assert cli_events[0].detail["via"] == "cli"


def test_bad_files_and_options_say_what_to_do(world: World, by_token: dict[str, Caller]) -> None:
    admin = by_token["admin"]
    hotlist = _new_list(admin)
    hid = hotlist["id"]
    finished_job(admin, _upload(admin, hid, "plate\nKEEP01\n"))
    empty = finished_job(admin, _upload(admin, hid, "", refresh=True))
    assert empty["status"] == "failed"
    assert "the file is empty" in empty["message"] and "nothing was imported" in empty["message"]
    no_plate = finished_job(admin, _upload(admin, hid, "state,reason\nCA,stolen_vehicle\n"))
    assert no_plate["status"] == "failed" and "plate" in no_plate["message"]
    field, msg = _field(_upload(admin, hid, "plate\nX1\n", columns="plate"))
    assert field == "columns" and msg
    field, _ = _field(_upload(admin, hid, "plate\nX1\n", format="xml"))
    assert field == "format"
    assert _upload(admin, 999999, "plate\nX1\n").status_code == 404
    assert _plates(world, hid) == {"KEEP01"}


def test_cli_list_commands_are_audited_as_the_login_name(
    world: World, cli_db: None, tmp_path: Path
) -> None:
    name = f"cli-{next(_names)}"
    me = f"cli:{getpass.getuser()}"
    assert _cli("hotlist", "create", name, "--source", "state")[0] == 0
    assert _cli("hotlist", "add", name, "CLI001", "--state", "CA")[0] == 0
    assert _cli("hotlist", "export", name, "--output", str(tmp_path / "out.csv"))[0] == 0
    assert _cli("hotlist", "remove", name, "CLI001")[0] == 0
    with world.session() as s:
        hid = s.scalar(select(Hotlist.id).where(Hotlist.name == name))
    events = _events(world, f"hotlist:{hid}")
    assert [(e.action, e.actor) for e in events] == [
        ("hotlist.create", me),
        ("hotlist.entry_add", me),
        ("hotlist.export", me),
        ("hotlist.entry_remove", me),
    ]


# --- a big file -----------------------------------------------------------------------------


def test_a_big_import_runs_off_the_request_path_with_progress(world: World) -> None:
    rows = 100_000
    body = "plate,state\n" + "".join(f"BIG{i:06d},CA\n" for i in range(rows))
    answered_while_running = 0
    seen: list[int] = []
    with (
        LiveServer(create_app(world.settings, webhooks=False)) as live,
        httpx.Client(base_url=live.url, headers=token_headers(world, "admin"), timeout=300) as http,
    ):
        created = http.post("/api/admin/hotlists", json={"name": f"big-{next(_names)}"})
        hid = created.json()["id"]
        queued = http.post(
            f"/api/admin/hotlists/{hid}/import", files={"file": ("big.csv", body, "text/csv")}
        )
        assert queued.status_code == 202, queued.text
        assert queued.json()["status"] in ("queued", "running")
        job_url = queued.headers["location"]
        while (job := http.get(job_url).json())["status"] in ("queued", "running"):
            seen.append(job["percent"])
            assert http.get("/healthz").status_code == 200
            # Counted only if the import was still running after the answer came.
            if job["status"] == "running" and http.get(job_url).json()["status"] == "running":
                answered_while_running += 1
            time.sleep(0.02)
    assert job["status"] == "done", job
    assert (job["rows_done"], job["counts"]["imported"], job["percent"]) == (rows, rows, 100)
    assert answered_while_running >= 1
    assert seen == sorted(seen) and all(p < 100 for p in seen)
    with world.session() as s:
        count = select(func.count()).where(HotlistEntry.hotlist_id == hid)
        assert s.scalar(count) == rows
        s.execute(delete(HotlistEntry).where(HotlistEntry.hotlist_id == hid))
        s.commit()
