"""How every token API answers a refusal: JSON {error, status[, field]} with the HTTP status, the same
for reports, markets, broadcasts, polls and authorities (docs/api.md)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from bot import broadcasts


def error(status: int, message: str, **extra):
    return jsonify(error=message, status=status, **extra), status


def json_object() -> dict:
    """The request's JSON body, which must be an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise broadcasts.BroadcastError("send a JSON object")
    return data


def answer_broadcast_errors(bp: Blueprint) -> None:
    """The broadcasts room's refusals (the validator's, with the field it names) as 400, unknown ids 404."""
    @bp.errorhandler(broadcasts.BroadcastError)
    def _bad(exc):
        field = getattr(exc, "field", None)
        return error(400, str(exc), **({"field": field} if field else {}))

    @bp.errorhandler(broadcasts.NotFound)
    def _missing(exc):
        return error(404, str(exc))
