"""Conversation sessions in Redis: one key per contact with a TTL, and a per-contact lock.

Redis is a cache of conversation position, not a record: when it is down the line answers
statelessly (menu, keywords, NLU) and nothing is lost, because messages live in the database.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import contextmanager

import redis as redis_lib

log = logging.getLogger(__name__)
REDIS_ERRORS = (redis_lib.RedisError, OSError)
# A session outlives its TTL by this much so the worker can be told the form expired.
EXPIRED_GRACE = 24 * 3600


def handover_key(org: str, phone: str) -> str:
    """Present while an organizer has this conversation (bot/line/handover.py owns it; read here with the lock)."""
    return f"handover:{org}:{phone}"


def _key(org: str, phone: str) -> str:
    return f"session:{org}:{phone}"


# Taking the lock and reading what the message needs, as one command: a pipeline of four or five
# cost redis-py more CPU than the rest of the session work (bench/profile_inbound.py). KEYS: lock,
# session, handover, then the PREFETCH keys; ARGV: token, lock ms, a stale token of ours to release
# first ("" for none). Returns [taken, session, handover present, prefetched...]; a missing key is nil.
_ACQUIRE = """
if ARGV[3] ~= '' and redis.call('get', KEYS[1]) == ARGV[3] then redis.call('del', KEYS[1]) end
local out = {redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0,
             redis.call('get', KEYS[2]), redis.call('exists', KEYS[3])}
for i = 4, #KEYS do out[i] = redis.call('get', KEYS[i]) end
return out
"""
# Writing the session (ARGV[2]: "set" with value and seconds, "del", or "" to leave it) and releasing
# the lock if it still holds our token (ARGV[1]; "" when we never took it), as one command.
_WRITE_RELEASE = """
if ARGV[2] == 'set' then redis.call('set', KEYS[2], ARGV[3], 'EX', ARGV[4])
elseif ARGV[2] == 'del' then redis.call('del', KEYS[2]) end
if ARGV[1] ~= '' and redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1
"""
_SCRIPTS: dict[str, object] = {}


def _run(client, source: str, keys: list, args: list):
    """One script call with redis-py's Script: EVALSHA, loaded again after a restart or failover."""
    script = _SCRIPTS.get(source)
    if script is None:
        script = _SCRIPTS[source] = client.register_script(source)
    return script(keys=keys, args=args, client=client)


_UNREAD = object()
# Lock key -> our token, for locks whose release failed (Redis went away mid-message), per process (a
# SessionStore lives for one message). A failover can carry such a lock to the new primary; the phone's
# next message releases it first instead of waiting for it on every message until it expires.
_UNRELEASED: dict[str, str] = {}
_UNRELEASED_MAX = 100_000  # a long outage with many phones: past this, the rest expire in their 10 s
NOT_READ = _UNREAD  # what read_with_lock gives for a key the lock did not read

# Keys a feature reads on nearly every message, fetched in the lock's own round trip instead of one more:
# functions (org, phone) -> key, registered at import with `prefetch` (bot/line/polls.py: the
# organization's open polls).
PREFETCH: list = []


def prefetch(key_for):
    PREFETCH.append(key_for)
    return key_for


