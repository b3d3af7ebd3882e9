"""The services a broadcast job runs with: the BroadcastWorker (worker.py) binds its own, built once
per process, around every job it performs; jobs on the broadcasts queue carry only a broadcast id."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_services: ContextVar = ContextVar("broadcast_worker_services", default=None)


@contextmanager
def bound(services):
    """Jobs performed inside find `services` with current_services()."""
    token = _services.set(services)
    try:
        yield services
    finally:
        _services.reset(token)


def current_services():
    """The services of the BroadcastWorker performing the current job."""
    services = _services.get()
    if services is None:
        raise RuntimeError("broadcast jobs run in a BroadcastWorker (python -m bot.cli broadcast worker) "
                           "or are given services=")
    return services
