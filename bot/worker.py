"""The worker process (`python -m bot.cli worker`, the Procfile's worker): an RQ worker for media
downloads, plus one background thread that drains the spool into the database after an outage
(bot/line/drainer.py) and, every minute, re-queues report media whose download job was lost."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


def sweep_media(services) -> int:
    """Queue again the attachments left pending (queue down) or queued with a lost job (Redis
    lost); returns how many were queued."""
    from bot.line import media
    ids = media.pending_ids(services)
    return media.enqueue_downloads(services, ids) if ids else 0


class Background:
    """The drainer loop, with the media sweep riding on it."""

    def __init__(self, services, sweep_every: float = SWEEP_SECONDS):
        self.services, self.sweep_every = services, sweep_every
        self.stop = threading.Event()
        self._next_sweep = 0.0
        self.thread = threading.Thread(target=self._run, name="streetline-background", daemon=True)

    def _tick(self) -> None:
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.sweep_every
        try:
            queued = sweep_media(self.services)
            if queued:
                log.info("media sweep: %d downloads queued again", queued)
        except Exception as exc:  # database or Redis away: next minute
            log.warning("media sweep skipped: %s", exc)

    def _run(self) -> None:
        from bot.line import drainer
        from bot.line.sessions import mirror_opt_outs

        try:
            mirror_opt_outs(self.services)
        except Exception as exc:
            log.warning("opt-out mirror not refreshed: %s", exc)
        drainer.run(self.services, self.stop, after_tick=self._tick)

    def start(self) -> "Background":
        self.thread.start()
        return self

    def close(self, timeout: float = 10) -> None:
        self.stop.set()
        self.thread.join(timeout)


def main(burst: bool = False) -> None:
    from rq import Worker

    from bot.services import build_services
    from bot.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    services = build_services(Settings.from_env())
    if services.redis is None:
        raise SystemExit("REDIS_URL is required for the worker")
    try:  # the daily retention purge, on RQ's scheduler (run by this worker: with_scheduler=True)
        from bot.desk import retention
        retention.schedule(services.queue)
    except Exception as exc:  # Redis away at start: the next start schedules it
        log.warning("retention purge not scheduled: %s", exc)
    try:  # the hourly follow-up of reports raised with authorities (issue 14), the same way
        from bot.desk import followups
        followups.schedule(services.queue)
    except Exception as exc:
        log.warning("authorities follow-up not scheduled: %s", exc)
    try:  # the polls' clock (issue 15): scheduled polls opened, polls closed, results sent back
        from bot.broadcasts.polls import schedule as polls_schedule
        polls_schedule.schedule(services.queue)
    except Exception as exc:
        log.warning("polls clock not scheduled: %s", exc)
    from bot import tasks
    tasks.use_services(services)  # jobs run on these, not on services built per job
    background = Background(services).start()
    try:
        Worker([services.queue], connection=services.redis).work(with_scheduler=True, burst=burst)
    finally:
        background.close()
        services.close()
