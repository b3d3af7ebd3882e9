"""A broadcast's drain jobs on the broadcasts RQ queue (bot.broadcasts.sending.drain, by name): enqueued
when it is sent or woken, and by a drainer whose time budget ran out; each enqueue marks the broadcast
expected for the sweeper."""
from __future__ import annotations

from bot.broadcasts.config import config_for
from bot.broadcasts.liveness import mark_expected


def queue(services):
    from rq import Queue

    return Queue(config_for(services).queue, connection=services.redis)


def enqueue_drainers(services, broadcast_id: int, count: int | None = None) -> None:
    cfg = config_for(services)
    q = queue(services)
    timeout = int(cfg.job_seconds * 3 + 120)
    mark_expected(services, broadcast_id, timeout)
    for _ in range(count or cfg.drainers):
        q.enqueue("bot.broadcasts.sending.drain", broadcast_id, job_timeout=timeout,
                  result_ttl=60, failure_ttl=24 * 3600)
