from __future__ import annotations

import pytest
from pydantic import ValidationError

from alpr.settings import EdgeSettings, ModelSettings
from platewatch.settings import SettingsError, load_settings


def test_defaults_suit_a_two_core_edge_box() -> None:
    models, edge = ModelSettings(), EdgeSettings()
    assert (models.detector_threads, models.ocr_threads) == (2, 1)
    assert models.stream_detector_input < models.detector_input
    assert edge.region is None and edge.track_timeout_s > 0


def test_unknown_keys_and_bad_regions_are_rejected() -> None:
    with pytest.raises(ValidationError):
        EdgeSettings(regoin="us")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        EdgeSettings(region="mars")
    with pytest.raises(SettingsError, match=r"edge\.region"):
        load_settings(None, edge={"region": "mars"})


def test_environment_sets_nested_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATEWATCH_EDGE__REGION", "br")
    monkeypatch.setenv("PLATEWATCH_MODELS__STREAM_DETECTOR_INPUT", "384")
    settings = load_settings(None)
    assert settings.edge.region == "br" and settings.models.stream_detector_input == 384
