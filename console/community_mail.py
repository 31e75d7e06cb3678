"""Sending the emails a committed community change asked for."""

from __future__ import annotations

import logging
import smtplib

from community.mail import SmtpMailer
from community.requests import Outgoing
from console.settings import ConsoleSections

log = logging.getLogger(__name__)


def deliver(settings: ConsoleSections, outgoing: list[Outgoing]) -> int:
    """Send each message after the commit; a failure is logged and the rest still go.
    Returns how many were handed to the SMTP server."""
    mailer = SmtpMailer(settings.mail)
    sent = 0
    for message in outgoing:
        try:
            mailer.send(message.to, message.subject, message.body)
        except (smtplib.SMTPException, OSError):  # MailError is an OSError
            log.warning("could not send %r", message.subject, exc_info=True)
        else:
            sent += 1
    return sent
