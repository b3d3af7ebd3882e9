"""One app per NLU backend for the whole test session, a local media server for WhatsApp photos, and a
clean database and Redis before every scenario.

Backends: "rasa" (the session's real Rasa server from tests/conftest.py, with a timeout long enough
that a busy machine does not silently fall back) and "fallback" (no RASA_URL: nlu/client.py answers
with the in-process matcher).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from bot.models import Base
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.settings import Settings
from localservers.media import JPEG, MediaServer
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

@pytest.fixture(scope="session")
def scenario_media():
    with MediaServer(default=JPEG) as server:  # a small JPEG at any path: Twilio's MediaUrl stand-in
        yield server


KEPT = ("organizations", "organization_numbers")  # written once per session by sync_organizations


@dataclass
class Line:
    """The app on one backend: its services and a Flask test client."""

    backend: str
    services: object
    client: object

    def reset(self) -> None:
        """An empty database but for the organizations (as sync_organizations leaves them) and an empty
        Redis, without building a new app per scenario. DELETE, children first: on these few rows it
        takes a few milliseconds where TRUNCATE of every table takes half a second."""
        self.services.redis.flushdb()
        with self.services.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in KEPT:
                    conn.execute(table.delete())
            synced = conn.execute(text("SELECT count(*) FROM organization_numbers")).scalar()
        if not synced:  # first scenario, or another test module emptied the database since
            sync_organizations(self.services)

    def empty(self) -> None:
        """Everything gone, as the `db` fixture leaves the database for the next test module."""
        self.services.redis.flushdb()
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with self.services.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def lines(migrated, redis_url, tmp_path_factory, scenario_media):
    """(backend, rasa endpoint or None) -> Line, built on first use and kept for the session."""
    from webhooks import create_app

    built: dict[str, Line] = {}

    def get(backend: str, rasa=None) -> Line:
        if backend not in built:
            tmp = tmp_path_factory.mktemp(f"conversations-{backend}")
            nlu: dict = {}
            if backend == "rasa":
                nlu = dict(rasa_url=rasa.url, rasa_token=rasa.token, nlu_timeout=20.0)
            media_host = scenario_media.url.split("//", 1)[1]  # the photos' host:port is allowed
            settings = Settings(env="test", database_url=migrated, redis_url=redis_url,
                                twilio_auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL,
                                spool_dir=tmp / "spool", outbox_path=tmp / "outbox.jsonl",
                                media_dir=tmp / "media", media_allowed_hosts=(media_host,), **nlu)
            services = build_services(settings)
            built[backend] = Line(backend, services, create_app(services=services).test_client())
        return built[backend]

    get.built = built
    yield get
    for line in built.values():
        line.services.close()


@pytest.fixture(scope="module", autouse=True)
def empty_after_module(lines):
    """The lines outlive a module; what a module's scenarios wrote does not (the next test module
    finds the database and Redis as empty as the per-test fixtures leave them)."""
    yield
    if lines.built:
        next(iter(lines.built.values())).empty()
