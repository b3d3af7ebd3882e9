"""Organizers' polls API (/api/v1/polls), bearer-token auth scoped to g.organization (issue 15).

POST   /api/v1/polls                   {name, segment, questions, template?, opens_at?, closes_at?, send?} -> 201
GET    /api/v1/polls                   the organization's polls, newest first
POST   /api/v1/polls/<id>/send         ask the first question through a broadcast; the poll opens
POST   /api/v1/polls/<id>/close        no more answers
GET    /api/v1/polls/<id>/results      counts and shares per option, by market, trade, language, channel
GET    /api/v1/polls/<id>/results.csv  the same, anonymised, small counts suppressed ("<5")
GET    /api/v1/polls/<id>/results.xlsx the same rows as XLSX

Drafts go through bot.broadcasts.polls.validate, as the page and the SMS command do (400 {error, field}).
"""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from bot import broadcasts
from bot.broadcasts import polls
from webhooks.api_errors import answer_broadcast_errors, json_object
from webhooks.auth import token_required
from webhooks.context import current_services
from webhooks.poll_exports import XLSX, csv_text, xlsx_bytes

bp = Blueprint("polls_api", __name__, url_prefix="/api/v1/polls")


answer_broadcast_errors(bp)


@bp.post("")
@token_required
def create():
    data = json_object()
    if data.get("send") is not None and not isinstance(data["send"], bool):
        raise broadcasts.Invalid("send", "send", "send must be true or false")
    fields = {k: v for k, v in data.items() if k != "send"}
    unknown = sorted(set(fields) - {"name", "segment", "questions", "template", "opens_at", "closes_at"})
    if unknown:
        raise broadcasts.Invalid("poll", "unknown_fields", f"unknown field(s): {', '.join(unknown)}")
    services = current_services()
    pid = polls.create_poll(services, g.organization, fields, created_by="api")
    body = {"id": pid}
    if data.get("send"):
        body["send"] = polls.send_poll(services, pid, g.organization)
    body["poll"] = polls.results(services, pid, g.organization)
    return jsonify(body), 201, {"Location": f"/api/v1/polls/{pid}/results"}


@bp.get("")
@token_required
def index():
    return jsonify(polls=polls.list_polls(current_services(), g.organization))


@bp.post("/<int:pid>/send")
@token_required
def send(pid: int):
    return jsonify(polls.send_poll(current_services(), pid, g.organization))


@bp.post("/<int:pid>/close")
@token_required
def close(pid: int):
    polls.close_poll(current_services(), pid, g.organization)
    return jsonify(polls.results(current_services(), pid, g.organization))


@bp.get("/<int:pid>/results")
@token_required
def results(pid: int):
    return jsonify(polls.results(current_services(), pid, g.organization))


@bp.get("/<int:pid>/results.csv")
@token_required
def results_csv(pid: int):
    services = current_services()
    return Response(csv_text(polls.results(services, pid, g.organization), services.settings.suppress_below),
                    mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename=poll-{pid}.csv"})


@bp.get("/<int:pid>/results.xlsx")
@token_required
def results_xlsx(pid: int):
    services = current_services()
    return Response(xlsx_bytes(polls.results(services, pid, g.organization), services.settings.suppress_below),
                    mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename=poll-{pid}.xlsx"})
