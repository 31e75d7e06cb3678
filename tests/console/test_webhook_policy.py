"""Where webhooks may post: https off this machine, and only to allowed hosts when a list is set.

Its own module: test_webhooks runs a console whose worker would race the one driven here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from console.webhook_worker import WebhookWorker
from console.webhooks import WebhookError, check_target, create_webhook
from store.db import make_engine, make_session_factory
from store.tables import Alert, Webhook, WebhookDelivery
from tests.console.conftest import Caller, World, settings_for
from tests.console.test_webhooks import _deliveries, _disable


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://cad.example.org/hook", "alerts leave this machine only over https"),
        ("http://10.0.0.8/hook", "alerts leave this machine only over https"),
        ("https://", "is not an http(s) URL"),
    ],
)
def test_webhooks_leave_the_machine_only_over_https(
    by_token: dict[str, Caller], world: World, url: str, why: str
) -> None:
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(Webhook))
    bad = by_token["admin"].post(
        "/api/webhooks", json={"agency_id": world.ids["metro"], "url": url}
    )
    assert bad.status_code == 422 and why in bad.json()["detail"], bad.text
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(Webhook)) == before


def test_the_allow_list_limits_hosts_but_not_loopback() -> None:
    allow = ("cad.example.org", "*.agency.gov")
    assert check_target("https://cad.example.org/h", allow) == "https://cad.example.org/h"
    assert check_target(" https://rms.county.agency.gov/x ", allow) == (
        "https://rms.county.agency.gov/x"
    )
    assert check_target("http://127.0.0.1:9000/h", allow) == "http://127.0.0.1:9000/h"
    assert check_target("http://[::1]:9000/h", allow) == "http://[::1]:9000/h"
    with pytest.raises(WebhookError, match=r"evil.example is not in console.webhook_allow_hosts"):
        check_target("https://evil.example/h", allow)
    with pytest.raises(WebhookError, match=r"not in console\.webhook_allow_hosts"):
        check_target("https://agency.gov.evil.example/h", allow)
    # Without an allow-list any https host may receive alerts.
    assert check_target("https://evil.example/h") == "https://evil.example/h"


def test_a_webhook_outside_a_later_allow_list_is_not_sent(world: World) -> None:
    with world.session() as s:
        new = create_webhook(
            s, actor="test", agency_id=world.ids["metro"], url="https://cad.example.org/h"
        )
        hook_id = new.webhook.id
        s.add(
            WebhookDelivery(
                webhook_id=hook_id,
                alert_id=s.scalar(select(func.min(Alert.id))),
                event="alert.raised",
                payload="{}",
            )
        )
        s.commit()
    settings = settings_for(world.url, world.image_root, webhook_allow_hosts=("rms.example",))
    worker = WebhookWorker(make_session_factory(make_engine(world.url)), settings.console)
    with httpx.Client() as client, ThreadPoolExecutor(2) as pool:
        worker.run_once(client, pool)
    (delivery,) = _deliveries(world, hook_id)
    assert delivery.status == "failed" and delivery.attempts == 0
    assert "cad.example.org is not in console.webhook_allow_hosts" in (delivery.last_error or "")
    _disable(world, hook_id)
