"""The sweeper: a broadcast left 'sending' with nobody working on it gets its drain jobs back.

Drain jobs re-enqueue their successor, so a broadcast stalls only when every job for it is lost (all
workers killed mid-job, Redis flushed, a job that hit its timeout). Each drainer marks the broadcast
alive in Redis on every loop; enqueueing marks it expected. The sweeper, run by every broadcast worker
on a timer (one at a time through a Redis lock), wakes each 'sending' broadcast that is neither alive
nor expected. Waking is safe to repeat: rows are claimed, never sent twice."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from bot.broadcasts.config import config_for
from bot.broadcasts.liveness import alive_key, expected_key
from bot.models import Broadcast

log = logging.getLogger(__name__)

LOCK = "broadcast:sweeper"


def sweep(services) -> list[int]:
    """Wake the stalled broadcasts; returns their ids. Only one sweeper acts at a time."""
    from bot.broadcasts.service import wake

    redis = services.redis
    if redis is None:
        return []
    cfg = config_for(services)
    if not redis.set(LOCK, 1, nx=True, ex=max(5, int(cfg.sweep_seconds))):
        return []
    with services.db() as session:
        sending = session.scalars(select(Broadcast.id).where(Broadcast.state == "sending")).all()
    woken = []
    for broadcast_id in sending:
        pipe = redis.pipeline(transaction=False)
        pipe.exists(alive_key(broadcast_id))
        pipe.exists(expected_key(broadcast_id))
        alive, expected = pipe.execute()
        if alive or expected:
            continue
        log.warning("broadcast %s: nobody is sending it; waking it", broadcast_id)
        wake(services, broadcast_id)
        woken.append(broadcast_id)
    return woken


def start(services, stop: threading.Event | None = None) -> threading.Thread:
    """Sweep every `sweep_seconds` in a daemon thread of a worker process."""
    stop = stop or threading.Event()
    period = config_for(services).sweep_seconds

    def run():
        while not stop.wait(period):
            try:
                sweep(services)
            except Exception:  # noqa: BLE001  a failed sweep must never take the worker down
                log.exception("broadcast sweep failed")

    thread = threading.Thread(target=run, name="broadcast-sweeper", daemon=True)
    thread.start()
    return thread
