"""Security headers on every response.

A strict Content-Security-Policy (self only: the templates have no inline script or style, Leaflet and
Chart.js are served from static/vendor), no framing, no MIME sniffing, a same-origin Referer, HSTS in
production, and `Cache-Control: no-store` on everything a signed-in organizer sees (pages and JSON
with personal data must not stay in a shared computer's cache) and on the API."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, g, request

HSTS = "max-age=31536000; includeSubDomains"


def tiles_source(url: str | None) -> str | None:
    """The CSP source for MAP_TILES_URL, e.g. https://{s}.tile.example.org/{z}/{x}/{y}.png ->
    https://*.tile.example.org (None when unset or not an http(s) URL)."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "x-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.replace("x-subdomain", "*")
    return f"{parts.scheme}://{host}"


def policy(settings) -> str:
    images = " ".join(filter(None, ("'self'", "data:", "blob:", tiles_source(settings.map_tiles_url))))
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def init_app(app: Flask) -> None:
    settings = app.extensions["streetline"].settings
    defaults = [("Content-Security-Policy", policy(settings)), ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
    if settings.production:
        defaults.append(("Strict-Transport-Security", HSTS))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers}  # one pass, not a scan per header
        headers.extend([(name, value) for name, value in defaults if name.lower() not in present])
        personal = g.get("account") is not None and request.endpoint != "static"
        if (personal or request.path.startswith("/api/")) and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "private, no-store"
        return response
