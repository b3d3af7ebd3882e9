"""Providers: everything that knows one messaging provider (today Twilio, plus the local outbox).

Inbound forms and their validation, the sender, status callbacks and their mapping, the error-code
table, the status-callback URL, media fetching with credentials and the WhatsApp 24 h window rule live
here. The rest of bot/ sees only the provider-neutral types in bot.messages; a second provider is one more
module in this room.

May import: bot core only (settings, messages, phones, models) and content/. This module is the facade
every room may import (build_sender, the WhatsApp window, media fetching, error reasons, the simulated
phone); the provider modules themselves (bot.providers.twilio.*, and the twilio package) only this room
and the webhook doors webhooks/twilio.py and webhooks/signature.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.messages import Sender
from bot.providers.outbox import OutboxSender
from bot.providers.twilio import media_fetch as media  # noqa: F401  media.check / media.open_media / media.Refused
from bot.providers.twilio import phone as simulated_phone  # noqa: F401  the phone simulator's forms
from bot.providers.twilio.errors import is_permanent  # noqa: F401  the number refuses our messages for good
from bot.providers.twilio.errors import reason_for as delivery_reason  # noqa: F401  a code as a neutral reason
from bot.settings import Settings

# WhatsApp (Meta's rule, enforced by Twilio with error 63016) accepts free text only within 24 hours of the
# worker's last WhatsApp message; outside it, only a pre-approved template.
WHATSAPP_WINDOW = timedelta(hours=24)


def build_sender(settings: Settings) -> Sender:
    """Twilio when an account is configured, else the local outbox (`make run` with no account)."""
    if settings.uses_twilio:
        from bot.providers.twilio import sender as twilio

        return twilio.build(settings)
    return OutboxSender(settings.outbox_path)


def whatsapp_window_until(last_whatsapp_at: datetime | None, now: datetime | None = None) -> datetime | None:
    """Until when free text reaches this worker on WhatsApp; None when the window is closed or they never
    wrote on WhatsApp."""
    if last_whatsapp_at is None:
        return None
    if last_whatsapp_at.tzinfo is None:
        last_whatsapp_at = last_whatsapp_at.replace(tzinfo=timezone.utc)
    until = last_whatsapp_at + WHATSAPP_WINDOW
    return until if until > (now or datetime.now(timezone.utc)) else None


def whatsapp_window_open(last_whatsapp_at: datetime | None, now: datetime | None = None) -> bool:
    return whatsapp_window_until(last_whatsapp_at, now) is not None
