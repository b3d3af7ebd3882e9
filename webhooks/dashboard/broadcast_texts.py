"""What the broadcast pages say, in the organizer's language: the states of a broadcast and of its
recipients, why a recipient was skipped or failed (by recorded reason), the validator's errors (by message
key), language names, and who created a broadcast (a phone number is never shown whole)."""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l

from bot import broadcasts
from bot.phones import mask
from webhooks.dashboard.common import current_services

STATE_LABELS = {"queued": _l("waiting"), "sending": _l("with a worker"), "sent": _l("sent"),
                "delivered": _l("delivered"), "read": _l("read"), "failed": _l("failed"), "skipped": _l("skipped"),
                "cancelled": _l("cancelled")}
# A broadcast's own state (the badge), and a recipient's state where the failures table shows it.
BROADCAST_STATES = {"draft": _l("draft"), "sending": _l("sending"), "paused": _l("paused"), "done": _l("done"),
                    "cancelled": _l("cancelled")}

# Why a recipient was skipped or failed, keyed by the recorded reason (provider error codes are turned
# into reasons by bot.providers.delivery_reason before they are recorded).
REASONS = {
    "opted_out": _l("The person replied STOP to our number at their carrier: they are now marked as opted out."),
    "invalid_number": _l("Not a valid phone number: left out of broadcasts until it writes in again."),
    "not_mobile": _l("Not a mobile number (cannot receive SMS): left out until it writes in again."),
    "whatsapp_window_closed": _l("Outside WhatsApp's 24-hour window: free text is not allowed; a template is needed."),
    "retry_with_template": _l("Refused outside WhatsApp's 24-hour window; being resent with the template."),
    "broadcast_cancelled": _l("Not sent: the broadcast was cancelled."),
    "rate_limited": _l("The provider kept refusing for too many requests."),
    "queue_full": _l("The provider's queue was full."),
    "provider_error": _l("The provider refused the message."),
    "provider_unavailable": _l("The provider could not be reached after several tries."),
    "undelivered": _l("The carrier could not deliver it."),
    "in_doubt": _l("Being checked against the provider's records after a worker stopped."),
    "region_not_enabled": _l("Sending to this country is not enabled."),
    "unreachable": _l("The carrier cannot reach this number."),
    "handset_unreachable": _l("The phone is switched off or out of coverage."),
    "unknown_number": _l("The number does not exist at the carrier."),
    "landline": _l("A landline, or a carrier that cannot receive it."),
    "blocked": _l("The number blocks messages from us."),
    "filtered": _l("The carrier filtered it as spam."),
    "carrier_error": _l("The carrier reported an unknown error."),
    "too_long": _l("Too long for the provider."),
    "sender_not_capable": _l("Our number cannot send to this number."),
    "channel_mismatch": _l("Sender and recipient are on different channels."),
}


class _LanguageNames(dict):
    """Language code -> its own name from content/languages.yaml ("Kiswahili", "हिंदी"), else the code."""

    def __missing__(self, code):
        info = current_services().catalog.language_info.get(code, {})
        return info.get("label") or info.get("name") or code

    def get(self, code, default=None):  # dict.get() skips __missing__
        return self[code]


LANGUAGE_NAMES = _LanguageNames()


def explain(reason: str | None) -> str:
    if reason in REASONS:
        return str(REASONS[reason])
    return (reason or _("unknown")).replace("_", " ").capitalize() + "."


def state_label(state: str) -> str:
    found = BROADCAST_STATES.get(state) or STATE_LABELS.get(state)
    return str(found) if found else state


def who(created_by: str) -> str:
    """Broadcasts from the organizer SMS command are created by a phone number: never shown whole."""
    return mask(created_by) if re.fullmatch(r"\+\d{7,15}", created_by or "") else (created_by or "—")


# The validator's message keys this page says in the organizer's language; the others show its message.
ERROR_TEXTS = {
    "unknown_market": lambda exc: _("%(problem)s: choose markets from the list", problem=exc),
    "not_registered_members": lambda exc: _("cities, markets and trades select registered members: choose "
                                            "'members only' or 'anyone', not 'not registered'"),
    "text_too_long": lambda exc: _("The %(language)s text is %(length)s characters long: the limit is %(limit)s.",
                                   language=LANGUAGE_NAMES.get(exc.params["language"]),
                                   length=exc.params["length"], limit=exc.params["limit"]),
    "text_empty": lambda exc: _("Write the message: the text is empty."),
    "default_text_missing": lambda exc: _("Write the %(language)s text: everyone whose language has no text "
                                          "gets that one.", language=LANGUAGE_NAMES.get(exc.params["language"])),
    "template_sid": lambda exc: _("The WhatsApp template must be a Content SID: HX and 32 hex digits."),
}


def error_text(exc: broadcasts.BroadcastError) -> str:
    translate = ERROR_TEXTS.get(getattr(exc, "key", None))
    return str(translate(exc)) if translate else str(exc)
