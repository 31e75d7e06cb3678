"""Errors of community services; each message says what was wrong and what to do."""

from __future__ import annotations


class CommunityError(ValueError):
    """A community change that cannot be made; nothing was written."""


class InviteError(CommunityError):
    """An invite code that cannot be used or issued."""


class NotYoursError(CommunityError):
    """The thing named does not exist for this caller (another resident's looks the same)."""
