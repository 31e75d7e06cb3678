"""The one settings tree: defaults, then an optional YAML file, then PLATEWATCH_* variables.

Built by `load_settings`, never at import time, so tests and processes each get their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from alpr.settings import EdgeSettings, ModelSettings
from console.settings import ConsoleSettings
from hotlist.settings import MatchSettings
from retention.settings import RetentionSettings
from store.settings import AuditSettings, CheckpointPaths
from stream.settings import StreamSettings

CONFIG_ENV = "PLATEWATCH_CONFIG"


class SettingsError(ValueError):
    """A settings file or variable is wrong; the message names where and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATEWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in data_dir"
    )
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="host:port,...; unset runs the embedded broker"
    )
    models: ModelSettings = Field(default_factory=ModelSettings)
    edge: EdgeSettings = Field(default_factory=EdgeSettings)
    stream: StreamSettings = Field(default_factory=StreamSettings)
    matching: MatchSettings = Field(default_factory=MatchSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platewatch.db').as_posix()}"

    def checkpoint_paths(self) -> CheckpointPaths:
        """The checkpoint key and sink, relative paths taken under `data_dir`."""
        return CheckpointPaths(
            key=self.data_dir / self.audit.checkpoint_key_path,
            sink=self.data_dir / self.audit.checkpoint_sink_path,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the file, which `load_settings` passes as init data
        # below them; no .env files, so what configures a process is visible in its unit.
        return (env_settings, init_settings)


def _yaml_line_of(path: Path, text: str, loc: tuple[int | str, ...]) -> int | None:
    """Find the line of a key path in a YAML document, for error messages people can act on."""
    node: Any = yaml.compose(text)
    line: int | None = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            break
    return line


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        msg = f"{path}: no such settings file; check the path or unset {CONFIG_ENV}"
        raise SettingsError(msg) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        msg = f"{where}: not valid YAML ({exc}); fix the syntax"
        raise SettingsError(msg) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        msg = f"{path}:1: the settings file must be a mapping of keys to values"
        raise SettingsError(msg)
    return data


def _explain(errors: ValidationError, path: Path | None, text: str | None) -> str:
    lines = []
    for err in errors.errors():
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc)
        where = "environment"
        if path is not None and text is not None:
            line = _yaml_line_of(path, text, loc)
            where = f"{path}:{line}" if line else str(path)
        hint = "remove it (unknown key)" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{where}: {field}: {hint}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings tree from defaults, the YAML file (if any) and the environment."""
    if config_file is None and os.environ.get(CONFIG_ENV):
        config_file = Path(os.environ[CONFIG_ENV])
    data: dict[str, Any] = {}
    text: str | None = None
    if config_file is not None:
        data = read_config_file(config_file)
        text = config_file.read_text(encoding="utf-8")
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, config_file, text)) from exc


__all__ = ["CONFIG_ENV", "Settings", "SettingsError", "load_settings"]
