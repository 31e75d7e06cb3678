from __future__ import annotations

import socket

import httpx
import pytest
from fastapi.testclient import TestClient

from console.app import create_app
from tests.console.conftest import Caller, LiveServer, World, settings_for


def test_health_answers_without_credentials(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_alerts_and_name_no_plate(world: World) -> None:
    settings = settings_for(world.url, world.image_root, metrics_token="scrape-secret-1")
    with TestClient(create_app(settings, webhooks=False)) as client:
        response = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert "platewatch_console_feed_subscribers 0.0" in body
    lines = [line for line in body.splitlines() if line.startswith("platewatch_console_alerts{")]
    assert lines, body
    assert all('decision="' in line and 'status="' in line for line in lines)
    assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) >= 1


def test_metrics_on_the_console_port_need_the_token(client: TestClient, world: World) -> None:
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert "set console.metrics_token" in refused.json()["detail"]
    settings = settings_for(world.url, world.image_root, metrics_token="scrape-secret-1")
    with TestClient(create_app(settings, webhooks=False)) as other:
        wrong = other.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401 and "wrong or missing" in wrong.json()["detail"]
        assert "platewatch_console" not in wrong.text


def test_metrics_bind_serves_them_on_a_separate_address(world: World) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(world.url, world.image_root, metrics_bind=f"127.0.0.1:{port}")
    with LiveServer(create_app(settings, webhooks=False)) as live:
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert scraped.status_code == 200 and "platewatch_console_alerts" in scraped.text
        assert httpx.get(f"{live.url}/metrics", timeout=5).status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_api_docs_need_sign_in_by_default(client: TestClient, as_user: dict[str, Caller]) -> None:
    page = client.get("/docs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fdocs")
    spec = client.get("/openapi.json")
    assert spec.status_code == 401
    assert "/api/alerts" not in spec.text
    assert client.get("/redoc", follow_redirects=False).status_code == 303
    signed_in = as_user["officer_a"].get("/docs")
    assert signed_in.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in signed_in.text
    assert "/api/alerts" in as_user["officer_a"].get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(("access", "status"), [("public", 200), ("off", 404)])
def test_api_docs_setting(world: World, access: str, status: int) -> None:
    settings = settings_for(world.url, world.image_root, api_docs=access)
    with TestClient(create_app(settings, webhooks=False)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path, follow_redirects=False).status_code == status, path
