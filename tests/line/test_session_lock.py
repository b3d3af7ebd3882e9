"""The per-contact lock when Redis goes away mid-message: a lock whose release failed (a failover can
carry it to the new primary) is released by the phone's next message, which then takes the lock at
once instead of waiting for it to expire."""
from __future__ import annotations

import time

from bot.line.sessions import SessionStore


def test_a_lock_whose_release_failed_is_released_by_the_next_message(make_settings, redis):
    from bot.services import build_redis

    client = build_redis(make_settings())  # the app's client: 0.5 s timeouts
    with SessionStore(client, ttl=600).lock("nairobi", "+254700000001"):  # one store per message, as the engine
        first = redis.get("lock:nairobi:+254700000001")
        assert first
        # Writes stall for longer than the client's timeout: the release cannot reach Redis.
        redis.execute_command("CLIENT", "PAUSE", 1500, "WRITE")
    time.sleep(1.6)
    assert redis.get("lock:nairobi:+254700000001") == first, "the release went through after all"

    with SessionStore(client, ttl=600).lock("nairobi", "+254700000001", wait=3):
        second = redis.get("lock:nairobi:+254700000001")
    assert second and second != first  # taken anew, not waited out and handled unlocked
    assert redis.get("lock:nairobi:+254700000001") is None  # and released normally


def test_prefetched_keys_are_read_with_the_lock_and_forgotten_after(make_settings, redis):
    from bot.line import polls, sessions  # noqa: F401  polls registers the open-polls key
    from bot.broadcasts.polls import open_key
    from bot.services import build_redis

    client = build_redis(make_settings())
    store = sessions.SessionStore(client, ttl=600)
    redis.set(open_key("nairobi"), b"[[7, 1, 0.0, null]]")
    with store.lock("nairobi", "+254700000002"):
        assert store.read_with_lock(open_key("nairobi")) == b"[[7, 1, 0.0, null]]"
        assert store.read_with_lock(open_key("pune")) is sessions.NOT_READ
    assert store.read_with_lock(open_key("nairobi")) is sessions.NOT_READ
    with store.lock("pune", "+919800000002"):  # absent in Redis: read as None, not NOT_READ
        assert store.read_with_lock(open_key("pune")) is None
