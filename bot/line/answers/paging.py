"""Answers longer than one SMS go out a page at a time: the first page now, the rest kept in
Redis (one key per contact, with the session TTL) until the worker replies MORE."""
from __future__ import annotations

import json
import logging

from bot.line import keywords, routes
from bot.line.sessions import REDIS_ERRORS
from content.sms import segment_info

log = logging.getLogger(__name__)


def _key(org: str, phone: str) -> str:
    return f"paging:{org}:{phone}"


def _ttl(turn) -> int:
    return int(turn.services.settings.session_ttl)


def send(turn, pages: list[str]) -> None:
    """Say the first page; keep the others for MORE. On WhatsApp (one long message) all at once."""
    pages = [p for p in pages if p]
    if not pages:
        return
    if turn.channel == "whatsapp":
        turn.say_text("\n\n".join(pages))
        return
    turn.say_text(pages[0])
    _store(turn, pages[1:])


def send_text(turn, text: str) -> None:
    """A composed answer: one SMS when it fits, else split at words into pages ending in MORE."""
    if turn.channel == "whatsapp" or segment_info(text).segments <= 1:
        turn.say_text(text)
        return
    send(turn, split(text, turn.text("paging.more")))


def split(text: str, hint: str) -> list[str]:
    words, pages, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if segment_info(f"{candidate} {hint}").segments > 1 and current:
            pages.append(f"{current} {hint}")
            current = word
        else:
            current = candidate
    if current:
        pages.append(current)
    return pages


def _store(turn, rest: list[str]) -> None:
    redis = turn.services.redis
    if redis is None:
        return
    key = _key(turn.org.slug, turn.inbound.phone)
    try:
        if rest:
            redis.set(key, json.dumps(rest), ex=_ttl(turn))
        else:
            redis.delete(key)
    except REDIS_ERRORS as exc:
        log.warning("paging write failed: %s", exc)


def _pending(turn) -> list[str] | None:
    redis = turn.services.redis
    if redis is None:
        return None
    try:
        raw = redis.get(_key(turn.org.slug, turn.inbound.phone))
    except REDIS_ERRORS as exc:
        log.warning("paging read failed: %s", exc)
        return None
    return json.loads(raw) if raw else None


def _is_more(turn) -> bool:
    word = keywords.normalise(turn.inbound.body)
    catalog = turn.services.catalog
    return any(word in catalog.keywords("more", lang) for lang in turn.org.languages)


@routes.before
def more(turn, store, word) -> bool:
    """MORE (and translations): the next kept page, or "that is all" when none is left."""
    if not _is_more(turn):
        return False
    pending = _pending(turn)
    if not pending:
        turn.say("paging.end")
        return True
    turn.say_text(pending[0])
    _store(turn, pending[1:])
    return True
