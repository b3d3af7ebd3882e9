"""The broadcast worker process (`python -m bot.cli broadcast worker`).

It builds the services once, at start, with bot.services.build_services (no NLU: a broadcast never reads
a worker's words), and hands them to every job it performs; jobs on the broadcasts queue carry only a
broadcast id. This is RQ's custom-worker pattern: what is costly (the engine, Redis, the catalog, the
provider client) is set up once per process, not per job and not behind a module global."""
from __future__ import annotations

import logging
from rq.worker import SimpleWorker

from bot.broadcasts.context import bound

log = logging.getLogger(__name__)

class BroadcastWorker(SimpleWorker):
    """An RQ SimpleWorker (no fork per job: connections, clients and the send thread pool are reused)
    whose jobs find the worker's services with current_services()."""

    def __init__(self, queues, services, **kwargs):
        super().__init__(queues, connection=services.redis, **kwargs)
        self.services = services

    def perform_job(self, *args, **kwargs):
        with bound(self.services):
            return super().perform_job(*args, **kwargs)


def run(*, burst: bool = False, services=None) -> None:
    """Work the broadcasts queue until stopped (burst: until it is empty), with the sweeper running
    beside it. Services given by the caller stay the caller's to close."""
    from bot.broadcasts import sweeper
    from bot.broadcasts.config import config_for
    from bot.services import build_services

    own = services is None
    services = services or build_services(nlu=False)
    try:
        if services.redis is None:
            raise SystemExit("REDIS_URL is required for the broadcast worker")
        if not burst:
            sweeper.start(services)  # broadcasts whose jobs were all lost get them back
        BroadcastWorker([config_for(services).queue], services).work(burst=burst, with_scheduler=False)
    finally:
        if own:
            services.close()
