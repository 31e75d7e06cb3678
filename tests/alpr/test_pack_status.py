from __future__ import annotations

from pathlib import Path

import pytest

from alpr.pack_status import describe, pack_status
from alpr.packs import PackFiles, cct_dir, offline_dir, resolve_pack
from alpr.pins import CCT_FILES

from .test_packs import fake_hub_cache, offline_cache, put_cct

CCT_MODEL, CCT_CONFIG = (pin.filename for pin in CCT_FILES)


def test_status_rows(model_cache: Path, offline_pack: PackFiles, tmp_path: Path) -> None:
    del offline_pack
    rows = pack_status(model_cache, verify=True)
    offline = {r.path.name: r.state for r in rows if r.pack == "offline"}
    assert offline["platedet.onnx"] == "ok (sha256)"
    empty = pack_status(tmp_path, verify=True)
    assert {r.state for r in empty if r.pack == "offline"} <= {"missing", "missing (optional)"}
    assert {r.state for r in empty if r.pack == "fused"} == {"not fetched"}
    assert [r.problem for r in empty if r.pack == "fused"] == [None, None]
    assert offline_dir(tmp_path) == tmp_path / "offline"


def test_verify_names_a_truncated_file_and_what_to_do(
    tmp_path: Path, offline_pack: PackFiles, shared_models: Path
) -> None:
    del shared_models
    cache = offline_cache(tmp_path, offline_pack)
    put_cct(cct_dir(cache), truncate=CCT_MODEL)
    rows = {(r.pack, r.path.name): r for r in pack_status(cache, verify=True)}
    bad = rows[("fused", CCT_MODEL)]
    assert bad.state == "SIZE/SHA-256 MISMATCH"
    assert bad.problem is not None
    assert bad.problem.startswith(f"{cct_dir(cache) / CCT_MODEL}: text recognizer (CCT")
    assert "is 1,672,146 bytes with SHA-256 " in bad.problem
    assert "expected 3,344,292 bytes with SHA-256 8031afb5fdc6b4d8" in bad.problem
    assert bad.problem.endswith(
        "(truncated); delete it and run `platewatch models fetch --pack fused` "
        "(or `--from DIR` with a folder holding the CCT files)"
    )
    assert rows[("fused", CCT_CONFIG)].state == "ok (sha256)"
    listed = {(r.pack, r.path.name): r.state for r in pack_status(cache, verify=False)}
    assert listed[("fused", CCT_MODEL)] == "present"


@pytest.mark.usefixtures("shared_models")
def test_a_partial_cct_copy_is_a_problem(tmp_path: Path, offline_pack: PackFiles) -> None:
    cache = offline_cache(tmp_path, offline_pack)
    put_cct(cct_dir(cache))
    (cct_dir(cache) / CCT_MODEL).unlink()
    (row,) = [r for r in pack_status(cache, verify=True) if r.problem]
    assert (row.path.name, row.state) == (CCT_MODEL, "missing")


@pytest.mark.usefixtures("shared_models")
def test_describe_says_which_recognizers(tmp_path: Path, offline_pack: PackFiles) -> None:
    cache = offline_cache(tmp_path, offline_pack)
    assert describe(resolve_pack("offline", cache)).startswith(
        "offline pack (platedet detector + PP-OCRv4 recognizer) from "
    )
    put_cct(cct_dir(cache))
    assert describe(resolve_pack("auto", cache)) == (
        "fused pack (platedet detector + PP-OCRv4 and CCT recognizers) from "
        f"{offline_dir(cache)} + {cct_dir(cache)}"
    )


@pytest.mark.usefixtures("shared_models")
def test_a_foreign_file_in_fast_alpr_cache_is_a_problem(
    tmp_path: Path, offline_pack: PackFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = fake_hub_cache(tmp_path, monkeypatch, offline_pack)
    (row,) = [
        r for r in pack_status(tmp_path / "cache", verify=True) if r.pack == "hub" and r.problem
    ]
    assert row.path == detector and row.state == "SIZE/SHA-256 MISMATCH"
    assert row.problem is not None and "expected 7,771,218 bytes" in row.problem
    assert row.problem.endswith("run `platewatch models fetch --pack hub`, or use --models fused")
