"""Errors services raise on purpose. Each message says what was wrong and what to do about it;
commands print it as one line and the stream dead-letters a read that raised one."""

from __future__ import annotations


class DomainError(ValueError):
    """Base of every error a service raises on purpose (not a bug, not an outage)."""


class NotFoundError(DomainError):
    """A named agency, site, camera, list or alert does not exist."""


class AlreadyExistsError(DomainError):
    """A name that must be unique is taken."""
