"""Conversations: read a worker's thread and talk to them in person (a human handover).

/conversations lists the organization's contacts by their last message; /conversations/<id> shows one
thread, server-rendered, and polls `messages` (JSON) for what arrives after. "Take over" silences the
bot for that contact (bot/line/handover.py) until "Hand back" or `handover_minutes` after the organizer's last
reply; a reply goes out through the sender on the worker's last channel. Forms post and redirect back;
the page's JS sends the same actions with fetch (JSON answers, errors as {"error": "..."}).
A contact of another organization is a 404 everywhere.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from bot.desk import conversations

from bot.line import handover
from bot.models import utcnow
from webhooks.dashboard.auth import login_required
from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services

bp = Blueprint("conversations", __name__, url_prefix="/conversations")
POLL_SECONDS = 4



def _org() -> str:
    return g.account.organization


# Who wrote each message, in the page's language (bot/desk/conversations.py labels them in English).
KIND_LABELS = {"inbound": _l("Worker"), "reply": _l("Bot reply"), "message": _l("Notification"),
               "broadcast": _l("Broadcast"), "organizer": _l("Organizer")}


def _local(value: datetime | None, fmt: str = "datetime") -> str:
    # Babel, in the page's locale and the organization's zone (i18n.py's selectors)
    return i18n.when(value, with_year=False) if value else ""


def _localize(items: list[dict]) -> list[dict]:
    for item in items:
        item["at_label"] = i18n.when(item["at"], with_year=False)
        if item.get("status"):
            item["status_label"] = i18n.message_status(item["status"])
        label = KIND_LABELS.get(item.get("kind"))
        if label is not None:
            by = item.get("by") if item.get("kind") == "organizer" else None
            item["label"] = _("Organizer: %(name)s", name=by) if by else str(label)
    return items


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _contact_or_404(contact_id: int) -> conversations.ContactInfo:
    contact = conversations.get_contact(current_services(), _org(), contact_id)
    if contact is None:
        abort(404, description=_("There is no such conversation in your organization."))
    return contact


def _page_number(raw) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        abort(400, description=_("The page number must be a whole number."))


def _state(contact: conversations.ContactInfo, view: handover.HandoverView | None) -> dict:
    state = contact.as_json()
    state["handover"] = view.as_json() if view else None
    if view:
        state["handover"]["expires_label"] = _local(view.expires_at)
        state["handover"]["mine"] = view.user_id == g.account.id
    until = contact.window_until()
    state["whatsapp_window_label"] = _local(until) if until else None
    return state


@bp.context_processor
def helpers():
    return {"local": _local, "poll_seconds": POLL_SECONDS} if g.get("account") is not None else {}


@bp.get("")
@login_required
def index():
    q = request.args.get("q", "").strip()[:100]
    taken_over = request.args.get("taken_over") in ("1", "yes", "on")
    page = _page_number(request.args.get("page"))
    found = conversations.list_conversations(current_services(), _org(), q=q, taken_over=taken_over, page=page)
    return _no_store(render_template("dashboard/conversations/index.html", found=found, q=q,
                                     taken_over=taken_over, now=utcnow(),
                                     handover_minutes=current_services().settings.handover_minutes))


@bp.get("/<int:contact_id>")
@login_required
def thread(contact_id: int):
    contact = _contact_or_404(contact_id)
    return _render_thread(contact, _page_number(request.args.get("page")))


def _render_thread(contact, page: int = 1, error: str | None = None, draft: str = "", status: int = 200):
    services = current_services()
    found = conversations.thread(services, _org(), contact.id, page=page)
    _localize(found["items"])
    view = handover.active(services, _org(), contact.id)
    page_html = render_template("dashboard/conversations/thread.html", contact=contact, found=found,
                                handover=view, state=_state(contact, view), error=error, draft=draft,
                                handover_minutes=services.settings.handover_minutes,
                                max_reply=conversations.MAX_REPLY)
    return _no_store((page_html, status))


@bp.get("/<int:contact_id>/messages")
@login_required
def messages(contact_id: int):
    """The page's poll: messages after the ids it has, recent statuses, and the handover state."""
    services = current_services()
    contact = _contact_or_404(contact_id)
    try:
        after_in = max(0, int(request.args.get("after_in") or 0))
        after_out = max(0, int(request.args.get("after_out") or 0))
    except ValueError:
        return _no_store((jsonify(error="after_in and after_out must be whole numbers."), 400))
    found = conversations.newer(services, _org(), contact_id, after_in, after_out)
    _localize(found["items"])
    for status in found.get("statuses", {}).values():
        status["status_label"] = i18n.message_status(status["status"])
    view = handover.active(services, _org(), contact_id)
    handover.sync(services, _org(), contact.phone, view)  # puts a lost Redis key back
    return _no_store(jsonify(**found, state=_state(contact, view)))


