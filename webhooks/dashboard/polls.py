"""Polls (issue 15): the organization's polls; creating and editing one (webhooks/dashboard/poll_form.py:
questions per language, audience as broadcasts, opening and closing times, a live preview per language and
channel with SMS segments; editing a poll that was sent or answered makes a new version); one poll's
results: counts and shares per option, overall and by market, trade, language and channel, the response
rate against delivered messages, the anonymised CSV (small counts suppressed), sending and closing. The
results are bot.broadcasts.polls.results, the same the API answers.

GET/POST /polls/new, /polls/<id>/edit   the form; action=preview | save | send
POST     /polls/preview                 the preview panel as an HTML fragment (static/js/polls.js)
POST     /polls/<id>/public             public=on|off: the permalink to the anonymised results (poll_public.py)"""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from bot import broadcasts
from bot.broadcasts import polls
from bot.desk.accounts import audit
from webhooks.dashboard import poll_charts, poll_form, poll_public
from webhooks.dashboard.poll_labels import BREAKDOWNS, breakdown_group, option_label
from webhooks.dashboard import broadcasts as bc_page
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.broadcast_texts import LANGUAGE_NAMES
from webhooks.dashboard.common import current_org, current_services
from webhooks.poll_exports import XLSX, csv_text, xlsx_bytes

bp = Blueprint("polls", __name__, url_prefix="/polls")
bp.register_blueprint(poll_public.bp)  # /polls/public/<token>: no sign-in
STATES = {"draft": _l("draft"), "scheduled": _l("waiting for its opening time"), "open": _l("answers open"),
          "closed": _l("answers closed")}


@bp.get("")
@login_required
def index():
    rows = polls.list_polls(current_services(), g.account.organization)
    return render_template("dashboard/polls/index.html", polls=rows, states=STATES)


@bp.get("/<int:poll_id>")
@login_required
def detail(poll_id: int):
    result = _results(poll_id)
    lang = current_org().default_language
    label, group_name = (lambda q, o: option_label(q, o, lang)), (lambda n, k: breakdown_group(n, k, lang))
    return render_template("dashboard/polls/detail.html", r=result, states=STATES, breakdowns=BREAKDOWNS,
                           label=label, group_name=group_name, charts=poll_charts.charts(result, label, group_name),
                           poll=polls.get_poll(current_services(), poll_id),
                           question_text=lambda q: q["texts"].get(lang) or next(iter(q["texts"].values())))


def _results(poll_id: int) -> dict:
    """The organization's poll's results, or a 404 (another organization's poll is not found either)."""
    try:
        return polls.results(current_services(), poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)


