"""The broadcast worker builds its services once and hands them to the drain jobs, which carry only a
broadcast id (bot/broadcasts/worker.py): a real RQ worker on the test Redis, sending through the stand-in."""
from __future__ import annotations

import pytest
from rq import Queue

from bot.broadcasts import create_broadcast, progress, send_broadcast
from bot.broadcasts.config import config_for
from bot.broadcasts.sending import drain
from bot.broadcasts.worker import run

TEXTS = {"en": "Gikomba market is closed on Monday."}


def test_drain_jobs_get_the_workers_services(bservices, people, standin, monkeypatch):
    for _ in range(5):
        people.contact()
    for name in ("DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)  # a job that built its own services could not connect
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    queue = Queue(config_for(bservices).queue, connection=bservices.redis)
    jobs = queue.get_jobs()
    assert jobs and all(j.func_name == "bot.broadcasts.sending.drain" and j.args == (bid,) for j in jobs)
    run(burst=True, services=bservices)
    p = progress(bservices, bid)
    assert (p["state"], p["counts"]["sent"]) == ("done", 5), p
    assert len(standin.messages) == 5
    assert bservices.redis.ping()  # the caller's services stay open


def test_a_drain_job_outside_a_worker_says_where_it_belongs(bservices):
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    with pytest.raises(RuntimeError, match="BroadcastWorker"):
        drain(bid)

