"""Markets: the status of each of the organization's markets and areas (what the line answers to
"is Gikomba open?"), its history, relief distributions, and one click to tell the members.

Every change is a new row (bot/line/live.py) with who made it ("web:<email>") and when. Dates are typed
in the organization's time zone. Telling members reuses the SMS organizer's texts and broadcast path
(bot/desk/market_desk.py -> bot/broadcasts/announce.py); the button shows how many members it reaches first."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from bot.line import live

from bot.desk import market_desk, roster
from bot.line.answers import dates
from bot.broadcasts import BroadcastError
from bot.models import MARKET_STATES, utcnow
from webhooks.dashboard.auth import login_required
from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services, current_org

bp = Blueprint("markets", __name__, url_prefix="/markets")

STATE_LABELS = {"open": _l("Open"), "closed": _l("Closed"), "relocated": _l("Relocated"),
                "restricted": _l("Restricted")}
STATE_HELP = {"open": _l("trading as usual"), "closed": _l("no trading"),
              "relocated": _l("moved elsewhere (say where in the reason)"),
              "restricted": _l("partly open (say what in the reason)")}
SOURCE_LABELS = {"sms": _l("SMS"), "web": _l("web page"), "api": _l("API")}




def _who() -> str:
    return f"web:{g.account.email}"[:100]


@bp.context_processor
def helpers():
    if g.get("account") is None:
        return {}
    org = current_org()
    tz = dates.zone(org)

    def local(value, fmt: str = "datetime"):
        return i18n.day(value) if fmt == "date" else i18n.when(value)

    def until(value):
        """An end at local midnight reads as the end of the day before, as the SMS says it."""
        if not value:
            return ""
        moment = value.astimezone(tz)
        if (moment.hour, moment.minute) == (0, 0):
            return _("end of %(day)s", day=i18n.day((moment - timedelta(days=1)).date(), "full"))
        return i18n.when(value)

    return {"local": local, "until": until, "source_label": lambda s: str(SOURCE_LABELS.get(s, s or "")), "who": market_desk.show_who, "tz_name": str(tz),
            "state_labels": STATE_LABELS, "state_help": STATE_HELP, "states": MARKET_STATES,
            "local_input": lambda v: market_desk.local_input(v, org)}


def _place(place_id: str):
    place = live.org_place(current_services().catalog, g.account.organization, place_id)
    if place is None:
        abort(404, description=_("That market is not one of your organization’s places."))
    return place


def _int(value, what: str) -> int:
    if not (str(value or "").isascii() and str(value or "").isdigit()) or len(str(value)) > 12:
        abort(400, description=_("%(what)s must be a number.", what=what))
    return int(value)


# --------------------------------------------------------------------------- pages


@bp.get("")
@login_required
def index():
    return _index()


def _index(relief_form: dict | None = None, relief_error: str | None = None, status: int = 200):
    services, org = current_services(), current_org()
    now = live.current_statuses(services, org.slug)
    counts = roster.counts_by_place(services, org.slug)
    places = services.catalog.places(org.slug)
    rows = [{"place": p, "status": now.get(p.id), "members": counts.get(p.id, 0)} for p in places]
    rows.sort(key=lambda r: (r["place"].kind == "area", r["place"].name(org.default_language)))
    upcoming = live.upcoming_relief(services, org.slug)
    relief_offer = None
    if request.args.get("relief", "").isascii() and request.args.get("relief", "").isdigit():
        relief_offer = market_desk.offer(services, org, "relief_distribution", int(request.args["relief"]))
    told = {d.id: market_desk.offer_state(services, org.slug, "relief_distribution", d.id) for d in upcoming}
    body = render_template("dashboard/markets/index.html", rows=rows, upcoming=upcoming, told=told,
                           relief_offer=relief_offer, waiting=market_desk.waiting(services, org.slug),
                           programmes=services.catalog.programmes(org.slug), places=places,
                           relief_form=relief_form or {}, relief_error=relief_error)
    return body, status


@bp.get("/<place_id>")
@login_required
def detail(place_id: str):
    return _detail(_place(place_id))


def _detail(place, form: dict | None = None, error: str | None = None, status: int = 200):
    services, org = current_services(), current_org()
    current = live.current_statuses(services, org.slug).get(place.id)
    history = live.status_history(services, org.slug, place.id, limit=30)
    change_id = request.args.get("change", "")
    offer = None
    if change_id.isascii() and change_id.isdigit():
        offer = market_desk.offer(services, org, "market_status", int(change_id))
        if offer is not None and offer.place_id != place.id:
            offer = None
    elif (history and history[0].created_at > utcnow() - timedelta(days=7)
          and market_desk.offer_state(services, org.slug, "market_status", history[0].id)[0] != "sent"):
        # the latest change, not told yet: offer it (a change older than a week is not news any more)
        offer = market_desk.offer(services, org, "market_status", history[0].id)
    members = roster.counts_by_place(services, org.slug).get(place.id, 0)
    body = render_template("dashboard/markets/detail.html", place=place, current=current, history=history,
                           offer=offer, members=members, form=form or {}, error=error)
    return body, status


# --------------------------------------------------------------------------- changes


@bp.post("/<place_id>/status")
@login_required
def set_status(place_id: str):
    place = _place(place_id)
    try:
        view = market_desk.set_status(current_services(), current_org(), place.id, request.form, _who())
    except market_desk.DeskError as exc:
        return _detail(place, form=request.form, error=str(exc), status=400)
    org = current_org()
    name, state = place.name(org.default_language), str(STATE_LABELS[view.status]).lower()
    if view.starts_at > view.created_at:  # a status that starts later
        flash(_("Saved: %(place)s %(state)s from %(time)s. The line answers with it now.", place=name, state=state,
                time=i18n.when(view.starts_at)))
    else:
        flash(_("Saved: %(place)s %(state)s. The line answers with it now.", place=name, state=state))
    return redirect(url_for("markets.detail", place_id=place.id, change=view.id) + "#offer")


@bp.post("/relief")
@login_required
def add_relief():
    try:
        view = market_desk.add_relief(current_services(), current_org(), request.form, _who())
    except market_desk.DeskError as exc:
        return _index(relief_form=request.form, relief_error=str(exc), status=400)
    flash(_("Saved: relief distribution at %(venue)s. Workers asking about relief hear it now.", venue=view.venue))
    return redirect(url_for("markets.index", relief=view.id) + "#offer")


@bp.post("/relief/<int:relief_id>/cancel")
@login_required
def cancel_relief(relief_id: int):
    services = current_services()
    found = market_desk.get_relief(services, g.account.organization, relief_id)
    if found is None:
        abort(404, description=_("That distribution is not one of your organization’s."))
    if market_desk.cancel_relief(services, g.account.organization, relief_id):
        flash(_("Cancelled: relief distribution at %(venue)s. The line no longer mentions it.", venue=found.venue))
    else:
        flash(_("That distribution was cancelled already."), "warning")
    return redirect(url_for("markets.index") + "#relief")


@bp.post("/announce")
@login_required
def announce():
    """One click: create and start the broadcast telling the members about one change."""
    services, org = current_services(), current_org()
    kind = request.form.get("kind", "")
    if kind not in market_desk.KINDS:
        abort(400, description=_("Nothing to announce: kind must be market_status or relief_distribution."))
    row_id = _int(request.form.get("id"), _("The change"))
    view = market_desk.get_status(services, org.slug, row_id) if kind == "market_status" \
        else market_desk.get_relief(services, org.slug, row_id)
    if view is None:
        abort(404, description=_("That change is not one of your organization’s."))
    back = (url_for("markets.detail", place_id=view.place_id, change=row_id) if kind == "market_status"
            else url_for("markets.index", relief=row_id)) + "#offer"
    try:
        state, broadcast_id = market_desk.tell_members(services, org, kind, row_id, _who())
    except market_desk.AlreadyTold as told:
        flash(_("These members were told already (broadcast #%(id)s).", id=told.broadcast_id) if told.broadcast_id
              else _("These members were told already."), "warning")
        return redirect(back)
    except LookupError:
        abort(404, description=_("That change is not one of your organization’s (or it was cancelled)."))
    except BroadcastError as exc:  # pragma: no cover - start_pending records these as "failed"
        flash(_("Not sent: %(reason)s", reason=exc), "error")
        return redirect(back)
    if state != "sent":
        flash(_("The broadcast could not be started (it is logged). Try again, or compose it on the Broadcasts "
                "page."), "error")
        return redirect(back)
    flash(_("Broadcast #%(id)s started: follow its progress on its page.", id=broadcast_id))
    return redirect(back)
