"""Errors routes raise; `console.handlers` shows them as JSON under /api, pages elsewhere."""

from __future__ import annotations

from fastapi import HTTPException


class LoginRequiredError(Exception):
    def __init__(self, detail: str, *, expired: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.expired = expired


class PasswordChangeRequiredError(Exception):
    """A user signed in with a one-time password must choose their own before anything else."""


class Forbidden(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=403, detail=detail)


class NotFound(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=404, detail=detail)
