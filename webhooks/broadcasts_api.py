"""Organizers' broadcasts API (/api/v1/broadcasts), bearer-token auth scoped to g.organization.

POST   /api/v1/broadcasts                {segment, texts, template?, name?, rate?, rate_unit?, send?}  -> 201
POST   /api/v1/broadcasts/preview        {segment, texts, template?}   (nothing is stored)
GET    /api/v1/broadcasts                the organization's broadcasts, newest first
GET    /api/v1/broadcasts/<id>           state, counts (queued, sending, sent, delivered, read, failed, skipped,
                                         cancelled), reasons, percent
GET    /api/v1/broadcasts/<id>/preview
POST   /api/v1/broadcasts/<id>/send | /pause | /resume | /cancel

Drafts go through bot.broadcasts.validate, the validator the compose page uses: what the page refuses,
the API refuses (400 {error, field, status}).
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from bot import broadcasts
from bot.broadcasts.validate import validate
from webhooks.api_errors import answer_broadcast_errors, json_object
from webhooks.auth import token_required
from webhooks.context import current_services

bp = Blueprint("broadcasts_api", __name__, url_prefix="/api/v1/broadcasts")


answer_broadcast_errors(bp)


@bp.post("")
@token_required
def create():
    data = json_object()
    services = current_services()
    if data.get("send") is not None and not isinstance(data["send"], bool):  # the API's own option
        raise broadcasts.Invalid("send", "send", "send must be true or false")
    bid = broadcasts.create_broadcast(
        services, g.organization, data.get("segment"), data.get("texts"), data.get("template"),
        created_by=str(data.get("created_by") or "api"), name=data.get("name"),
        rate=data.get("rate"), rate_unit=data.get("rate_unit"))
    body = {"id": bid, "preview": broadcasts.preview(services, bid)}
    if data.get("send"):
        body["send"] = broadcasts.send_broadcast(services, bid, g.organization)
    body["broadcast"] = broadcasts.progress(services, bid, g.organization)
    return jsonify(body), 201, {"Location": f"/api/v1/broadcasts/{bid}"}


@bp.post("/preview")
@token_required
def preview_draft():
    draft = validate(current_services().catalog, g.organization, json_object())  # the whole draft, as the page does
    return jsonify(broadcasts.preview(current_services(), organization=g.organization, segment=draft.segment,
                                      texts=draft.texts, template=draft.template))


@bp.get("")
@token_required
def index():
    return jsonify(broadcasts=broadcasts.list_broadcasts(current_services(), g.organization))


@bp.get("/<int:bid>")
@token_required
def show(bid: int):
    return jsonify(broadcasts.progress(current_services(), bid, g.organization))


@bp.get("/<int:bid>/preview")
@token_required
def preview(bid: int):
    broadcasts.progress(current_services(), bid, g.organization)  # 404 for another organization's broadcast
    return jsonify(broadcasts.preview(current_services(), bid))


@bp.post("/<int:bid>/<any(send, pause, resume, cancel):action>")  # others: 404 by routing
@token_required
def act(bid: int, action: str):
    services = current_services()
    if action == "send":
        broadcasts.send_broadcast(services, bid, g.organization)
    elif action in ("pause", "resume", "cancel"):
        getattr(broadcasts, action)(services, bid, g.organization)
    else:
        return jsonify(error=f"unknown action {action!r}", status=404), 404
    return jsonify(broadcasts.progress(services, bid, g.organization))
