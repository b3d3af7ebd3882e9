"""An organizer's command that creates a broadcast counts once per organizer, text and few minutes.

A command re-delivered with another MessageSid (a replayed capture, a phone that sends twice) must not
tell the members twice. The first copy claims a Redis key (SET NX with a TTL); when Redis is down the
inbound messages table answers instead: the same text from the same number, stored a moment before."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, select

from bot.models import InboundMessage, utcnow

log = logging.getLogger(__name__)

WINDOW_SECONDS = 300


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


def first_time(services, organization: str, sender: str, text: str, sid: str | None = None,
               window: int = WINDOW_SECONDS) -> bool:
    """True for the first such command within `window` seconds; False for a repeat."""
    digest = hashlib.sha256(f"{organization}\0{sender}\0{normalise(text)}".encode()).hexdigest()
    if services.redis is not None:
        try:
            return bool(services.redis.set(f"broadcast:once:{digest}", sid or "1", nx=True, ex=window))
        except RedisError as exc:
            log.warning("redis unreachable, checking repeats in the database: %s", exc)
    return not _seen_in_db(services, organization, sender, text, sid, window)


def _seen_in_db(services, organization: str, sender: str, text: str, sid: str | None, window: int) -> bool:
    since = utcnow() - timedelta(seconds=window)
    query = select(InboundMessage.body).where(
        InboundMessage.organization == organization,
        InboundMessage.from_address.in_((sender, f"whatsapp:{sender}")),
        InboundMessage.received_at >= since,
        func.lower(func.trim(InboundMessage.body)) == text.strip().lower())
    if sid:  # only earlier messages count: of two copies, the one stored first is the original
        this = select(InboundMessage.id).where(InboundMessage.provider_sid == sid).scalar_subquery()
        query = query.where(InboundMessage.provider_sid != sid, InboundMessage.id < func.coalesce(this, 2**31 - 1))
    with services.db() as session:
        return any(normalise(body) == normalise(text) for body in session.scalars(query.limit(20)))
