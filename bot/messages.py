"""Messages as the whole of bot/ sees them, whatever provider carries them: one inbound message, one
outgoing message and what sending it returned, one delivery status. Provider modules (bot/providers/)
turn their own requests and responses into these and back; nothing else knows a provider's format."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.models import utcnow

MAX_BODY = 1600  # the longest text a message carries (Twilio's and WhatsApp's limit); longer is kept in `raw`
MAX_MEDIA = 10


class BadInbound(ValueError):
    """A request that lacks what every message of its provider has; answered with a 400."""


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str | None


@dataclass(frozen=True)
class Inbound:
    sid: str  # the provider's message id, unique per message
    channel: str  # "sms" | "whatsapp"
    from_address: str  # as the provider sent it, e.g. "whatsapp:+254711000001"
    to_address: str
    phone: str | None  # sender's E.164 number, None when it is not a phone number
    to_number: str | None
    body: str
    media: tuple[Media, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    label: str | None = None
    profile_name: str | None = None
    wa_id: str | None = None
    raw: dict = field(default_factory=dict)
    received_at: datetime = field(default_factory=utcnow)

    @property
    def text(self) -> str:
        return self.body.strip()


@dataclass(frozen=True)
class Outgoing:
    to: str  # E.164, or "whatsapp:+E164"
    from_: str
    body: str
    track_status: bool = True  # ask the provider for delivery status callbacks
    media_urls: tuple[str, ...] = ()
    content_sid: str | None = None  # a pre-approved template (WhatsApp outside the 24 h window)
    content_variables: dict | None = None


@dataclass(frozen=True)
class SendResult:
    sid: str | None
    status: str  # a delivery status (RANK below), or "failed"
    error_code: int | None = None
    error_message: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class SentMessage:
    """A message the provider holds as sent by us (for reconciling a send whose answer was lost)."""
    sid: str
    created_at: datetime | None
    body: str


class Sender(Protocol):
    # False when one client must not be shared between threads (a broadcast worker makes one per thread)
    thread_safe: bool

    def send(self, message: Outgoing) -> SendResult: ...

    def sent_to(self, to: str, from_: str, limit: int = 100) -> list[SentMessage]:
        """Messages the provider has from `from_` to `to`, newest first."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's report that an outgoing message moved (sent, delivered, read, failed...)."""
    sid: str
    status: str
    error_code: str | None


# Delivery statuses in the order they happen: a status only replaces a lower-ranked one (callbacks
# arrive twice and out of order).
RANK = {
    "accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "read": 5,
}
