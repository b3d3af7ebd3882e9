"""GET /healthz: the state of the database, Redis and the NLU server, as JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify

from bot.health import check
from webhooks.context import current_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = check(current_services())
    return jsonify(report), (200 if report["database"]["status"] == "ok" else 503)
