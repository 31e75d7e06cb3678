"""The `platewatch retention` commands as cron and admins run them (SQLite; the backends'
behaviour is covered by the service tests)."""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from platewatch.commands.retention import parse_until
from store.tables import AuditEvent
from tests.retention.cli import cli_env, run
from tests.retention.world import World

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _old_and_young(world: World) -> tuple[str, str]:
    world.site("oak")
    now = datetime.now(UTC)
    return (
        world.read("oak-cam0", now - timedelta(days=31)),
        world.read("oak-cam0", now - timedelta(days=1)),
    )


@sqlite_only
def test_dry_run_then_purge_then_receipts_and_digest(world: World, db_url: str) -> None:
    old, young = _old_and_young(world)
    env = cli_env(db_url, world.image_root)

    dry = run(env, "purge", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert (json.loads(dry.stdout)["reads"], json.loads(dry.stdout)["files"]) == (1, 2)
    assert len(world.files_of(old)) == 2
    assert "would purge 1 reads and 2 files" in run(env, "purge", "--dry-run").stdout

    purge = run(env, "purge")
    assert purge.returncode == 0, purge.stderr
    assert "receipt 1 (run 1" in purge.stdout and "1 reads, 2 files" in purge.stdout
    assert world.files_of(old) == [] and len(world.files_of(young)) == 2

    [receipt] = json.loads(run(env, "receipts", "--json").stdout)
    ids = run(env, "receipt-ids", str(receipt["id"]))
    assert ids.stdout == f"{old}\n"
    assert hashlib.sha256(ids.stdout.encode()).hexdigest() == receipt["ids_digest"]
    missing = run(env, "receipt-ids", "99")
    assert missing.returncode == 2 and "no receipt 99" in missing.stderr

    audit = run(env, "audit", "--json")
    assert audit.returncode == 0 and json.loads(audit.stdout)["ok"] is True


@sqlite_only
def test_audit_lists_violations_and_exits_1(world: World, db_url: str) -> None:
    _, young = _old_and_young(world)
    world.files_of(young)[0].unlink()
    audit = run(cli_env(db_url, world.image_root), "audit")
    assert audit.returncode == 1
    lines = audit.stdout.splitlines()
    assert lines[0].startswith("retention audit: 3 violations (1 missing_file, 1 overdue, 1 reads)")
    assert any(line.startswith(f"  missing_file: read:{young}: points at ") for line in lines)
    assert any(line.startswith("  reads: reads: no signed checkpoint in ") for line in lines)


@sqlite_only
def test_hold_commands_place_list_and_release_with_audit(world: World, db_url: str) -> None:
    old, _ = _old_and_young(world)
    env = cli_env(db_url, world.image_root)
    add = run(
        env,
        "hold",
        "add",
        old,
        "--reason",
        "subpoena 7",
        "--until",
        "30d",
        "--case-number",
        "CR-1",
        "--json",
    )
    assert add.returncode == 0, add.stderr
    hold = json.loads(add.stdout)
    assert (hold["read_id"], hold["case_number"], hold["active"]) == (old, "CR-1", True)
    listed = run(env, "hold", "list")
    assert f"hold {hold['id']} [active] read {old}" in listed.stdout

    assert run(env, "purge").returncode == 0
    assert len(world.files_of(old)) == 2

    release = run(env, "hold", "release", str(hold["id"]), "--reason", "case closed")
    assert release.returncode == 0, release.stderr
    assert "released" in release.stdout and "case closed" in release.stdout
    again = run(env, "hold", "release", str(hold["id"]), "--reason", "twice")
    assert again.returncode == 1 and "already released" in again.stderr
    assert run(env, "hold", "list").stdout.strip() == "no holds"
    with world.factory() as s:
        actions = s.execute(select(AuditEvent.action, AuditEvent.actor)).all()
    me = f"cli:{getpass.getuser()}"
    assert ("retention.hold.place", me) in actions
    assert ("retention.hold.release", me) in actions


@sqlite_only
def test_bad_input_says_what_to_do_and_writes_nothing(world: World, db_url: str) -> None:
    old, _ = _old_and_young(world)
    env = cli_env(db_url, world.image_root)
    naive = run(env, "hold", "add", old, "--reason", "x", "--until", "2099-01-01T10:00")
    assert naive.returncode == 2 and "has no UTC offset" in naive.stderr
    past = run(env, "hold", "add", old, "--reason", "x", "--until", "2001-01-01")
    assert past.returncode == 1 and "is not in the future" in past.stderr
    bad_setting = run({**env, "PLATEWATCH_RETENTION__IMAGE_DAYS": "0"}, "purge")
    assert bad_setting.returncode == 2 and "retention.image_days" in bad_setting.stderr
    assert run(env, "hold", "list", "--all").stdout.strip() == "no holds"
    assert len(world.files_of(old)) == 2


def test_parse_until_forms() -> None:
    assert parse_until("2025-06-01") == datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_until("2025-06-01T18:30+02:00") == datetime(2025, 6, 1, 16, 30, tzinfo=UTC)
    assert parse_until("2025-06-01T18:30Z") == datetime(2025, 6, 1, 18, 30, tzinfo=UTC)
    soon = parse_until("7d") - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < soon <= timedelta(days=7)


@sqlite_only
def test_purge_signs_a_checkpoint_and_a_cut_tail_fails_both_audits(
    world: World, db_url: str
) -> None:
    import subprocess

    from sqlalchemy import delete

    from store.tables import RetentionReceipt
    from tests.retention.cli import PLATEWATCH

    _old_and_young(world)
    env = cli_env(db_url, world.image_root)
    assert run(env, "purge").returncode == 0
    var = world.image_root.parent / "var"
    assert (var / "keys" / "checkpoint-ed25519.pem").stat().st_mode & 0o077 == 0
    assert (var / "audit-checkpoints.jsonl").read_text().count("\n") == 2

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PLATEWATCH, "audit", "verify"], env=env, capture_output=True, text=True, check=False
        )

    assert verify().returncode == 0, verify().stdout
    assert run(env, "audit").returncode == 0
    with world.factory.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.subject == "receipt:1"))
        s.execute(delete(RetentionReceipt).where(RetentionReceipt.id == 1))
    audit = run(env, "audit")
    assert audit.returncode == 1
    assert "checkpoint: chain:receipts: receipts chain, checkpoint 1" in audit.stdout
    assert "head row 1 no longer exists" in audit.stdout
    verified = verify()
    assert verified.returncode == 1
    assert verified.stdout.startswith("audit log does not verify: audit chain, checkpoint 1")


