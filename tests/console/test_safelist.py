"""HOA admins' safe list: add, edit, expire, remove, CSV import with row errors, export."""

from __future__ import annotations

import csv
import io
import re
import time

from sqlalchemy import delete, select

from store.tables import AuditEvent, SafelistEntry
from tests.console.conftest import Caller, World, finished_job
from tests.store.formula_cells import FORMULA_CELLS

GOOD_AND_BAD = (
    "plate,state,label,expires_at\n"
    "IMP001,CA,Unit 1,\n"
    "IMP002,CA,Unit 2,2031-01-01\n"
    "IMP0*3,CA,Unit 3,\n"  # line 4: wildcard, not allowed on a safe list
    "IMP004,CA,Unit 4,not-a-date\n"  # line 5: bad date
)


def _plates(caller: Caller, site: int) -> set[str]:
    return {e["plate"] for e in caller.get(f"/api/sites/{site}/safelist").json()}


def test_add_edit_expire_remove(world: World, by_token: dict[str, Caller]) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    created = admin.post(
        f"/api/sites/{site}/safelist", json={"plate": "sl-7 77a", "state": "CA", "label": "Unit 7"}
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["plate"], entry["state"], entry["label"]) == ("SL777A", "CA", "Unit 7")
    assert entry["added_by"] == "hoa_pine" and entry["expired"] is False
    edited = admin.request(
        "PATCH",
        f"/api/sites/{site}/safelist/{entry['id']}",
        json={"label": "Unit 7B", "expires_at": "2030-05-01T00:00:00Z"},
    )
    assert edited.status_code == 200
    assert edited.json()["label"] == "Unit 7B"
    assert edited.json()["expires_at"].startswith("2030-05-01")
    expired = admin.post(f"/api/sites/{site}/safelist/{entry['id']}/expire")
    assert expired.json()["expired"] is True
    assert admin.request("DELETE", f"/api/sites/{site}/safelist/{entry['id']}").status_code == 204
    assert "SL777A" not in _plates(admin, site)
    with world.session() as s:
        actions = s.scalars(
            select(AuditEvent.action).where(
                AuditEvent.actor == "hoa_pine", AuditEvent.subject == f"site:{site}"
            )
        ).all()
    assert {"safelist.add", "safelist.update", "safelist.remove"} <= set(actions)


def test_bad_entry_names_the_field(world: World, by_token: dict[str, Caller]) -> None:
    site = world.ids["pine"]
    response = by_token["hoa_pine"].post(
        f"/api/sites/{site}/safelist", json={"plate": "OK123", "state": "Atlantis"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("state:")
    assert "OK123" not in _plates(by_token["hoa_pine"], site)


def test_import_with_a_bad_row_imports_nothing_and_lists_each_bad_row(
    world: World, by_token: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    before = _plates(admin, site)
    job = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("residents.csv", GOOD_AND_BAD, "text/csv")},
        ),
    )
    assert job["status"] == "failed"
    assert job["message"].startswith("2 of 4 rows are invalid, so nothing was imported")
    assert (job["rows_total"], job["rows_done"], job["rows_rejected"]) == (4, 0, 2)
    assert [(e["line"], e["field"]) for e in job["errors"]] == [(4, "plate"), (5, "expires_at")]
    assert "safe-list plates must be complete" in job["errors"][0]["reason"]
    assert "bad date 'not-a-date'" in job["errors"][1]["reason"]
    assert _plates(admin, site) == before
    skipped = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("residents.csv", GOOD_AND_BAD, "text/csv")},
            data={"skip_invalid": "true"},
        ),
    )
    assert skipped["status"] == "done"
    assert skipped["counts"]["added"] == 2 and skipped["rows_rejected"] == 2
    assert len(skipped["errors"]) == 2
    assert {"IMP001", "IMP002"} <= _plates(admin, site)


