from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from alpr.weights import ModelsUnavailableError, Pin, install, install_copy, locate, require

PAYLOAD = bytes(range(256)) * 40
PIN = Pin("m.onnx", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest(), "demo model", "MIT")


def test_require_accepts_only_the_pinned_bytes(tmp_path: Path) -> None:
    good = tmp_path / "m.onnx"
    good.write_bytes(PAYLOAD)
    assert require(good, PIN, "run fetch") == good
    good.write_bytes(PAYLOAD[:-1] + b"\x00")
    with pytest.raises(ModelsUnavailableError) as err:
        require(good, PIN, "run fetch")
    assert str(err.value) == (
        f"{good}: demo model is 10,240 bytes with SHA-256 "
        f"{hashlib.sha256(good.read_bytes()).hexdigest()}, expected 10,240 bytes with SHA-256 "
        f"{PIN.sha256} (a different file); delete it and run fetch"
    )


def test_install_replaces_a_bad_file_only_with_a_good_one(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "m.onnx"
    install(io.BytesIO(PAYLOAD), target, PIN, "origin")
    with pytest.raises(ModelsUnavailableError, match="origin: demo model there is 5 bytes"):
        install(io.BytesIO(b"short"), target, PIN, "origin")
    assert target.read_bytes() == PAYLOAD
    assert [p.name for p in target.parent.iterdir()] == ["m.onnx"]


def test_install_copy_and_locate(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "m.onnx").write_bytes(PAYLOAD)
    found = locate(tmp_path / "a", ("x", "b"), "m.onnx")
    assert found == tmp_path / "a" / "b" / "m.onnx"
    assert locate(tmp_path / "a", ("x",), "m.onnx") is None
    copied = install_copy(found, tmp_path / "cache" / "m.onnx", PIN)
    assert copied.read_bytes() == PAYLOAD and copied.stat().st_mode & 0o777 == 0o644
