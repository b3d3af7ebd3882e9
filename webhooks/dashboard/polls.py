"""Polls (issue 15): the organization's polls, and one poll's results: counts and shares per option,
overall and by market, trade, language and channel, the response rate against delivered messages, the
anonymised CSV (small counts suppressed) and closing the poll. Polls are created through the API
(POST /api/v1/polls); the results are bot.broadcasts.polls.results, the same the API answers."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from bot import broadcasts
from bot.broadcasts import polls
from webhooks.dashboard import i18n
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_org, current_services
from webhooks.polls_api import csv_text

bp = Blueprint("polls", __name__, url_prefix="/polls")
STATES = {"draft": _l("draft"), "open": _l("answers open"), "closed": _l("answers closed")}
BREAKDOWNS = {"market": _l("By market"), "trade": _l("By trade"), "language": _l("By language"),
              "channel": _l("By channel")}


@bp.get("")
@login_required
def index():
    rows = polls.list_polls(current_services(), g.account.organization)
    return render_template("dashboard/polls/index.html", polls=rows, states=STATES)


def _label(question: dict, option: str, lang: str) -> str:
    if option == "other":
        return str(_l("Other answers"))
    labels = question["labels"].get(option, {})
    return labels.get(lang) or next(iter(labels.values()), option)


def _group_name(name: str, key: str, lang: str) -> str:
    if name == "market":
        return current_services().catalog.place(key).name(lang) if key and key != "-" else str(_l("No market given"))
    if name == "trade":
        return i18n.trade_label(key) if key != "-" else "—"
    if name == "language":
        return i18n.language_name(key)
    return {"sms": "SMS", "whatsapp": "WhatsApp"}.get(key, key)


@bp.get("/<int:poll_id>")
@login_required
def detail(poll_id: int):
    try:
        result = polls.results(current_services(), poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)
    lang = current_org().default_language
    return render_template("dashboard/polls/detail.html", r=result, states=STATES, breakdowns=BREAKDOWNS,
                           label=lambda q, o: _label(q, o, lang), group_name=lambda n, k: _group_name(n, k, lang),
                           question_text=lambda q: q["texts"].get(lang) or next(iter(q["texts"].values())))


@bp.get("/<int:poll_id>/results.csv")
@login_required
def results_csv(poll_id: int):
    services = current_services()
    try:
        result = polls.results(services, poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)
    return Response(csv_text(result, services.settings.suppress_below), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=poll-{poll_id}.csv"})


@bp.post("/<int:poll_id>/close")
@login_required
def close(poll_id: int):
    try:
        polls.close_poll(current_services(), poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)
    except broadcasts.BroadcastError:
        pass  # already closed: the page shows it
    return redirect(url_for("polls.detail", poll_id=poll_id))