def _download(poll_id: int, body: bytes | str, mimetype: str, extension: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=poll-{poll_id}.{extension}"})


@bp.get("/<int:poll_id>/results.csv")
@login_required
def results_csv(poll_id: int):
    k = current_services().settings.suppress_below
    return _download(poll_id, csv_text(_results(poll_id), k), "text/csv", "csv")


@bp.get("/<int:poll_id>/results.xlsx")
@login_required
def results_xlsx(poll_id: int):
    k = current_services().settings.suppress_below
    return _download(poll_id, xlsx_bytes(_results(poll_id), k), XLSX, "xlsx")


@bp.post("/<int:poll_id>/public")
@login_required
def public(poll_id: int):
    services, on = current_services(), request.form.get("public") == "on"
    try:
        polls.set_public(services, poll_id, on, g.account.organization)
    except broadcasts.NotFound:
        abort(404)
    audit(services, g.account.organization, g.account.id, "poll.public." + ("on" if on else "off"), target=str(poll_id))
    return redirect(url_for("polls.detail", poll_id=poll_id), 303)


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


@bp.post("/<int:poll_id>/send")
@login_required
def send(poll_id: int):
    services = current_services()
    try:
        sent = polls.send_poll(services, poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)
    except broadcasts.BroadcastError as exc:
        flash(poll_form.poll_error_text(exc), "error")
        return redirect(url_for("polls.detail", poll_id=poll_id), 303)
    audit(services, g.account.organization, g.account.id, "poll.send", target=str(poll_id))
    flash(_("Waiting for its opening time: it is sent then.") if sent.get("scheduled") else
          _("Sending the first question to %(num)s people.", num=sent["recipients"]), "info")
    return redirect(url_for("polls.detail", poll_id=poll_id), 303)


# --------------------------------------------------------------------------- the form


def _form_page(org, values: dict, *, poll=None, preview=None, error=None, status=200, compose_id=None):
    # edit_poll makes a new version once the current one was sent (answers need that): say so first
    answered = poll is not None and polls.current_version(current_services(), poll).broadcast_id is not None
    return render_template("dashboard/polls/form.html", values=values, poll=poll, answered=answered,
                           options=bc_page._options(org), language_names=LANGUAGE_NAMES, preview=preview,
                           error=error, compose_id=compose_id or secrets.token_urlsafe(16)), status


@bp.get("/new")
@login_required
def new():
    org = current_org()
    return _form_page(org, poll_form.values_from_form(org, request.args))[0]


@bp.get("/<int:poll_id>/edit")
@login_required
def edit(poll_id: int):
    org = current_org()
    poll = _poll_or_404(poll_id)
    if poll.state == "closed":
        flash(_("This poll is closed: it cannot be changed."), "error")
        return redirect(url_for("polls.detail", poll_id=poll_id), 303)
    version = polls.current_version(current_services(), poll)
    return _form_page(org, poll_form.values_from_poll(org, poll, version.questions), poll=poll)[0]


def _poll_or_404(poll_id: int):
    try:
        return polls.get_poll(current_services(), poll_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404)


@bp.post("/preview")
@login_required
def preview():
    org = current_org()
    try:
        shown = poll_form.preview(org, poll_form.from_form(org, request.form))
    except broadcasts.BroadcastError as exc:
        shown = {"error": poll_form.poll_error_text(exc)}
    return render_template("dashboard/polls/_preview.html", preview=shown)


@bp.post("/new")
@login_required
def create():
    return _save(None)


@bp.post("/<int:poll_id>/edit")
@login_required
def update(poll_id: int):
    return _save(_poll_or_404(poll_id))


def _save(poll):
    """preview: the page again with the preview; save: a draft (or, for a sent or answered poll, a new
    version); send: save, then send (before its opening time: scheduled). Refusals re-render the form."""
    org, services = current_org(), current_services()
    values = poll_form.values_from_form(org, request.form)
    compose_id = request.form.get("compose_id") or secrets.token_urlsafe(16)
    action = request.form.get("action", "preview")
    page = dict(poll=poll, compose_id=compose_id)
    if action not in ("preview", "save", "send"):
        return _form_page(org, values, error=_("Choose Preview, Save or Send."), status=400, **page)
    try:
        data = poll_form.from_form(org, request.form)
    except broadcasts.BroadcastError as exc:
        return _form_page(org, values, error=poll_form.poll_error_text(exc), status=400, **page)
    shown = poll_form.preview(org, data)
    if shown["error"]:
        return _form_page(org, values, preview=shown, error=shown["error"], status=400, **page)
    if action == "preview":
        return _form_page(org, values, preview=shown, **page)
    key = f"streetline:dashboard:poll-form:{org.slug}:{compose_id[:64]}"
    if poll is None and services.redis is not None and not services.redis.set(key, "pending", nx=True, ex=86400):
        existing = services.redis.get(key)  # Save or Send pressed twice: one poll
        if existing and existing.isdigit():
            return redirect(url_for("polls.detail", poll_id=int(existing)), 303)
        return _form_page(org, values, preview=shown, status=409, error=_("This poll is already being saved."), **page)
    try:
        if poll is None:
            pid = polls.create_poll(services, org.slug, data, created_by=g.account.email)
            if services.redis is not None:
                services.redis.set(key, str(pid), ex=86400)
            flash(_("Poll saved."), "info")
        else:
            pid, before = poll.id, poll.version
            number = polls.edit_poll(services, poll.id, data, org.slug)
            flash(_("Saved as version %(n)s: the answers so far stay with version %(old)s.", n=number, old=before)
                  if number != before else _("Poll saved."), "info")
    except broadcasts.BroadcastError as exc:
        if poll is None and services.redis is not None:
            services.redis.delete(key)
        return _form_page(org, values, preview=shown, error=poll_form.poll_error_text(exc), status=400, **page)
    audit(services, org.slug, g.account.id, "poll.save", target=str(pid))
    if action == "send":  # saved either way: a refusal to send is shown on the poll's page
        return send(pid)
    return redirect(url_for("polls.detail", poll_id=pid), 303)
