"""Members: the organization's registered workers, searchable and filtered, each with its details.

Phone numbers are only ever shown masked. An admin may reveal one member's number with a reason:
the reveal is written to the audit log before the number is shown, once, in that response (never
cached). Organizers get 403 for the reveal; a member of another organization is a 404."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from bot.line import privacy

from bot.desk import roster
from bot.line.answers import dates
from webhooks.dashboard.auth import admin_required, login_required
from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services, current_org

bp = Blueprint("members", __name__, url_prefix="/members")





@bp.context_processor
def helpers():
    if g.get("account") is None:
        return {}
    # local() and place_name() come from webhooks/dashboard/common.py
    return {"trade_label": lambda t: i18n.trade_label(t).capitalize(), "tz_name": str(dates.zone(current_org()))}


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@login_required
def index():
    services, org = current_services(), current_org()
    error = None
    try:
        filters = roster.parse_filters(services.catalog, org.slug, request.args)
    except roster.RosterError as exc:
        error, filters = str(exc), roster.Filters()
    page = roster.search(services, org.slug, filters, per_page=roster.PER_PAGE)
    markets = sorted(services.catalog.places(org.slug), key=lambda p: p.name(org.default_language))
    body = render_template("dashboard/members/index.html", page=page, filters=filters, error=error,
                           trades=services.catalog.trades(), markets=markets, languages=org.languages)
    return _no_store(current_app.make_response((body, 400 if error else 200)))


@bp.get("/reveals")
@admin_required
def reveals():
    events = roster.recent_reveals(current_services(), g.account.organization)
    return _no_store(current_app.make_response(render_template("dashboard/members/reveals.html", events=events)))


def _detail(number: str, *, revealed: str | None = None, error: str | None = None, status: int = 200,
            forget_error: str | None = None):
    services, org = current_services(), current_org()
    member = roster.get_member(services, org.slug, number)
    if member is None:
        abort(404, description=_("There is no member with that number in your organization."))
    reports = roster.member_reports(services, org.slug, member)
    body = render_template("dashboard/members/detail.html", member=member, reports=reports, revealed=revealed,
                           error=error, forget_error=forget_error)
    return _no_store(current_app.make_response((body, status)))


@bp.get("/<number>")
@login_required
def detail(number: str):
    return _detail(number)


@bp.post("/<number>/reveal")
@admin_required
def reveal(number: str):
    services = current_services()
    wants_json = request.is_json
    data = (request.get_json(silent=True) or {}) if wants_json else request.form
    reason = data.get("reason", "") if isinstance(data.get("reason", ""), str) else ""
    try:
        found = roster.reveal(services, g.account.organization, number, user_id=g.account.id, reason=reason)
    except roster.RosterError as exc:
        if wants_json:
            return _no_store(current_app.make_response(({"error": str(exc)}, 400)))
        if roster.get_member(services, g.account.organization, number) is None:
            abort(404, description=_("There is no member with that number in your organization."))
        return _detail(number, error=str(exc), status=400)
    if found is None:
        abort(404, description=_("There is no member with that number in your organization."))
    member, phone = found
    if wants_json:
        return _no_store(current_app.make_response({"number": member.number, "phone": phone}))
    return _detail(number, revealed=phone)


@bp.post("/<number>/forget")
@admin_required
def forget(number: str):
    """Erase a member as FORGET does (bot/line/privacy.py), with a reason kept in the audit log."""
    services = current_services()
    reason = " ".join(str(request.form.get("reason", "")).split())
    if not 3 <= len(reason) <= 300:
        if roster.get_member(services, g.account.organization, number) is None:
            abort(404, description=_("There is no member with that number in your organization."))
        return _detail(number, forget_error=_("Write why this member is erased (3 to 300 characters)."), status=400)
    done = privacy.forget_member(services, g.account.organization, number, user_id=g.account.id, reason=reason)
    if done is None:
        abort(404, description=_("There is no member with that number in your organization."))
    flash(_("%(number)s was erased: %(reports)d reports kept without name or number.", number=number,
            reports=done["reports_anonymised"]))
    return redirect(url_for("members.index"))
