from __future__ import annotations

import pytest

from community.mail import MailError, SmtpMailer
from community.settings import MailSettings
from tests.community.conftest import SmtpCapture, free_port


def test_a_message_reaches_the_smtp_server(smtp_server: SmtpCapture) -> None:
    SmtpMailer(smtp_server.settings(from_addr="hoa@example.org")).send(
        "resident@example.org", "Your invite", "Code: ABCD-EFGH-JKMN\n"
    )
    (got,) = smtp_server.messages
    assert got.mail_from == "hoa@example.org"
    assert got.rcpt_tos == ("resident@example.org",)
    assert got.message["Subject"] == "Your invite"
    assert got.message.get_content() == "Code: ABCD-EFGH-JKMN\n"


def test_mail_switched_off_sends_nothing(smtp_server: SmtpCapture) -> None:
    settings = MailSettings(host=smtp_server.host, port=smtp_server.port)
    with pytest.raises(MailError, match=r"mail is switched off \(mail.enabled is false\)"):
        SmtpMailer(settings).send("a@example.org", "s", "b")
    assert smtp_server.messages == []


def test_an_unreachable_server_names_where_it_tried() -> None:
    port = free_port()
    mailer = SmtpMailer(MailSettings(enabled=True, port=port, timeout_s=2))
    with pytest.raises(MailError, match=rf"mail server at 127.0.0.1:{port} did not take"):
        mailer.send("a@example.org", "s", "b")
