"""One inbound Twilio message as a plain dataclass, parsed from the webhook form."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from bot.models import utcnow
from bot.phones import to_e164

MAX_BODY = 1600  # Twilio's own limit; longer bodies are kept whole in `raw` and truncated here.
MAX_MEDIA = 10


class BadInbound(ValueError):
    """The request lacks what every Twilio message has; answered with a 400."""


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str | None


@dataclass(frozen=True)
class Inbound:
    sid: str
    channel: str  # "sms" | "whatsapp"
    from_address: str  # as Twilio sent it, e.g. "whatsapp:+254711000001"
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

    @classmethod
    def from_form(cls, form) -> "Inbound":
        """`form` is a MultiDict (request.form) or a plain dict of strings."""
        get = form.get
        sid = (get("MessageSid") or get("SmsMessageSid") or "").strip()
        from_address = (get("From") or "").strip()
        to_address = (get("To") or "").strip()
        if not sid or not from_address or not to_address:
            raise BadInbound("MessageSid, From and To are required")
        if len(sid) > 64:
            raise BadInbound("MessageSid is too long")
        channel = "whatsapp" if from_address.lower().startswith("whatsapp:") else "sms"
        return cls(
            sid=sid,
            channel=channel,
            from_address=from_address[:64],
            to_address=to_address[:64],
            phone=to_e164(from_address),
            to_number=to_e164(to_address),
            body=clean_text(get("Body") or "")[:MAX_BODY],
            media=tuple(_media(form)),
            latitude=_coordinate(get("Latitude"), 90),
            longitude=_coordinate(get("Longitude"), 180),
            address=clean_text(get("Address") or "")[:500] or None,
            label=clean_text(get("Label") or "")[:500] or None,
            profile_name=clean_text(get("ProfileName") or "")[:200] or None,
            wa_id=(get("WaId") or "")[:32] or None,
            raw=_raw(form),
        )


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and replacement debris; NFC-normalise."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))


def _media(form):
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    for n in range(count):
        url = form.get(f"MediaUrl{n}")
        if url:
            yield Media(url=url[:1000], content_type=(form.get(f"MediaContentType{n}") or None))


def _coordinate(raw: str | None, bound: float) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    if value is None or value != value or abs(value) > bound:
        return None
    return value


def _raw(form) -> dict:
    """The whole form, kept for audit; a key Twilio repeats keeps all its values. NUL characters
    (which PostgreSQL cannot store in text or JSON) become U+FFFD; everything else stays as sent."""
    def keep(value: str) -> str:
        return value.replace("\x00", "\ufffd")

    if hasattr(form, "lists"):
        return {keep(k): (keep(v[0]) if len(v) == 1 else [keep(x) for x in v]) for k, v in form.lists()}
    return {keep(k): keep(v) for k, v in dict(form).items()}
