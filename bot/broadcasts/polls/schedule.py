"""The polls' clock (RQ job bot.tasks.polls_tick, every minute on RQ's scheduler, as the authorities'
hourly check): a scheduled poll is sent when its opens_at comes, an open poll closes at its closes_at, and
a closed poll's results go back to its respondents (bot/broadcasts/polls/results_back.py; also retried
here when closing by hand could not start them). `now` is injected so tests move the clock."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select

from bot.broadcasts.errors import BroadcastError
from bot.broadcasts.polls.results_back import send_results
from bot.broadcasts.polls.service import close_poll, send_poll
from bot.models import Poll, utcnow

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=1)


def tick(services, now: datetime | None = None, *, inline: bool = False) -> dict:
    now = now or utcnow()
    counts = {"opened": 0, "closed": 0, "results": 0}
    with services.db() as session:
        opening = session.scalars(select(Poll.id).where(
            Poll.state == "scheduled", or_(Poll.opens_at.is_(None), Poll.opens_at <= now))).all()
        closing = session.scalars(select(Poll.id).where(
            Poll.state.in_(("open", "scheduled")), Poll.closes_at <= now)).all()
    for pid in opening:
        if pid in closing:
            continue
        try:
            send_poll(services, pid, now=now, inline=inline)
            counts["opened"] += 1
        except BroadcastError as exc:
            log.warning("scheduled poll %s not sent: %s", pid, exc)
    for pid in closing:
        try:
            close_poll(services, pid, now=now, results_back=False)
            counts["closed"] += 1
        except BroadcastError:  # closed by hand meanwhile
            pass
    with services.db() as session:
        pending = session.scalars(select(Poll.id).where(Poll.state == "closed", Poll.results_sent_at.is_(None))).all()
    for pid in pending:
        try:
            if send_results(services, pid, now, inline=inline):
                counts["results"] += 1
        except Exception:  # noqa: BLE001 - one poll's trouble does not stop the others; next minute again
            log.exception("results of poll %s not sent back", pid)
    return counts


def schedule(queue, now: datetime | None = None):
    """Put the next tick on RQ's schedule; one job id per minute, so several workers starting (or the job
    scheduling its successor) leave one run."""
    now = (now or utcnow()).astimezone(timezone.utc)
    when = now.replace(second=0, microsecond=0) + EVERY
    return queue.enqueue_at(when, "bot.tasks.polls_tick", job_id=f"polls-{when:%Y%m%d%H%M}",
                            result_ttl=600, description="streetline polls: open, close, results back")
