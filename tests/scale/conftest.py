"""Fixtures for the scale-out tests: a real PgBouncer (transaction pooling) in front of the test
PostgreSQL, a Redis primary with a replica watched by real Sentinels, and services built on them."""
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
