"""Input no page, API or callback can use is refused at the door with a 400 that says why.

NUL characters cannot be stored or even compared in PostgreSQL text: in a path, a query argument, a
form field or a JSON string they used to reach a query and end as a 500. So did an id in a URL beyond
PostgreSQL's integer range. Inbound Twilio messages are
the exception: there NULs are removed and the original kept (bot/providers/twilio/form.py), so nothing a worker sent
is lost."""
from __future__ import annotations

from flask import Flask, abort, request

EXEMPT = ("/webhooks/twilio/messages",)
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one in a URL names nothing (404), not a 500


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul():
        if request.path.startswith(EXEMPT):
            return None
        if "\x00" in request.path:
            abort(400, description="The address contains a NUL character.")
        if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
            abort(404)
        for where, values in (("query argument", request.args), ("form field", request.form)):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400, description=f"The {where} {key.replace(chr(0), '?')[:40]!r} contains a NUL "
                                           "character. Remove it and try again.")
        if request.is_json and contains_nul(request.get_json(silent=True)):
            abort(400, description="The JSON body contains a NUL character (\\u0000). Remove it and try again.")
        return None
