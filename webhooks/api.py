"""/api/v1: the organization's live data for its own tools. Bearer token per organization
(webhooks.auth.token_required sets g.organization); every query is scoped to it, and another
organization's place is answered as not found.

GET  /api/v1/openapi.json         this API's OpenAPI 3.1 description (webhooks/openapi.yaml)
GET  /api/v1/markets              the org's markets (and areas) with the status in force now
GET  /api/v1/markets/<place_id>   one place: status now and recent history
PUT  /api/v1/markets              set statuses: one {place_id, status, starts_at?, ends_at?,
                                  reason?, broadcast?} or {"markets": [...]} (all or nothing)
PUT  /api/v1/markets/<place_id>   set one place's status
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request

from bot.line import live
from bot.line.answers.dates import zone
from bot.models import MARKET_STATES
from webhooks import openapi
from webhooks.api_errors import error
from webhooks.auth import token_required
from webhooks.context import current_services

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _place_json(place, status) -> dict:
    return {"place_id": place.id, "kind": place.kind, "city": place.city, "names": place.names,
            "status": status.to_dict() if status else None}


def _own_place(place_id: str):
    return live.org_place(current_services().catalog, g.organization, place_id)


@bp.get("/openapi.json")
def openapi_json():
    """The contract of everything under /api/v1 (webhooks/openapi.yaml); no token needed."""
    return jsonify(openapi.description())


@bp.get("/markets")
@token_required
def markets():
    services = current_services()
    now = live.current_statuses(services, g.organization)
    return jsonify(organization=g.organization,
                   markets=[_place_json(p, now.get(p.id)) for p in services.catalog.places(g.organization)])


@bp.get("/markets/<place_id>")
@token_required
def market(place_id: str):
    place = _own_place(place_id)
    if place is None:
        return error(404, "no such place in this organization")
    services = current_services()
    body = _place_json(place, live.current_statuses(services, g.organization).get(place.id))
    body["history"] = [s.to_dict() for s in live.status_history(services, g.organization, place.id)]
    return jsonify(body)


class _Bad(ValueError):
    pass


def _when(value, org) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _Bad("dates are ISO 8601 strings")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"not an ISO 8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone(org))  # local time of the org's city


def _change(item, place_id: str | None = None) -> dict:
    if not isinstance(item, dict):
        raise _Bad("each change is an object")
    place_id = place_id or item.get("place_id")
    if not isinstance(place_id, str) or _own_place(place_id) is None:
        raise LookupError(place_id)
    status = item.get("status")
    if status not in MARKET_STATES:
        raise _Bad(f"status must be one of {', '.join(MARKET_STATES)}")
    reason = item.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise _Bad("reason is a string of at most 500 characters")
    if not isinstance(item.get("broadcast", False), bool):
        raise _Bad("broadcast is true or false")
    org = current_services().catalog.organizations[g.organization]
    starts, ends = _when(item.get("starts_at"), org), _when(item.get("ends_at"), org)
    if starts and ends and ends <= starts:
        raise _Bad("ends_at must come after starts_at")
    return {"place_id": place_id, "status": status, "starts_at": starts, "ends_at": ends, "reason": reason,
            "broadcast": item.get("broadcast", False)}


def _put(items: list, place_id: str | None = None):
    try:
        changes = [_change(item, place_id) for item in items]  # check all before writing any
    except LookupError:
        return error(404, "no such place in this organization")
    except _Bad as exc:
        return error(400, str(exc))
    saved = []
    for c in changes:
        try:
            view, pending = live.set_market_status(current_services(), g.organization, c.pop("place_id"), c.pop("status"),
                                                   changed_by=f"api:{g.organization}", source="api", **c)
        except live.LiveError as exc:
            return error(400, str(exc))
        saved.append(dict(view.to_dict(), pending_broadcast_id=pending))
    return jsonify(organization=g.organization, saved=saved)


@bp.put("/markets")
@token_required
def put_markets():
    body = request.get_json(silent=True)
    if isinstance(body, dict) and "markets" in body:
        items = body["markets"]
    else:
        items = [body]
    if not isinstance(items, list) or not items or len(items) > 200:
        return error(400, "send one change or {\"markets\": [changes]} (at most 200)")
    return _put(items)


@bp.put("/markets/<place_id>")
@token_required
def put_market(place_id: str):
    body = request.get_json(silent=True)
    return _put([body if body is not None else {}], place_id)
