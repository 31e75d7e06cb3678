"""Password hashing with argon2id, and the one-time passwords administrators hand out."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the username does not exist, so both paths take the same time.
    return _HASHER.hash(secrets.token_urlsafe(16))


class WeakPasswordError(ValueError):
    """A chosen password does not meet the policy; the message says what to change."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash still costs one full verification."""
    try:
        return (
            _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_new_password(password: str, *, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"the password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}"
        raise WeakPasswordError(msg)
    if username.lower() in password.lower():
        msg = "the password contains the username; choose another"
        raise WeakPasswordError(msg)


def one_time_password() -> str:
    """A random password to hand to a new user once; they must replace it at first sign-in."""
    return secrets.token_urlsafe(12)
