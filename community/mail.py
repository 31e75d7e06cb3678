"""Email to residents: a `Mailer` protocol and the SMTP one (smtplib)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from community.settings import MailSettings

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class SmtpMailer:
    """Sends each message over its own SMTP connection; disabled, it only logs that it would."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str) -> None:
        s = self.settings
        if not s.enabled:
            log.info("mail disabled: not sending %r", subject)
            return
        message = EmailMessage()
        message["From"] = s.from_addr
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(s.host, s.port, timeout=10) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username and s.password is not None:
                smtp.login(s.username, s.password.get_secret_value())
            smtp.send_message(message)
