"""Errors never reach a caller as a stack trace: short JSON (or TwiML for Twilio) with the status."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_page():
            return render_template("dashboard/error.html", code=exc.code, name=exc.name,
                                   description=exc.description), exc.code
        # The exception's own headers too (Allow on a 405, WWW-Authenticate, Retry-After), not its HTML type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return jsonify(error=exc.name, message=exc.description, status=exc.code), exc.code, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/webhooks/twilio/messages"):
            # The message was stored before anything that can fail; Twilio must not retry it.
            return '<?xml version="1.0" encoding="UTF-8"?><Response />', 200, {"Content-Type": "text/xml"}
        if _wants_page():
            return render_template("dashboard/error.html", code=500, name="Something went wrong",
                                   description="The error is logged. Try again in a moment."), 500
        return jsonify(error="Internal Server Error", status=500), 500


def _wants_page() -> bool:
    """Browsers on the organizers' pages get HTML; API clients and Twilio get JSON or TwiML."""
    if request.path.startswith(("/api/", "/webhooks/", "/healthz")):
        return False
    return request.accept_mimetypes.accept_html and not request.accept_mimetypes.accept_json \
        or request.accept_mimetypes.best == "text/html"
