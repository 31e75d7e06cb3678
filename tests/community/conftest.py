"""Fixtures of the community tests: a real SMTP server (aiosmtpd) that keeps what it received."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from community.settings import MailSettings


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


@dataclass(frozen=True)
class SmtpCapture:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)

    def settings(self, **overrides: Any) -> MailSettings:
        return MailSettings(enabled=True, host=self.host, port=self.port, **overrides)


class _Keep:
    def __init__(self, messages: list[Received]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        del server, session
        # SMTP carries CRLF line ends; the test compares what the sender wrote.
        content = envelope.content.replace(b"\r\n", b"\n")
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    capture = SmtpCapture("127.0.0.1", free_port())
    controller = Controller(_Keep(capture.messages), hostname="127.0.0.1", port=capture.port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()
