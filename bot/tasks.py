"""RQ jobs. Jobs take plain ids and run on the services of the process that runs them: the worker
(bot/worker.py) builds its services once at start and binds them here, as RQ's docs suggest for workers
with their own set-up; tests bind theirs. Only a job run where nothing was bound (a bare `rq worker`)
builds services of its own, for that job."""
from __future__ import annotations

from contextlib import contextmanager

_injected = None


def use_services(services) -> None:
    """Run this process's jobs (also in an RQ SimpleWorker) on these services; None unbinds."""
    global _injected
    _injected = services


@contextmanager
def _services(services=None):
    if services is not None or _injected is not None:
        yield services or _injected
        return
    from bot.services import build_services
    from bot.settings import Settings

    built = build_services(Settings.from_env())
    try:
        yield built
    finally:
        built.close()


def job_services(services=None):
    """The services a job runs on (bound, given, or built for it): for jobs defined outside bot/, such as
    the evidence pack's (webhooks/dashboard/evidence_job.py), which renders the pages' template."""
    return _services(services)


def download_media(media_id: int, services=None) -> str:
    """Download one report attachment (bot.line.media.download). Raises to make RQ retry; the last
    attempt marks the row failed."""
    from rq import get_current_job

    from bot.line import media
    job = get_current_job()
    final = job is None or not job.retries_left
    with _services(services) as built:
        return media.download(built, media_id, final=final)


def forget_contact(organization: str, contact_id: int, services=None) -> dict | None:
    """FORGET's erasure when it could not run right after the reply (bot.line.privacy.erase_or_queue)."""
    from bot.line import privacy
    with _services(services) as built:
        return privacy.erase(built, organization, contact_id)


def retention_daily(services=None) -> dict:
    """The daily retention purge (bot.desk.retention), which then schedules tomorrow's run."""
    from bot.desk import retention
    with _services(services) as built:
        counts = retention.purge(built)
        if built.queue is not None:
            retention.schedule(built.queue)
        return counts


def authorities_check(services=None) -> dict:
    """The hourly follow-up check of reports raised with authorities (bot.desk.followups), which then
    schedules the next run."""
    from bot.desk import followups
    with _services(services) as built:
        counts = followups.check(built)
        if built.queue is not None:
            followups.schedule(built.queue)
        return counts


def polls_tick(services=None) -> dict:
    """The polls' clock, every minute (bot.broadcasts.polls.schedule): scheduled polls sent, polls closed at
    closes_at, results sent back; then schedules the next run."""
    from bot.broadcasts.polls import schedule
    with _services(services) as built:
        counts = schedule.tick(built)
        if built.queue is not None:
            schedule.schedule(built.queue)
        return counts
