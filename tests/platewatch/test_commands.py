"""Every command meets a bad settings file or an unusable database with one line and the
right exit code (2: fix the settings or arguments; 1: the operation failed), never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from platewatch.cli import click_command, main


@pytest.fixture(autouse=True)
def _own_logging() -> Iterator[None]:
    """Long-running commands set up logging on the stderr of their test; put it back."""
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/platewatch"


# Typer carries its own copy of click, so the tree is walked by what its nodes can do.
def _commands() -> Iterator[tuple[str, ...]]:
    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                yield from walk(command.get_command(None, name), (*path, name))
        elif any(p.name == "config" for p in command.params):
            yield path

    yield from walk(click_command(), ())


def _args(path: tuple[str, ...], tmp_path: Path) -> list[str]:
    """The command with a placeholder for each required argument and option."""
    command: Any = click_command()
    for name in path:
        command = command.get_command(None, name)
    feed = tmp_path / "feed.csv"
    feed.write_text("plate\nABC123\n", encoding="utf-8")
    values = {"file": str(feed), "until": "2030-01-01", "token_id": "1", "receipt_id": "1"}
    values |= {"hold_id": "1", "role": "officer", "paths": str(feed), "images": str(tmp_path)}
    args = list(path)
    for param in command.params:
        if not param.required or param.name is None:
            continue
        value = values.get(param.name, "x")
        if param.param_type_name == "option":
            args += [param.opts[0], value]
        else:
            args.append(value)
    return args


COMMANDS = sorted(_commands())
# Commands that open the database; the long-running `run`, `matcher`, `edge` and `broker`
# and the model and reading commands are left out of the database cases.
DATABASE_COMMANDS = [
    c
    for c in COMMANDS
    if c[0] in ("agency", "site", "camera", "hotlist", "safelist", "users", "retention", "serve")
    and c != ("hotlist", "match")
]


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[str]]:
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115, PTH123
    with pytest.raises(SystemExit) as stopped:
        main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), err.strip().splitlines()


BAD_FILES = {
    "missing": (None, "no such settings file"),
    "unknown key": (b"retention:\n  imgae_days: 7\n", "remove it (unknown key)"),
    "not UTF-8": (b'console:\n  host: "\xff\xfe"\n', "not UTF-8 text"),
    "duplicate key": (b"retention:\n  image_days: 7\n  image_days: 30\n", "duplicate key"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_bad_settings_are_one_line_and_exit_2(
    command: tuple[str, ...],
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content, message = BAD_FILES[case]
    config = tmp_path / "platewatch.yaml"
    if content is not None:
        config.write_bytes(content)
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    code, lines = _run([*_args(command, tmp_path), "--config", str(config)], capsys, monkeypatch)
    assert code == 2, lines
    assert len(lines) == 1 and message in lines[0] and str(config) in lines[0], lines


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_an_unreachable_database_is_one_line_and_exit_1(
    command: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", UNREACHABLE_PG)
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    code, lines = _run(_args(command, tmp_path), capsys, monkeypatch)
    assert code == 1, lines
    assert len(lines) == 1 and "cannot use the database at postgresql" in lines[0], lines
    assert "check database_url and that the server is running" in lines[0]


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_a_database_never_upgraded_is_one_line_and_exit_1(
    command: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("PLATEWATCH_DATA_DIR", str(tmp_path / "var"))
    code, lines = _run(_args(command, tmp_path), capsys, monkeypatch)
    assert code == 1, lines
    assert len(lines) == 1 and "platewatch db upgrade" in lines[0], lines
