"""X-Twilio-Signature checked with twilio-python's RequestValidator against the public URL."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from twilio.request_validator import RequestValidator
from webhooks.context import current_services


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path (+ query), since proxies rewrite the rest."""
    settings = current_services().settings
    query = request.query_string.decode("latin-1")
    return settings.public_base_url + request.path + (f"?{query}" if query else "")


def twilio_signed(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        settings = current_services().settings
        validator = RequestValidator(settings.twilio_auth_token)
        if not signature or not validator.validate(signed_url(), request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return wrapper
