"""Fixtures for the scale-out tests: a real PgBouncer (transaction pooling) in front of the test
PostgreSQL, and the second Rasa server's early start (the Sentinel group is in test_sentinel.py)."""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from localservers.pgbouncer import PgBouncerServer


@pytest.fixture(scope="session")
def pgbouncer(postgres):
    """PgBouncer in transaction mode with a server pool (3) smaller than the app's (5 + 10 overflow), so
    concurrent transactions of one app connection land on different server connections."""
    url = make_url(postgres)
    with PgBouncerServer(url.host, url.port, pool_size=3) as bouncer:
        yield bouncer


@pytest.fixture
def pooled_url(pgbouncer, migrated):
    return pgbouncer.url(make_url(migrated).database)


def pytest_collection_finish(session):
    # Two real Rasa servers for test_rasa_replicas: the session's own, and a second one that loads its
    # model now, while the other tests run (40-90 s), not when its test starts.
    if any("test_rasa_replicas.py::test_one_of_two" in item.nodeid for item in session.items):
        from tests.scale.test_rasa_replicas import start_second_rasa_in_background

        start_second_rasa_in_background()


def pytest_sessionfinish(session):
    # A run that stops before that test (-x, Ctrl-C) must not leave the second server behind.
    import sys

    replicas = sys.modules.get("tests.scale.test_rasa_replicas")
    thread = replicas._second.get("thread") if replicas else None
    if thread is not None:
        thread.join(600)
        if replicas._second.get("server") is not None:
            replicas._second["server"].stop()
