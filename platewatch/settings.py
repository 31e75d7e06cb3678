"""The one settings tree: defaults, then an optional YAML file, then PLATEWATCH_* variables.

Built by `load_settings`, never at import time, so tests and processes each get their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

from alpr.settings import EdgeSettings, ModelSettings
from community.request_settings import RequestSettings
from community.settings import MailSettings
from console.health_settings import HealthSettings
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
    mail: MailSettings = Field(default_factory=MailSettings)
    community: RequestSettings = Field(default_factory=RequestSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @model_validator(mode="after")
    def _paths_under_data_dir(self) -> Settings:
        # Frozen, so the resolved paths are set once here; every stage then sees absolute paths.
        data_dir = self.data_dir.expanduser().absolute()
        object.__setattr__(self, "data_dir", data_dir)
        object.__setattr__(
            self,
            "edge",
            self.edge.model_copy(
                update={
                    "image_root": _under(data_dir, self.edge.image_root),
                    "outbox_path": _under(data_dir, self.edge.outbox_path),
                }
            ),
        )
        media_key = _under(data_dir, self.console.media_link_key_path)
        push_key = _under(data_dir, self.console.push_key_path)
        object.__setattr__(
            self,
            "console",
            self.console.model_copy(
                update={"media_link_key_path": media_key, "push_key_path": push_key}
            ),
        )
        if self.matching.index_dir is not None:
            index_dir = _under(data_dir, self.matching.index_dir)
            object.__setattr__(
                self, "matching", self.matching.model_copy(update={"index_dir": index_dir})
            )
        return self

    def resolved_paths(self) -> dict[str, str]:
        """Every place a process writes or reads, as it will use them (for `config show`)."""
        database = make_url(self.effective_database_url).render_as_string(hide_password=True)
        index_dir = self.matching.index_dir
        return {
            "data_dir": str(self.data_dir),
            "database": database,
            "edge.image_root": str(self.edge.image_root),
            "edge.outbox_path": str(self.edge.outbox_path),
            "matching.index_dir": str(index_dir) if index_dir else "(a cache per database)",
            "models.cache_dir": str(self.models.cache_dir),
            "stream.broker_cache_dir": str(self.stream.broker_cache_dir),
            "audit.checkpoint_key_path": str(self.checkpoint_paths().key),
            "audit.checkpoint_sink_path": str(self.checkpoint_paths().sink),
            "console.media_link_key_path": str(self.console.media_link_key_path),
            "console.push_key_path": str(self.console.push_key_path),
        }

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platewatch.db').as_posix()}"

    def checkpoint_paths(self) -> CheckpointPaths:
        """The checkpoint key and sink, relative paths taken under `data_dir`."""
        return CheckpointPaths(
            key=_under(self.data_dir, self.audit.checkpoint_key_path),
            sink=_under(self.data_dir, self.audit.checkpoint_sink_path),
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


def _under(data_dir: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else data_dir / path


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping: YAML keeps the last one
    silently, so `image_days: 30` further down would undo a `image_days: 7` someone relied on."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                msg = f"duplicate key {key!r} (first on line {seen[key]}); keep one"
                raise yaml.constructor.ConstructorError(None, None, msg, key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        msg = f"{path}: no such settings file; check the path or unset {CONFIG_ENV}"
        raise SettingsError(msg) from exc
    except IsADirectoryError as exc:
        msg = f"{path}: is a folder; give the settings file (a .yaml file)"
        raise SettingsError(msg) from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        msg = f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        raise SettingsError(msg) from exc
    except PermissionError as exc:
        msg = f"{path}: cannot be read by this user; check its permissions"
        raise SettingsError(msg) from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506  (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = str(getattr(exc, "problem", "") or "")
        if problem.startswith("duplicate key"):
            msg = f"{where}: {problem}"
        else:
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
    # One line per problem, each naming its own file, line and field.
    return "\n".join(lines)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings tree from defaults, the YAML file (if any) and the environment."""
    if config_file is None and os.environ.get(CONFIG_ENV):
        config_file = Path(os.environ[CONFIG_ENV])
    data: dict[str, Any] = {}
    text: str | None = None
    if config_file is not None:
        data = read_config_file(config_file)
        text = config_file.read_text(encoding="utf-8")
        if isinstance(data.get("data_dir"), str) and not Path(data["data_dir"]).is_absolute():
            # A file says where its data lives relative to itself, wherever it is run from.
            data["data_dir"] = str(config_file.resolve().parent / data["data_dir"])
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, config_file, text)) from exc


__all__ = ["CONFIG_ENV", "Settings", "SettingsError", "load_settings"]
