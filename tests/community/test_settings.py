from __future__ import annotations

from pathlib import Path

import pytest

from platewatch.settings import SettingsError, load_settings


def test_mail_is_a_section_of_the_tree_and_off_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATEWATCH_CONFIG", raising=False)
    assert load_settings(data_dir=tmp_path).mail.enabled is False
    file = tmp_path / "pw.yaml"
    file.write_text("mail:\n  enabled: true\n  host: smtp.example.org\n  port: 587\n")
    monkeypatch.setenv("PLATEWATCH_MAIL__PASSWORD", "s3cret")
    mail = load_settings(file).mail
    assert (mail.enabled, mail.host, mail.port) == (True, "smtp.example.org", 587)
    assert mail.password is not None and mail.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(mail)


def test_an_unknown_mail_setting_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "pw.yaml"
    file.write_text("mail:\n  smarthost: x\n")
    with pytest.raises(SettingsError, match="smarthost"):
        load_settings(file)
