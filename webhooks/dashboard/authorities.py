"""Authorities: the bodies an organization takes reports to, their scorecards, and raising a report or a
whole cluster with one (the reporters are told). Validation and every rule live in bot/desk
(authorities, escalations, scorecards); these views translate the page's words and turn the desk's
errors into a 400 with the form kept."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from bot.desk import authorities, escalations, scorecards
from bot.desk.filters import FilterError
from bot.line.reports import normalise_reference
from bot.models import AUTHORITY_KINDS, ESCALATION_METHODS, Report
from webhooks.dashboard import i18n
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_org, current_services

bp = Blueprint("authorities", __name__, url_prefix="/authorities")

KIND_LABELS = {"city_department": _l("city department"), "utility": _l("utility"), "police": _l("police unit"),
               "market_management": _l("markets management"), "other": _l("other")}
METHOD_LABELS = {"letter": _l("letter"), "meeting": _l("meeting"), "email": _l("email"), "phone": _l("phone call")}
STATE_LABELS = {"open": _l("waiting"), "resolved": _l("resolved, worker asked"), "confirmed": _l("fixed, worker confirmed"),
                "reopened": _l("not fixed, reopened")}


def _who() -> str:
    return f"web:{g.account.email}"[:100]


@bp.context_processor
def helpers():
    if g.get("account") is None:
        return {}
    return {"kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS, "state_labels": STATE_LABELS,
            "kinds": AUTHORITY_KINDS, "methods": ESCALATION_METHODS, "category_label": i18n.category_label,
            "categories": current_services().catalog.categories(), "min_cases": scorecards.MIN_CASES,
            "day": i18n.day}


def _report(services, org: str, typed: str | None) -> Report | None:
    ref = normalise_reference(typed or "")
    if ref is None:
        return None
    with services.db() as session:
        return session.scalars(select(Report).where(Report.organization == org, Report.reference == ref)).first()


@bp.get("")
@login_required
def index():
    return _index()


def _index(form: dict | None = None, error: str | None = None, raise_form: dict | None = None,
           raise_error: str | None = None, status: int = 200):
    services, org = current_services(), current_org()
    try:
        date_from, date_to = scorecards.parse_period(request.args)
    except FilterError as exc:
        abort(400, description=_("The period cannot be used: %(reason)s.", reason=exc))
    date_from, date_to = scorecards.period(services, org.slug, date_from, date_to)
    cards = scorecards.scorecards(services, org.slug, date_from, date_to)
    report = _report(services, org.slug, (raise_form or {}).get("ref") or request.args.get("ref"))
    suggested = authorities.suggest(services, org.slug, report.category, report.place_id) if report else []
    body = render_template("dashboard/authorities/index.html", cards=cards, date_from=date_from, date_to=date_to,
                           listing=authorities.listing(services, org.slug), places=services.catalog.places(org.slug),
                           form=form or {}, error=error, raise_form=raise_form or {}, raise_error=raise_error,
                           report=report, suggested=suggested,
                           cases=escalations.cases(services, org.slug, limit=30))
    return body, status


@bp.post("")
@login_required
def create():
    services = current_services()
    try:
        row = authorities.create(services, g.account.organization, authorities.form_data(request.form, services.catalog),
                                  strict=False)
    except authorities.AuthorityError as exc:
        return _index(form=request.form, error=str(exc), status=400)
    flash(_("Saved: %(name)s.", name=row.name))
    return redirect(url_for("authorities.detail", authority_id=row.id))


@bp.get("/<int:authority_id>")
@login_required
def detail(authority_id: int):
    return _detail(authority_id)


def _detail(authority_id: int, form: dict | None = None, error: str | None = None, status: int = 200):
    services, org = current_services(), current_org()
    row = authorities.get(services, org.slug, authority_id)
    if row is None:
        abort(404, description=_("That authority is not one of your organization’s."))
    [card] = scorecards.scorecards(services, org.slug, authority_id=row.id) or [None]
    body = render_template("dashboard/authorities/detail.html", authority=row, card=card, form=form, error=error,
                           places=services.catalog.places(org.slug),
                           cases=escalations.cases(services, org.slug, authority_id=row.id))
    return body, status


@bp.post("/<int:authority_id>")
@login_required
def update(authority_id: int):
    services = current_services()
    try:
        row = authorities.update(services, g.account.organization, authority_id,
                                 authorities.form_data(request.form, services.catalog), strict=False)
    except authorities.AuthorityError as exc:
        return _detail(authority_id, form=request.form, error=str(exc), status=400)
    if row is None:
        abort(404, description=_("That authority is not one of your organization’s."))
    flash(_("Saved: %(name)s.", name=row.name))
    return redirect(url_for("authorities.detail", authority_id=row.id))


@bp.post("/raise")
@login_required
def raise_case():
    services, org = current_services(), g.account.organization
    data = {k: request.form.get(k) for k in ("authority_id", "method", "raised_at", "reference", "note")}
    data["cluster"] = request.form.get("cluster") == "on"
    typed = request.form.get("ref", "")
    try:
        raised = escalations.raise_report(services, org, typed, data, _who(), strict=False)
    except escalations.EscalationError as exc:
        return _index(raise_form=request.form, raise_error=str(exc), status=400)
    if raised is None:
        return _index(raise_form=request.form, status=400,
                      raise_error=_("No report %(ref)s in your organization.", ref=typed[:20]))
    flash(_("Raised %(count)s report(s) with %(name)s; %(told)s reporter(s) told.", count=len(raised.references),
            name=raised.authority.name, told=raised.notified))
    if raised.skipped:
        flash(_("Raised with it already and still waiting: %(refs)s.", refs=", ".join(raised.skipped)), "warning")
    return redirect(url_for("authorities.detail", authority_id=raised.authority.id))


@bp.post("/cases/<int:escalation_id>/response")
@login_required
def responded(escalation_id: int):
    found = escalations.record_response(current_services(), g.account.organization, escalation_id, _who())
    if found is None:
        abort(404, description=_("That case is not one of your organization’s."))
    flash(_("Saved: the authority responded."))
    return redirect(url_for("authorities.detail", authority_id=found.authority_id))
