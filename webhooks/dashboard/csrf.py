"""CSRF protection for the organizers' pages: a random token per browser session, required on every
POST/PUT/PATCH/DELETE as the form field `csrf_token` or the `X-CSRF-Token` header (fetch calls).
Webhooks (Twilio signatures) and /api/v1 (bearer tokens, no cookies) are outside it."""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session
from flask_babel import gettext as _

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT = ("/webhooks/", "/api/")


def token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = token

    @app.before_request
    def check_csrf():
        if request.method not in UNSAFE or request.path.startswith(EXEMPT):
            return None
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        expected = session.get("csrf")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, description=_("This form has expired or did not come from this site. "
                                     "Go back, reload the page and try again."))
        return None
