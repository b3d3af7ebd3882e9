from __future__ import annotations

from localservers import RedisServer


def test_healthz_reports_database_redis_and_nlu(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["database"]["status"] == "ok" and body["database"]["dialect"] == "postgresql"
    assert body["redis"]["status"] == "ok"
    assert body["nlu"]["status"] in {"ok", "down", "disabled", "fallback"}


def test_healthz_shows_redis_down(make_settings, db):
    from bot.services import build_services
    from webhooks import create_app

    with RedisServer() as redis:
        services = build_services(make_settings(redis_url=redis.url))
        client = create_app(services=services).test_client()
        assert client.get("/healthz").get_json()["redis"]["status"] == "ok"
        redis.stop()
        body = client.get("/healthz").get_json()
        services.close()
    assert body["redis"]["status"] == "down" and body["status"] == "ok"
