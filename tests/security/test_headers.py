"""Issue 12 item 8: security headers on every response of the pages; no-store where personal data is
shown; templates that a strict CSP (self only) does not break."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.orgs import sync_organizations
from bot.services import build_services
from webhooks import create_app
from webhooks.headers import tiles_source

TEMPLATES = Path(__file__).resolve().parents[2] / "webhooks" / "templates"


def csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d for d in (p.strip() for p in header.split(";"))}


@pytest.mark.parametrize("path", ["/login", "/reports", "/healthz", "/static/app.css", "/nowhere"])
def test_every_response_has_the_headers(client, path):
    response = client.get(path)
    response.close()  # a static file's stream
    policy = csp(response)
    assert policy["default-src"] == "default-src 'self'" and policy["script-src"] == "script-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'" and "unsafe" not in str(policy)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


@pytest.mark.parametrize("path", ["/", "/reports", "/reports/map", "/members", "/conversations", "/broadcasts",
                                  "/markets", "/data"])
def test_signed_in_pages_are_not_cached(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"], path


def test_static_files_stay_cacheable_when_signed_in(signed_in):
    response = signed_in.get("/static/app.css")
    response.close()
    assert response.status_code == 200 and "no-store" not in (response.headers.get("Cache-Control") or "")


def test_the_api_is_not_cached(services, client):
    from bot.desk.tokens import create_token

    token = create_token(services, "nairobi-vendors", "desk")
    response = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def test_hsts_in_production_and_map_tiles_in_img_src(make_settings, db, redis):
    services = build_services(make_settings(env="production",
                                            map_tiles_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"))
    sync_organizations(services)
    try:
        response = create_app(services=services).test_client().get("/login")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "https://*.tiles.example.org" in csp(response)["img-src"]
    finally:
        services.close()


def test_tiles_source():
    assert tiles_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert tiles_source("http://127.0.0.1:8081/{z}/{x}/{y}.png") == "http://127.0.0.1:8081"
    assert tiles_source(None) is None and tiles_source("javascript:alert(1)") is None


def test_templates_have_nothing_a_strict_csp_refuses():
    """No inline <script> (JSON data blocks are not run), no <style>, no style="" or on*="" attributes."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"<style\b", text), path
        assert not re.search(r"\sstyle\s*=", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path
