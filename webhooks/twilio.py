"""Twilio webhooks: inbound messages (SMS and WhatsApp) and delivery status callbacks."""
from __future__ import annotations

from flask import Blueprint, Response, abort, request

from bot.line.delivery import record_status
from bot.line.engine import receive
from bot.messages import BadInbound
from bot.providers.twilio import twiml as twiml_doc
from bot.providers.twilio.form import parse_message, parse_status
from webhooks.signature import twilio_signed
from webhooks.context import current_services

bp = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")


def twiml(texts: list[str]) -> Response:
    return Response(twiml_doc.messages(texts), content_type="text/xml; charset=utf-8")


@bp.post("/messages")
@twilio_signed
def messages():
    services = current_services()
    try:
        inbound = parse_message(request.form, services.settings.twilio_account_sid)
    except BadInbound as exc:
        abort(400, str(exc))
    outcome = receive(inbound, services)
    return twiml([] if outcome.duplicate else [r.text for r in outcome.replies])


@bp.post("/status")
@twilio_signed
def status():
    services = current_services()
    try:
        callback = parse_status(request.form, services.settings.twilio_account_sid)
    except BadInbound as exc:
        abort(400, str(exc))
    record_status(services, callback.sid, callback.status, callback.error_code, request.form.to_dict())
    return Response(status=204)
