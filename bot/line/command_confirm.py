"""A second factor for organizer SMS commands (issue 12 item 11): where an organization turns on
`confirm_commands`, a command that changes what workers are told is held in Redis and a one-time
code is sent back to the organizer's number. Caller ID can be spoofed; the reply to the real number
cannot be read by the spoofer, so only the real organizer can answer with the code."""
from __future__ import annotations

import json
import secrets

from bot.line.sessions import REDIS_ERRORS

TTL = 600  # seconds a held command waits for its code
CODE_DIGITS = 4
MAX_WRONG = 3


def _key(org: str, phone: str) -> str:
    return f"orgcmd:{org}:{phone}"


def hold(services, org: str, phone: str, text: str) -> str | None:
    """Keep the command; the code to send back, or None when Redis is down (the command then
    waits for nothing: it is refused rather than run unconfirmed)."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    try:
        services.redis.delete(_key(org, phone) + ":wrong")
        services.redis.set(_key(org, phone), json.dumps({"text": text, "code": code}), ex=TTL)
    except REDIS_ERRORS:
        return None
    return code


def release(services, org: str, phone: str, answer: str) -> str | None:
    """The held command when `answer` is its code (taken once); None otherwise."""
    if not (answer.isdigit() and len(answer) == CODE_DIGITS):
        return None
    try:
        raw = services.redis.get(_key(org, phone))
        held = json.loads(raw) if raw else None
        if not held:
            return None
        if not secrets.compare_digest(held["code"], answer):
            # Three wrong codes drop the command: 10,000 codes cannot be tried one SMS at a time.
            if services.redis.incr(_key(org, phone) + ":wrong") >= MAX_WRONG:
                services.redis.delete(_key(org, phone), _key(org, phone) + ":wrong")
            else:
                services.redis.expire(_key(org, phone) + ":wrong", TTL)
            return None
        if not services.redis.delete(_key(org, phone)):
            return None  # another delivery of this reply took it first
    except (REDIS_ERRORS, ValueError):
        return None
    return held["text"]
