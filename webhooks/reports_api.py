"""Organizers' reports API: list (filters, pages, clusters) and status changes. Every query is scoped to
the token's organization (g.organization); phone numbers are masked and anonymous reporters never shown."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from bot.desk import report_list, report_status
from bot.desk.filters import FilterError
from webhooks.api_errors import error
from webhooks.auth import token_required
from webhooks.context import current_services

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")


@bp.get("")
@token_required
def list_reports():
    services = current_services()
    try:
        query = report_list.ListQuery.parse(request.args, services.catalog)
        return jsonify(report_list.list_reports(services, g.organization, query))
    except FilterError as exc:
        return error(400, str(exc))


@bp.patch("/<reference>")
@token_required
def change(reference: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, 'send a JSON object: {"status": "verified", "note": "..."}')
    status, note = body.get("status"), body.get("note")
    if status is not None and not isinstance(status, str) or note is not None and not isinstance(note, str):
        return error(400, "status and note must be strings")
    unknown = set(body) - {"status", "note"}
    if unknown:
        return error(400, f"unknown fields: {', '.join(sorted(unknown))}")
    services = current_services()
    try:
        result = report_status.change_status(services, g.organization, reference, status, note, actor="api")
    except report_status.TransitionError as exc:
        return error(409, str(exc))
    except ValueError as exc:
        return error(400, str(exc))
    if result is None:
        return error(404, f"no report {reference} in this organization")
    return jsonify(reference=result.report.reference, status=result.report.status, note=result.event.note,
                   notified=result.notified)