def test_export_round_trips_through_import(world: World, by_token: dict[str, Caller]) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    admin.post(f"/api/sites/{site}/safelist", json={"plate": "EXP123", "label": "Unit, 9"})
    exported = admin.get(f"/api/sites/{site}/safelist/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {"plate": "EXP123", "state": "", "label": "Unit, 9", "expires_at": ""} in rows
    again = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("back.csv", exported.text, "text/csv")},
        ),
    )
    assert again["status"] == "done" and again["counts"]["added"] == 0
    with world.session() as s:
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "safelist.export", AuditEvent.actor == "hoa_pine"
            )
        )


def test_pages_add_import_and_show_row_errors(world: World, as_user: dict[str, Caller]) -> None:
    admin = as_user["hoa_oak"]
    added = admin.post(
        "/safelist/add",
        data={"plate": "PAGE01", "state": "CA", "label": "Unit 12", "expires": "2031-02-03"},
    )
    assert added.status_code == 303
    page = admin.get(added.headers["location"])
    assert "PAGE01 is on the safe list." in page.text and "2031-02-03" in page.text
    queued = admin.post("/safelist/import", files={"file": ("bad.csv", GOOD_AND_BAD, "text/csv")})
    assert queued.status_code == 303 and queued.headers["location"].startswith("/imports/")
    job_id = int(queued.headers["location"].rsplit("/", 1)[1])
    while admin.get(f"/api/import-jobs/{job_id}").json()["status"] not in ("done", "failed"):
        time.sleep(0.02)
    rejected = admin.get(queued.headers["location"])
    assert "2 of 4 rows are invalid, so nothing was imported" in rejected.text
    assert re.search(r"bad\.csv: line 4, plate: .*safe-list plates must be complete", rejected.text)
    assert "bad.csv: line 5, expires_at: bad date" in rejected.text
    with world.session() as s:
        assert not s.scalars(
            select(SafelistEntry).where(
                SafelistEntry.plate == "IMP001", SafelistEntry.site_id == world.ids["oak"]
            )
        ).all()
    entry_id = next(
        e["id"]
        for e in admin.get(f"/api/sites/{world.ids['oak']}/safelist").json()
        if e["plate"] == "PAGE01"
    )
    assert admin.post(f"/safelist/{entry_id}/expire").status_code == 303
    assert admin.post(f"/safelist/{entry_id}/remove").status_code == 303
    assert "PAGE01" not in admin.get("/safelist").text


FORMULAS = list(FORMULA_CELLS)


def test_export_neutralises_formula_labels_and_they_import_back(
    world: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    plates = [f"FRM{n:03d}" for n in range(len(FORMULAS))]
    for plate, label in zip(plates[:5], FORMULAS[:5], strict=True):
        added = admin.post(f"/api/sites/{site}/safelist", json={"plate": plate, "label": label})
        assert added.status_code in (200, 201), added.text
        assert added.json()["label"] == label
    with world.session() as s:  # the console strips a typed tab or CR; a row may still hold one
        for plate, label in zip(plates[5:], FORMULAS[5:], strict=True):
            s.add(SafelistEntry(site_id=site, plate=plate, label=label, added_by="test"))
        s.commit()
    for exported in (
        admin.get(f"/api/sites/{site}/safelist/export.csv"),
        as_user["hoa_pine"].get("/safelist/export.csv"),
    ):
        assert exported.status_code == 200
        rows = {r["plate"]: r for r in csv.DictReader(io.StringIO(exported.text, newline=""))}
        for plate, label in zip(plates, FORMULAS, strict=True):
            assert rows[plate]["label"] == "'" + label
    with world.session() as s:
        logged = s.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "safelist.export", AuditEvent.subject == f"site:{site}")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert logged is not None and logged["entries"] == len(rows)  # `\r` splits no entry
        s.execute(delete(SafelistEntry).where(SafelistEntry.plate.in_(plates)))
        s.commit()
    back = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("back.csv", exported.content, "text/csv")},
        ),
    )
    assert back["status"] == "done" and back["counts"]["added"] == len(plates), back
    with world.session() as s:
        query = select(SafelistEntry.plate, SafelistEntry.label)
        labels = dict(s.execute(query.where(SafelistEntry.plate.in_(plates))).all())
    assert labels == dict(zip(plates, FORMULAS, strict=True))
