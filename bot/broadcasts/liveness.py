"""Whether somebody works on a broadcast, as marks in Redis: a drainer marks it alive on every loop;
enqueueing its drain jobs marks it expected (they may wait in the queue). The sweeper (sweeper.py)
wakes a 'sending' broadcast that has neither mark."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from bot.broadcasts.config import config_for

log = logging.getLogger(__name__)


def alive_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:alive"


def expected_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:expected"


def mark_alive(services, broadcast_id: int) -> None:
    """Called by a drainer on each loop: somebody is working on this broadcast."""
    if services.redis is None:
        return
    try:
        services.redis.set(alive_key(broadcast_id), 1, ex=max(5, int(config_for(services).lease_seconds)))
    except RedisError:
        log.debug("broadcast %s: alive mark failed", broadcast_id, exc_info=True)


def mark_expected(services, broadcast_id: int, seconds: int) -> None:
    """Called when drain jobs are enqueued: they may wait in the queue up to their timeout."""
    if services.redis is None:
        return
    try:
        services.redis.set(expected_key(broadcast_id), 1, ex=max(5, seconds))
    except RedisError:
        log.debug("broadcast %s: expected mark failed", broadcast_id, exc_info=True)
