"""Errors never reach a caller as a stack trace: short JSON (or TwiML for Twilio) with the status."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.name, status=exc.code), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/webhooks/twilio/messages"):
            # The message was stored before anything that can fail; Twilio must not retry it.
            return '<?xml version="1.0" encoding="UTF-8"?><Response />', 200, {"Content-Type": "text/xml"}
        return jsonify(error="Internal Server Error", status=500), 500