class SessionStore:
    """Inside `lock`, the session is read together with taking the lock and written together with
    releasing it: two Redis round trips per message instead of one per call."""

    def __init__(self, redis: redis_lib.Redis | None, ttl: int):
        self.redis = redis
        self.ttl = ttl
        self._held: dict[str, object] = {}  # key -> raw value read under the lock
        self._pending: dict[str, dict | None] = {}  # key -> session to write on release
        self._handover: dict[str, bool] = {}  # key -> handover key present, read with the lock
        self._prefetched: dict[str, object] = {}  # key -> value read with the lock (PREFETCH)

    def get(self, org: str, phone: str) -> dict | None:
        """The session, with "expired": True when it is past its TTL (the caller ends it politely)."""
        if self.redis is None:
            return None
        key = _key(org, phone)
        if key in self._pending:
            raw = self._encode(self._pending[key])
        elif self._held.get(key, _UNREAD) is not _UNREAD:
            raw = self._held[key]
        else:
            try:
                raw = self.redis.get(key)
            except REDIS_ERRORS as exc:
                log.warning("session read failed: %s", exc)
                return None
        if not raw:
            return None
        session = json.loads(raw)
        session["expired"] = session.get("expires", float("inf")) < time.time()
        return session

    def handover_flag(self, org: str, phone: str) -> bool | None:
        """Whether the handover key existed when the lock was taken; None when not read (no lock)."""
        return self._handover.get(_key(org, phone))

    def put(self, org: str, phone: str, session: dict | None) -> None:
        if self.redis is None:
            return
        key = _key(org, phone)
        if key in self._held:
            self._pending[key] = self._stamp(session)
            return
        try:
            self._write(self.redis, key, self._stamp(session))
        except REDIS_ERRORS as exc:
            log.warning("session write failed: %s", exc)

    def _stamp(self, session: dict | None) -> dict | None:
        if session is None:
            return None
        session = {k: v for k, v in session.items() if k != "expired"}
        session["expires"] = time.time() + self.ttl
        return session

    def read_with_lock(self, key: str):
        """A PREFETCH key's value as the lock read it (None: absent), or NOT_READ (no lock, Redis away)."""
        return self._prefetched.get(key, NOT_READ)

    @staticmethod
    def _encode(session: dict | None) -> str | None:
        return json.dumps(session) if session is not None else None

    def _write(self, client, key: str, session: dict | None) -> None:
        if session is None:
            client.delete(key)
        else:
            client.set(key, self._encode(session), ex=self.ttl + EXPIRED_GRACE)

    @contextmanager
    def lock(self, org: str, phone: str, timeout: float = 10, wait: float = 5):
        """Messages from one phone are handled one at a time; without Redis, not at all serialised."""
        if self.redis is None:
            yield
            return
        key, lock_key, token = _key(org, phone), f"lock:{org}:{phone}", uuid.uuid4().hex
        acquired = False
        try:
            deadline = time.monotonic() + wait
            keys = [lock_key, key, handover_key(org, phone)] + [key_for(org, phone) for key_for in PREFETCH]
            while True:
                stale = _UNRELEASED.get(lock_key) or ""
                taken, raw, handed_over, *extra = _run(self.redis, _ACQUIRE, keys, [token, int(timeout * 1000), stale])
                acquired = bool(taken)
                self._prefetched.update(zip(keys[3:], extra))
                if stale:
                    _UNRELEASED.pop(lock_key, None)
                if acquired or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if acquired:
                self._held[key] = raw
                self._handover[key] = bool(handed_over)
        except REDIS_ERRORS as exc:
            log.warning("session lock unavailable: %s", exc)
        try:
            yield
        finally:
            self._held.pop(key, None)
            self._handover.pop(key, None)
            self._prefetched.clear()
            pending = self._pending.pop(key, _UNREAD)
            if pending is _UNREAD:
                write = ["", "", 0]
            elif pending is None:
                write = ["del", "", 0]
            else:
                write = ["set", self._encode(pending), self.ttl + EXPIRED_GRACE]
            try:
                if acquired or write[0]:
                    _run(self.redis, _WRITE_RELEASE, [lock_key, key], [token if acquired else "", *write])
            except REDIS_ERRORS as exc:
                if acquired and len(_UNRELEASED) < _UNRELEASED_MAX:
                    _UNRELEASED[lock_key] = token
                log.warning("session write/unlock failed: %s", exc)


# --- opt-outs, readable while the database is not -----------------------------------------------
# The contact row is the record; this set per organization mirrors it so that a worker who opted out
# is not answered while the row cannot be read. Written whenever a contact opts out or back in.

def opt_out_key(org: str) -> str:
    return f"optout:{org}"


def remember_opt_out(redis, org: str | None, phone: str | None, changes: dict) -> None:
    if redis is None or not org or not phone or "opted_out" not in changes:
        return
    try:
        if changes["opted_out"]:
            redis.sadd(opt_out_key(org), phone)
        else:
            redis.srem(opt_out_key(org), phone)
    except REDIS_ERRORS as exc:
        log.warning("opt-out not mirrored in Redis: %s", exc)


def opted_out(redis, org: str | None, phone: str | None) -> bool:
    """From the mirror (the database is away); False when Redis cannot say either."""
    if redis is None or not org or not phone:
        return False
    try:
        return bool(redis.sismember(opt_out_key(org), phone))
    except REDIS_ERRORS as exc:
        log.warning("opt-out mirror unreadable: %s", exc)
        return False


def mirror_opt_outs(services) -> int:
    """Copy every opted-out contact into the mirror (the worker does this at start, in case Redis
    lost it). Adds only: an opt-in removes its number when it happens."""
    from sqlalchemy import select

    from bot.models import Contact

    if services.redis is None:
        return 0
    with services.db() as session:
        rows = session.execute(select(Contact.organization, Contact.phone).where(Contact.opted_out.is_(True))).all()
    by_org: dict[str, list[str]] = {}
    for org, phone in rows:
        by_org.setdefault(org, []).append(phone)
    pipe = services.redis.pipeline(transaction=False)
    for org, phones in by_org.items():
        for start in range(0, len(phones), 1000):
            pipe.sadd(opt_out_key(org), *phones[start:start + 1000])
    pipe.execute()
    return len(rows)
