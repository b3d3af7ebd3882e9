"""Bearer-token auth for /api/v1: every view gets the caller's organization as `g.organization`
and must scope its queries to it."""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, request

from bot.desk.tokens import organization_for
from webhooks.context import current_services


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        organization = organization_for(current_services(), token.strip()) \
            if scheme.lower() == "bearer" else None
        if organization is None:
            response = jsonify(error="a valid API token is required (Authorization: Bearer stl_...)", status=401)
            return response, 401, {"WWW-Authenticate": 'Bearer realm="streetline"'}
        g.organization = organization
        return view(*args, **kwargs)

    return wrapper