def _done(contact_id: int, message: str, category: str = "success", status: int = 200, **body):
    if _wants_json():
        key = "error" if status >= 400 else "message"
        return _no_store((jsonify({key: message, **body}), status))
    flash(message, "error" if status >= 400 else category)
    return redirect(url_for("conversations.thread", contact_id=contact_id) + "#reply")


@bp.post("/<int:contact_id>/take-over")
@login_required
def take_over(contact_id: int):
    services = current_services()
    contact = _contact_or_404(contact_id)
    view, started = handover.start(services, _org(), contact_id, g.account.id)
    state = _state(contact, view)
    if started:
        return _done(contact_id, _("You have this conversation: the bot stays silent until you hand it back or "
                                   "%(minutes)s minutes pass after your last reply.",
                                   minutes=services.settings.handover_minutes), state=state)
    if view.user_id == g.account.id:
        message = _("You have this conversation already (until %(time)s).", time=_local(view.expires_at))
    else:
        message = _("%(name)s has this conversation already (until %(time)s).",
                    name=view.user_name or _("Another organizer"), time=_local(view.expires_at))
    return _done(contact_id, message, category="warning", state=state)


@bp.post("/<int:contact_id>/hand-back")
@login_required
def hand_back(contact_id: int):
    contact = _contact_or_404(contact_id)
    ended = handover.end(current_services(), _org(), contact_id, g.account.id)
    state = _state(contact, None)
    if ended:
        return _done(contact_id, _("Handed back: the bot answers this worker again."), state=state)
    return _done(contact_id, _("The bot was already answering this worker."), category="warning", state=state)


@bp.post("/<int:contact_id>/reply")
@login_required
def reply(contact_id: int):
    services = current_services()
    contact = _contact_or_404(contact_id)
    if request.is_json:
        data = request.get_json(silent=True)
        body = data.get("body") if isinstance(data, dict) else None
        if not isinstance(data, dict) or (body is not None and not isinstance(body, str)):
            return _no_store((jsonify(error='Send {"body": "the message text"}.'), 400))
    else:
        body = request.form.get("body")
    try:
        sent = conversations.send_reply(services, _org(), contact_id, g.account.id, body or "")
    except conversations.ReplyRefused as exc:
        if _wants_json():
            return _done(contact_id, str(exc), status=exc.status)
        # The page again, with the reason and what was typed (nothing is lost).
        return _render_thread(contact, error=str(exc), draft=(body or "")[:10_000], status=exc.status)
    except LookupError:
        abort(404, description=_("There is no such conversation in your organization."))
    _localize([sent["item"]])
    contact = conversations.get_contact(services, _org(), contact_id)
    state = _state(contact, sent["handover"])
    if not sent["sent"]:
        error = sent["error"] or _("unknown error")
        if sent["error_code"]:
            message = _("The message could not be sent (error %(code)s): %(error)s. It is kept in the thread as "
                        "failed.", code=sent["error_code"], error=error)
        else:
            message = _("The message could not be sent: %(error)s. It is kept in the thread as failed.", error=error)
        return _done(contact_id, message, status=502, item=sent["item"], state=state)
    return _done(contact_id, _("Sent."), item=sent["item"], state=state)
