from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_answers_without_credentials(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_alerts_and_name_no_plate(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert "platewatch_console_feed_subscribers 0.0" in body
    lines = [line for line in body.splitlines() if line.startswith("platewatch_console_alerts{")]
    assert lines, body
    assert all('decision="' in line and 'status="' in line for line in lines)
    assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) >= 1
