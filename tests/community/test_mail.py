from __future__ import annotations

import pytest

from community.mail import MailError, SmtpMailer
from community.settings import MailSettings
from tests.community.conftest import SmtpCapture, free_port


def _settings(server: SmtpCapture, **kw: object) -> MailSettings:
    return MailSettings(host=server.host, port=server.port, **kw)


def test_a_message_reaches_the_smtp_server(smtp_server: SmtpCapture) -> None:
    settings = _settings(smtp_server, enabled=True, from_addr="hoa@example.org")
    SmtpMailer(settings).send("resident@example.org", "Your invite", "Code: ABCD-EFGH-JKMN\n")
    (got,) = smtp_server.messages
    assert got["From"] == "hoa@example.org" and got["To"] == "resident@example.org"
    assert got["Subject"] == "Your invite"
    assert str(got.get_payload()).strip() == "Code: ABCD-EFGH-JKMN"


def test_mail_switched_off_sends_nothing(smtp_server: SmtpCapture) -> None:
    SmtpMailer(_settings(smtp_server)).send("a@example.org", "s", "b")
    assert smtp_server.messages == []


def test_an_unreachable_server_names_where_it_tried() -> None:
    port = free_port()
    mailer = SmtpMailer(MailSettings(enabled=True, port=port, timeout_s=2))
    with pytest.raises(MailError, match=rf"mail server at 127.0.0.1:{port} did not take"):
        mailer.send("a@example.org", "s", "b")
