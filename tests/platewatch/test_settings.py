from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from platewatch.cli import app
from platewatch.settings import SettingsError, load_settings


def test_defaults_use_sqlite_under_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    monkeypatch.delenv("PLATEWATCH_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=Path("/srv/pw"))
    assert settings.effective_database_url == "sqlite:////srv/pw/platewatch.db"
    assert settings.retention.image_days == 30


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "pw.yaml"
    file.write_text("matching:\n  hit_threshold: 0.7\n  verify_threshold: 0.4\n")
    monkeypatch.setenv("PLATEWATCH_MATCHING__HIT_THRESHOLD", "0.9")
    monkeypatch.setenv("PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS", "10.0.0.5:9092")
    settings = load_settings(file)
    assert settings.matching.hit_threshold == 0.9
    assert settings.matching.verify_threshold == 0.4
    assert settings.kafka_bootstrap_servers == "10.0.0.5:9092"


def test_unknown_key_names_file_line_and_field(tmp_path: Path) -> None:
    file = tmp_path / "pw.yaml"
    file.write_text("data_dir: /tmp\nretention:\n  image_days: 30\n  imgae_days: 7\n")
    with pytest.raises(SettingsError) as err:
        load_settings(file)
    assert f"{file}:4: retention.imgae_days: remove it (unknown key)" in str(err.value)


def test_bad_value_and_bad_yaml_are_located(tmp_path: Path) -> None:
    file = tmp_path / "pw.yaml"
    file.write_text("console:\n  port: seventy\n")
    with pytest.raises(SettingsError, match=rf"{file}:2: console.port: "):
        load_settings(file)
    file.write_text("console: [unclosed\n")
    with pytest.raises(SettingsError, match=r"not valid YAML"):
        load_settings(file)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="verify_threshold must not exceed"):
        load_settings(matching={"hit_threshold": 0.5, "verify_threshold": 0.6})


def test_config_check_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    good = tmp_path / "good.yaml"
    good.write_text("retention:\n  image_days: 30\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("retention:\n  days: 30\n")
    runner = CliRunner()
    ok = runner.invoke(app, ["config", "check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output
    fail = runner.invoke(app, ["config", "check", str(bad)])
    assert fail.exit_code == 2
    assert f"{bad}:2: retention.days: remove it (unknown key)" in fail.output


def test_config_check_parses_the_database_url_and_writes_to_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATEWATCH_DATA_DIR", raising=False)
    monkeypatch.delenv("PLATEWATCH_DATABASE_URL", raising=False)
    runner = CliRunner()
    url = tmp_path / "url.yaml"
    url.write_text('data_dir: var\ndatabase_url: "postgres-ish://app:s3cret@db/x"\n')
    refused = runner.invoke(app, ["config", "check", str(url)])
    assert refused.exit_code == 2
    assert "database_url 'db/x' is not a database URL" in refused.output
    assert "s3cret" not in refused.output
    unmakeable = tmp_path / "unmakeable.yaml"
    unmakeable.write_text("data_dir: /proc/platewatch\n")
    refused = runner.invoke(app, ["config", "check", str(unmakeable)])
    assert refused.exit_code == 2
    assert "data_dir /proc/platewatch is not writable" in refused.output


def test_paths_derive_from_data_dir_unless_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        data_dir=Path("site"),
        edge={"outbox_path": "/srv/outbox.db"},
        matching={"index_dir": "index"},
    )
    assert settings.data_dir == tmp_path / "site"
    assert settings.edge.image_root == tmp_path / "site" / "images"
    assert settings.edge.outbox_path == Path("/srv/outbox.db")
    assert settings.matching.index_dir == tmp_path / "site" / "index"


def test_a_relative_data_dir_in_a_file_is_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron job started in / must purge the same folder as the console started in /srv."""
    etc = tmp_path / "etc"
    etc.mkdir()
    file = etc / "pw.yaml"
    file.write_text("data_dir: ../var\nedge:\n  image_root: cams\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(file)
    assert settings.data_dir.resolve() == tmp_path / "var"
    assert settings.edge.image_root.resolve() == tmp_path / "var" / "cams"
    shown = CliRunner().invoke(app, ["config", "show", "--config", str(file)])
    assert shown.exit_code == 0, shown.output
    assert f"edge.image_root: {settings.edge.image_root}" in shown.output
    assert f"edge.outbox_path: {settings.data_dir / 'edge-outbox.db'}" in shown.output
