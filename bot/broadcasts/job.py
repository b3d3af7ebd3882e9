"""One broadcast as a worker sees it (Job), a claimed recipient row (Row), what sending to it came to
(Outcome), and the message one row gets (build_message)."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.broadcasts.process import PROCESS
from bot.broadcasts.ratelimit import RateLimiter
from bot.messages import Outgoing
from bot.models import Broadcast
from bot.providers import build_sender
from content.sms import segment_info, smart_encode


def message_text(texts: dict, language: str, channel: str) -> str:
    text = texts[language]
    return smart_encode(text) if channel == "sms" else text


@dataclass
class Row:
    id: int
    attempt_id: str
    contact_id: int
    channel: str
    language: str
    to_address: str
    mode: str
    attempts: int
    opted_out: bool
    last_inbound_whatsapp_at: datetime | None


@dataclass
class Outcome:
    row: Row
    kind: str  # sent | failed | skipped | requeue | doubt | unclaim
    sid: str | None = None
    mode: str | None = None
    body: str = ""
    segments: int | None = None
    encoding: str | None = None
    code: int | None = None
    message: str | None = None
    reason: str | None = None
    not_before: datetime | None = None
    counts: bool = True  # a provider call was made (attempts + 1)
    from_address: str = ""


@dataclass
class Job:
    """One broadcast as a worker sees it."""

    services: object
    cfg: object
    broadcast: Broadcast
    limiter: RateLimiter | None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def org(self):
        return self.services.catalog.org(self.broadcast.organization)

    def from_address(self, channel: str) -> str:
        number = self.org.numbers[0]
        return f"whatsapp:{number}" if channel == "whatsapp" else number

    def sender(self):
        """One provider client per thread (twilio-python's client is not meant to be shared)."""
        injected = getattr(self.services, "broadcast_sender", None)
        if injected is not None:
            return injected
        if getattr(self.services.sender, "thread_safe", True):
            return self.services.sender
        local = PROCESS.local
        s = self.services.settings
        key = (s.twilio_account_sid, s.twilio_auth_token, s.twilio_api_base_url, s.twilio_http_timeout)
        if getattr(local, "key", None) != key:
            if getattr(local, "sender", None) is not None:
                local.sender.close()
            local.sender, local.key = build_sender(s), key
        return local.sender


def backoff(cfg, attempts: int) -> timedelta:
    cap = min(cfg.backoff_max, cfg.backoff_base * (2 ** max(0, attempts)))
    return timedelta(seconds=cap / 2 + random.uniform(0, cap / 2))


def build_message(job: Job, row: Row, mode: str) -> tuple[Outgoing, str, int, str | None]:
    """(message, body recorded, segments, encoding)"""
    b = job.broadcast
    from_ = job.from_address(row.channel)
    if mode == "template":
        t = b.template
        body = f"[template {t['content_sid']}] " + " | ".join(f"{k}={v}" for k, v in sorted(t["variables"].items()))
        return (Outgoing(to=row.to_address, from_=from_, body="", track_status=job.cfg.status_callbacks,
                         content_sid=t["content_sid"], content_variables=t["variables"] or None), body, 1, None)
    body = message_text(b.texts, row.language, row.channel)
    if row.channel == "sms":
        info = segment_info(body)
        segments, encoding = info.segments, info.encoding
    else:
        segments, encoding = 1, None
    return Outgoing(to=row.to_address, from_=from_, body=body, track_status=job.cfg.status_callbacks), body, \
        segments, encoding


def load_broadcast(services, broadcast_id: int) -> Broadcast | None:
    with services.db() as session:
        return session.get(Broadcast, broadcast_id)
