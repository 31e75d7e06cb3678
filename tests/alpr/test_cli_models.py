"""`platewatch models fetch/status/verify` on caches of our own (the offline files linked in)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alpr.packs import PackFiles, cct_dir
from alpr.pins import CCT_FILES
from platewatch.cli import app

from .test_fetch import closed_port
from .test_packs import offline_cache, put_cct

Run = Callable[..., Result]
CCT_MODEL = CCT_FILES[0].filename


@pytest.fixture
def cache(tmp_path: Path, offline_pack: PackFiles, shared_models: Path) -> Path:
    del shared_models
    return offline_cache(tmp_path / "cache", offline_pack)


@pytest.fixture
def run(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("PLATEWATCH_MODELS__CACHE_DIR", str(cache))
    monkeypatch.setenv("PLATEWATCH_MODELS__CCT_RELEASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr("alpr.packs.hub_files", lambda: None)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    return invoke


def test_unreachable_release_is_one_line_and_the_offline_pack_stays(run: Run, cache: Path) -> None:
    fetched = run("models", "fetch", "--pack", "fused")
    assert fetched.exit_code == 1
    (line,) = fetched.stderr.splitlines()
    assert line.startswith("error: CCT recognizer: http://127.0.0.1:")
    assert "not reachable ([Errno 111] Connection refused)" in line
    assert line.endswith(
        "`platewatch models fetch --pack fused --from DIR` (the offline pack works without it)"
    )
    assert not cct_dir(cache).exists() or not any(cct_dir(cache).iterdir())
    status = run("models", "status")
    assert status.exit_code == 0 and status.stdout.startswith("auto uses the offline pack (")


def test_fetch_from_the_shared_folder_makes_auto_fused(run: Run, shared_models: Path) -> None:
    fetched = run("models", "fetch", "--pack", "fused", "--from", str(shared_models))
    assert fetched.exit_code == 0, fetched.stderr
    assert fetched.stdout.startswith("ready: fused pack (platedet detector + PP-OCRv4 and CCT")
    status = run("models", "status")
    assert status.stdout.startswith("auto uses the fused pack (") and status.stderr == ""
    verified = run("models", "verify")
    assert verified.exit_code == 0 and verified.stderr == ""


def test_verify_fails_on_a_truncated_cct_and_status_says_why(run: Run, cache: Path) -> None:
    put_cct(cct_dir(cache), truncate=CCT_MODEL)
    verified = run("models", "verify")
    assert verified.exit_code == 1
    (line,) = verified.stderr.splitlines()
    assert line.startswith(f"error: {cct_dir(cache) / CCT_MODEL}: text recognizer (CCT")
    assert "is 1,672,146 bytes" in line and "expected 3,344,292 bytes" in line
    assert "delete it and run `platewatch models fetch --pack fused`" in line
    status = run("models", "status")
    assert status.exit_code == 0 and status.stdout.startswith("auto uses the offline pack (")
    assert status.stderr.startswith("not using the fused pack: ")


def test_from_must_be_a_folder(run: Run, tmp_path: Path) -> None:
    result = run("models", "fetch", "--pack", "fused", "--from", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "must be a folder, and only with --pack offline or fused" in result.stderr
