"""Fixtures of the community tests: a real SMTP server (aiosmtpd) on a free local port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher

from console.accounts import passwords


@dataclass
class SmtpCapture:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)


class _Collect:
    def __init__(self, capture: SmtpCapture) -> None:
        self.capture = capture

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        del server, session
        self.capture.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    capture = SmtpCapture("127.0.0.1", free_port())
    controller = Controller(_Collect(capture), hostname="127.0.0.1", port=capture.port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Real argon2id at test cost, as in tests/console: residents are created per test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        passwords._dummy_hash.cache_clear()
        yield
    passwords._dummy_hash.cache_clear()
