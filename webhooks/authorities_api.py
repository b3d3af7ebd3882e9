"""Organizers' authorities API: the authorities an organization takes reports to (with their scorecards),
and raising a report or its cluster with one. Scoped to the token's organization (g.organization);
validation lives in bot/desk (authorities, escalations, scorecards): these views only translate.

GET   /api/v1/authorities                          authorities with their scorecards (?from=&to=)
POST  /api/v1/authorities                          add one
GET   /api/v1/authorities/<id>                     one, its scorecard and its latest cases
PATCH /api/v1/authorities/<id>                     change some fields
GET   /api/v1/reports/<ref>/escalations            where this report was raised
POST  /api/v1/reports/<ref>/escalations            raise it (or its whole cluster) with an authority
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from bot.desk import authorities, escalations, scorecards
from bot.desk.filters import FilterError
from bot.line.reports import normalise_reference
from bot.models import Report
from webhooks.api_errors import error
from webhooks.auth import token_required
from webhooks.context import current_services

bp = Blueprint("authorities_api", __name__, url_prefix="/api/v1")


def _with_card(a, card) -> dict:
    return dict(authorities.as_dict(a), scorecard=card.as_dict() if card else None)


@bp.get("/authorities")
@token_required
def list_authorities():
    try:
        date_from, date_to = scorecards.parse_period(request.args)
    except FilterError as exc:
        return error(400, str(exc))
    services = current_services()
    cards = {c.authority_id: c for c in scorecards.scorecards(services, g.organization, date_from, date_to)}
    date_from, date_to = scorecards.period(services, g.organization, date_from, date_to)
    return jsonify(organization=g.organization, period={"from": date_from.isoformat(), "to": date_to.isoformat()},
                   minimum_cases=scorecards.MIN_CASES,
                   authorities=[_with_card(a, cards.get(a.id)) for a in authorities.listing(services, g.organization)])


@bp.post("/authorities")
@token_required
def create_authority():
    try:
        row = authorities.create(current_services(), g.organization, request.get_json(silent=True))
    except authorities.AuthorityError as exc:
        return error(400, str(exc))
    return jsonify(authorities.as_dict(row)), 201


@bp.get("/authorities/<int:authority_id>")
@token_required
def get_authority(authority_id: int):
    services = current_services()
    row = authorities.get(services, g.organization, authority_id)
    if row is None:
        return error(404, "no such authority in this organization")
    [card] = scorecards.scorecards(services, g.organization, authority_id=row.id) or [None]
    cases = escalations.cases(services, g.organization, authority_id=row.id, limit=50)
    return jsonify(dict(_with_card(row, card), cases=[escalations.as_dict(c.escalation, c.reference) for c in cases]))


@bp.patch("/authorities/<int:authority_id>")
@token_required
def change_authority(authority_id: int):
    try:
        row = authorities.update(current_services(), g.organization, authority_id, request.get_json(silent=True))
    except authorities.AuthorityError as exc:
        return error(400, str(exc))
    if row is None:
        return error(404, "no such authority in this organization")
    return jsonify(authorities.as_dict(row))


@bp.get("/reports/<reference>/escalations")
@token_required
def report_escalations(reference: str):
    services = current_services()
    ref = normalise_reference(reference)
    with services.db() as session:
        report = session.query(Report).filter_by(organization=g.organization, reference=ref).first() if ref else None
    if report is None:
        return error(404, f"no report {reference[:20]} in this organization")
    cases = escalations.cases(services, g.organization, report_id=report.id)
    return jsonify(reference=report.reference, escalations=[escalations.as_dict(c.escalation) for c in cases])


@bp.post("/reports/<reference>/escalations")
@token_required
def raise_report(reference: str):
    body = request.get_json(silent=True)
    try:
        raised = escalations.raise_report(current_services(), g.organization, reference, body, actor="api")
    except escalations.EscalationError as exc:
        return error(400, str(exc))
    if raised is None:
        return error(404, f"no report {reference[:20]} in this organization")
    return jsonify(authority_id=raised.authority.id, raised=raised.references, skipped=raised.skipped,
                   notified=raised.notified,
                   escalations=[escalations.as_dict(e, r) for e, r in zip(raised.escalations, raised.references)]), 201
