from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alpr.packs import PackFiles
from platewatch.cli import app

from .conftest import CAR_PLATE

Run = Callable[..., Result]


@pytest.fixture
def run(model_cache: Path, offline_pack: PackFiles, monkeypatch: pytest.MonkeyPatch) -> Run:
    del offline_pack
    monkeypatch.setenv("PLATEWATCH_MODELS__CACHE_DIR", str(model_cache))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


def test_read_json_has_the_scripted_fields(run: Run, samples: Path) -> None:
    result = run("read", str(samples / "car.jpg"), "--models", "offline", "--json")
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    read = json.loads(line)
    assert read["plate"] == CAR_PLATE
    assert read["source"] == str(samples / "car.jpg")
    assert read["box"] == [pytest.approx(v, abs=15) for v in (388, 262, 591, 354)]
    assert 0.9 < read["confidence"] <= 1
    assert "region" in read and len(read["char_choices"]) == len(CAR_PLATE)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.jpg", "no such file or folder"),
        (
            lambda d: _write(d / "broken.jpg", b"GIF89a nonsense"),
            "not a decodable image (corrupt or unsupported format)",
        ),
        (lambda d: _mkdir(d / "empty"), "folder has no images"),
        (
            lambda d: _write(d / "cut.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000),
            "cannot open as video (corrupt, truncated or not a video)",
        ),
    ],
    ids=["missing", "unreadable-image", "empty-folder", "truncated-video"],
)
def test_bad_input_is_one_line_and_others_still_read(
    run: Run, samples: Path, tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    bad = make(tmp_path)
    result = run("read", str(bad), str(samples / "car.jpg"), "--models", "offline")
    # The good input is still read, but a script must learn that one input failed, and which.
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{bad}: {reason}")
    assert lines[1:] == [f"1 of 2 input(s) failed: {bad}; see the messages above for why"]
    assert CAR_PLATE in result.stdout
    alone = run("read", str(bad), "--models", "offline")
    assert alone.exit_code == 1 and alone.stdout == ""


def test_one_bad_photo_in_a_folder_fails_the_run_and_is_named(
    run: Run, samples: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "car.jpg").write_bytes((samples / "car.jpg").read_bytes())
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    result = run("read", str(folder), "--models", "offline")
    assert result.exit_code == 1
    assert CAR_PLATE in result.stdout
    assert str(folder / "broken.jpg") in result.stderr
    assert f"1 of 1 input(s) failed: {folder};" in result.stderr


def test_eval_json_figures(run: Run, openalpr_dev: Path, tmp_path: Path) -> None:
    rows = (openalpr_dev / "labels.csv").read_text().splitlines()
    header = rows[0]
    picked = [*[r for r in rows[1:] if r.startswith("br/")][:2], "missing/none.jpg,AB1234,,,,,eu"]
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join([header, *picked]) + "\n")
    result = run(
        "eval",
        "--labels",
        str(labels),
        "--images",
        str(openalpr_dev),
        "--models",
        "offline",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["images"] == 2 and summary["plates"] == 3
    assert {"detection_recall", "exact", "within_one_edit", "ms_per_image"} <= set(summary)
    assert summary["regions"]["br"]["plates"] == 2
    assert summary["regions"]["eu"]["exact"] == 0.0
    assert "none.jpg: no such file" in result.stderr
    table = run(
        "eval",
        "--labels",
        str(labels),
        "--images",
        str(openalpr_dev),
        "--models",
        "offline",
        "--limit",
        "1",
    )
    assert table.exit_code == 0 and "within one edit" in table.stdout


def test_eval_crops_scores_the_recognizer_alone(
    run: Run, openalpr_dev: Path, tmp_path: Path
) -> None:
    rows = (openalpr_dev / "labels.csv").read_text().splitlines()
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join([rows[0], *[r for r in rows[1:] if r.startswith("br/")][:2]]))
    args = ("eval", "--labels", str(labels), "--images", str(openalpr_dev), "--models", "offline")
    result = run(*args, "--crops", "--recognizer", "ppocr", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["mode"] == "crops" and summary["plates"] == 2
    assert summary["detection_recall"] is None and summary["exact"] == 1.0
    missing = run(*args, "--crops", "--recognizer", "fused")
    assert missing.exit_code == 2
    assert "recognizer 'fused' needs the CCT model" in missing.stderr
    assert "--recognizer ppocr" in missing.stderr
    wrong = run(*args, "--recognizer", "tesseract")
    assert wrong.exit_code == 2
    assert "--recognizer 'tesseract': choose fused, cct or ppocr" in wrong.stderr


def test_eval_rejects_bad_labels(run: Run, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,plate\n")
    result = run("eval", "--labels", str(labels), "--images", str(tmp_path))
    assert result.exit_code == 2
    assert "labels.csv:1: missing column(s)" in result.stderr


def test_models_list_and_verify(run: Run) -> None:
    listed = run("models", "list")
    assert listed.exit_code == 0 and "platedet.onnx" in listed.stdout
    verified = run("models", "verify")
    assert verified.exit_code == 0 and "ok (sha256)" in verified.stdout


def test_no_models_is_a_clear_error(
    tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEWATCH_MODELS__CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("alpr.packs.hub_files", lambda: None)
    result = CliRunner().invoke(app, ["read", str(samples / "car.jpg")])
    assert result.exit_code == 2
    assert "platewatch models fetch" in result.stderr


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_hand_copied_models_directory(
    run: Run,
    offline_pack: PackFiles,
    samples: Path,
    tmp_path: Path,
) -> None:
    for file in (offline_pack.detector, offline_pack.recognizer):
        shutil.copy(file, tmp_path)
    result = run("read", str(samples / "car.jpg"), "--models", str(tmp_path))
    assert result.exit_code == 0 and CAR_PLATE in result.stdout
