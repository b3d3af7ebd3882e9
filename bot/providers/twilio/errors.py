"""Twilio's error codes, once: for each code the provider-neutral reason the rest of bot/ records and
shows, and whether it is permanent (the number itself cannot take our messages: do not retry, mark the
contact: opted out for `opted_out`, else left out of broadcasts until it writes in again).

Checked against Twilio's error pages (twilio.com/docs/api/errors/<code>) and the codes our stand-in
answers with (standin/twilio_api.py). Other code (bot/broadcasts, webhooks/) reads this through
the bot.providers facade (delivery_reason, is_permanent) and never sees a Twilio number.

Codes that are refusals before the message exists (rate limits, full queues) have reasons the sender
retries with backoff ("rate_limited", "queue_full"); 63016 is retried with a template when there is one.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    reason: str
    permanent: bool = False


CODES: dict[int, Code] = {
    # REST API answers (the message was refused when we asked)
    20429: Code("rate_limited"),             # Too Many Requests
    21211: Code("invalid_number", True),     # Invalid 'To' phone number (cannot exist, by its format)
    21408: Code("region_not_enabled"),       # the account may not send to this country: a setting, not the number
    21606: Code("sender_not_capable"),       # our 'From' number cannot send to this destination
    21610: Code("opted_out", True),          # the recipient sent STOP to this sender (blocked until START)
    21611: Code("queue_full"),               # too many messages queued on our 'From' number
    21612: Code("unreachable"),              # this To/From pair cannot be connected (now)
    21614: Code("not_mobile", True),         # 'To' is not a valid mobile number (a landline, or invalid)
    21617: Code("too_long"),                 # body over 1600 characters
    21910: Code("channel_mismatch"),         # From and To on different channels (SMS / WhatsApp)
    # delivery errors (status callbacks, or the message resource)
    30001: Code("queue_full"),               # queue overflow
    30003: Code("handset_unreachable"),      # phone off or out of coverage: may work later
    30004: Code("blocked"),                  # blocked by the carrier or the recipient
    30005: Code("unknown_number"),           # unknown or inactive at the carrier
    30006: Code("landline"),                 # landline, or a carrier that cannot receive it
    30007: Code("filtered"),                 # filtered by the carrier as spam
    30008: Code("carrier_error"),            # unknown carrier error
    # WhatsApp
    63016: Code("whatsapp_window_closed"),   # free text outside the 24 h window: a template is needed
    63018: Code("rate_limited"),             # WhatsApp's rate limit for our sender
}


def reason_for(code: int | None) -> str | None:
    """The neutral reason for a Twilio error code; None for no code or one the table does not know."""
    found = CODES.get(code) if code is not None else None
    return found.reason if found else None


def is_permanent(code: int | None) -> bool:
    found = CODES.get(code) if code is not None else None
    return bool(found and found.permanent)


RETRY_LATER = frozenset({"rate_limited", "queue_full"})  # refused before the message existed: try again


def is_retryable(code: int | None) -> bool:
    return reason_for(code) in RETRY_LATER
