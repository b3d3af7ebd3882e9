"""Conversation sessions in Redis: one key per contact with a TTL, and a per-contact lock.

Redis is a cache of conversation position, not a record: when it is down the line answers
statelessly (menu, keywords, NLU) and nothing is lost, because messages live in the database.
"""
from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager

import redis as redis_lib

log = logging.getLogger(__name__)
REDIS_ERRORS = (redis_lib.RedisError, OSError)
# A session outlives its TTL by this much so the worker can be told the form expired.
EXPIRED_GRACE = 24 * 3600


def _key(org: str, phone: str) -> str:
    return f"session:{org}:{phone}"


class SessionStore:
    def __init__(self, redis: redis_lib.Redis | None, ttl: int):
        self.redis = redis
        self.ttl = ttl

    def get(self, org: str, phone: str) -> dict | None:
        """The session, with "expired": True when it is past its TTL (the caller ends it politely)."""
        if self.redis is None:
            return None
        try:
            raw = self.redis.get(_key(org, phone))
        except REDIS_ERRORS as exc:
            log.warning("session read failed: %s", exc)
            return None
        if not raw:
            return None
        session = json.loads(raw)
        session["expired"] = session.get("expires", float("inf")) < time.time()
        return session

    def put(self, org: str, phone: str, session: dict | None) -> None:
        if self.redis is None:
            return
        try:
            if session is None:
                self.redis.delete(_key(org, phone))
            else:
                session = {k: v for k, v in session.items() if k != "expired"}
                session["expires"] = time.time() + self.ttl
                self.redis.set(_key(org, phone), json.dumps(session), ex=self.ttl + EXPIRED_GRACE)
        except REDIS_ERRORS as exc:
            log.warning("session write failed: %s", exc)

    @contextmanager
    def lock(self, org: str, phone: str, timeout: float = 10, wait: float = 5):
        """Messages from one phone are handled one at a time; without Redis, not at all serialised."""
        if self.redis is None:
            yield
            return
        lock = self.redis.lock(f"lock:{org}:{phone}", timeout=timeout, blocking_timeout=wait)
        try:
            acquired = lock.acquire()
        except REDIS_ERRORS as exc:
            log.warning("session lock unavailable: %s", exc)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                try:
                    lock.release()
                except (REDIS_ERRORS + (redis_lib.exceptions.LockError,)):
                    pass