@sqlite_only
def test_an_edited_read_fails_both_audits_until_accepted(world: World, db_url: str) -> None:
    import subprocess

    from sqlalchemy import update

    from store.checkpoints import publish_checkpoints
    from store.settings import CheckpointPaths
    from store.tables import PlateReadRow
    from tests.retention.cli import PLATEWATCH

    world.site("oak")
    young = world.read("oak-cam0", datetime.now(UTC) - timedelta(days=1))
    env = cli_env(db_url, world.image_root)
    with world.factory.begin() as s:  # arrived an hour ago: settled, so a checkpoint signs it
        s.execute(update(PlateReadRow).values(received_at=datetime.now(UTC) - timedelta(hours=1)))
    var = world.image_root.parent / "var"
    publish_checkpoints(
        world.engine,
        CheckpointPaths(var / "keys" / "checkpoint-ed25519.pem", var / "audit-checkpoints.jsonl"),
    )

    def audit_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PLATEWATCH, "audit", *args], env=env, capture_output=True, text=True, check=False
        )

    day = f"day:{world.row(young).captured_at.date().isoformat()}"
    later = world.row(young).captured_at + timedelta(days=20)
    with world.factory.begin() as s:  # kept 20 days longer, were it not seen
        s.execute(
            update(PlateReadRow).where(PlateReadRow.read_id == young).values(captured_at=later)
        )
    audit = run(env, "audit")
    assert audit.returncode == 1
    assert f"  reads: {day}: reads captured {day[4:]} (UTC): 1 read had arrived" in audit.stdout
    verified = audit_cli("verify")
    assert verified.returncode == 1 and f"--accept {day}" in verified.stdout
    bad = audit_cli("checkpoint", "--accept", "yesterday")
    assert bad.returncode == 2 and "give day:YYYY-MM-DD" in bad.stderr
    accepted = audit_cli(
        "checkpoint", "--accept", day, "--accept", f"day:{later.date().isoformat()}"
    )
    assert accepted.returncode == 0, accepted.stderr
    assert run(env, "audit").returncode == 0
