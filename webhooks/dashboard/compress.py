"""gzip for the organizers' pages and their JSON: organizers work on slow mobile links, and the map's
points or a long inbox shrink five to ten times. Streams (exports) and files are left as they are."""
from __future__ import annotations

import gzip

from flask import Flask, request

TYPES = {"text/html", "application/json", "application/geo+json", "text/css", "text/javascript",
         "application/javascript"}
MIN_BYTES = 1400  # below one packet it does not pay


def init_app(app: Flask) -> None:
    @app.after_request
    def compress(response):
        if (response.direct_passthrough or response.is_streamed or response.status_code != 200
                or response.mimetype not in TYPES or "Content-Encoding" in response.headers
                or request.path.startswith(("/webhooks/", "/api/"))
                or "gzip" not in request.headers.get("Accept-Encoding", "").lower()):
            return response
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        response.set_data(gzip.compress(data, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
