"""Parsing form fields whose errors people must understand (FastAPI's own 422 for a float
field names no field in words a resident can act on)."""

from __future__ import annotations

from community.errors import CommunityError


def coordinate(text: str, name: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        msg = f"{name} {text.strip()!r} is not a number; use decimal degrees such as 37.7749"
        raise CommunityError(msg) from None


def optional_coordinate(text: str, name: str) -> float | None:
    return coordinate(text, name) if text.strip() else None


def sentence(error: Exception) -> str:
    """An error message as a sentence on a page (str.capitalize would lower 'HOA')."""
    text = str(error)
    return text[:1].upper() + text[1:] + "."
