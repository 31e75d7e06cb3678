"""Command-line commands of the `stream` stage."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    del app
