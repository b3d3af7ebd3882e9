"""Organizers' reports API: list (filters, pages, clusters) and status changes. Every query is scoped to
the token's organization (g.organization); phone numbers are masked and anonymous reporters never shown."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, g, jsonify, request

from bot.desk import report_list, report_status
from bot.line import reports
from webhooks.auth import token_required

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def _error(status: int, message: str):
    return jsonify(error=message, status=status), status


def _since(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@bp.get("")
@token_required
def list_reports():
    args = request.args
    status, category = args.get("status") or None, args.get("category") or None
    if status and status not in reports.STATUSES:
        return _error(400, f"status must be one of {', '.join(reports.STATUSES)}")
    if category and category not in reports.CATEGORIES:
        return _error(400, f"category must be one of {', '.join(reports.CATEGORIES)}")
    try:
        since = _since(args["since"]) if args.get("since") else None
    except ValueError:
        return _error(400, "since must be an ISO 8601 date or time, e.g. 2026-11-25 or 2026-11-25T08:00:00Z")
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", 50))
    except ValueError:
        return _error(400, "page and per_page must be whole numbers")
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:  # a huge page overflows OFFSET
        return _error(400, f"page must be from 1 to {MAX_PAGE} and per_page between 1 and {MAX_PER_PAGE}")
    services = current_app.extensions["streetline"]
    return jsonify(report_list.list_reports(services, g.organization, status=status, category=category,
                                        market=args.get("market") or None, since=since, page=page,
                                        per_page=per_page))


@bp.patch("/<reference>")
@token_required
def change(reference: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, 'send a JSON object: {"status": "verified", "note": "..."}')
    status, note = body.get("status"), body.get("note")
    if status is not None and not isinstance(status, str) or note is not None and not isinstance(note, str):
        return _error(400, "status and note must be strings")
    unknown = set(body) - {"status", "note"}
    if unknown:
        return _error(400, f"unknown fields: {', '.join(sorted(unknown))}")
    services = current_app.extensions["streetline"]
    try:
        result = report_status.change_status(services, g.organization, reference, status, note, actor="api")
    except report_status.TransitionError as exc:
        return _error(409, str(exc))
    except ValueError as exc:
        return _error(400, str(exc))
    if result is None:
        return _error(404, f"no report {reference} in this organization")
    return jsonify(reference=result.report.reference, status=result.report.status, note=result.event.note,
                   notified=result.notified)
