"""Sending mail over SMTP. Callers send after their transaction commits, so a slow or
failing mail server never holds database locks or undoes what was saved."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from community.settings import MailSettings

log = logging.getLogger(__name__)


class MailError(OSError):
    """The message was not accepted by the mail server; the text says which and why. An
    OSError, as smtplib's own connection failures are, so one `except OSError` covers both."""


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str) -> None:
        """Switched off (`mail.enabled` false, the default), nothing is sent; callers that must
        reach someone check `enabled` first and say so."""
        s = self.settings
        if not s.enabled:
            log.info("mail switched off: not sending %r", subject)
            return
        message = EmailMessage()
        message["From"] = s.from_addr
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    secret = s.password.get_secret_value() if s.password else ""
                    smtp.login(s.username, secret)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            msg = f"the mail server at {s.host}:{s.port} did not take the message to {to}: {exc}"
            raise MailError(msg) from exc
        log.info("mail sent: %s", subject)
