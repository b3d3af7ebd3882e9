"""One app per NLU backend for the whole test session, a local media server for WhatsApp photos, and a
clean database and Redis before every scenario.

Backends: "rasa" (the session's real Rasa server from tests/conftest.py, with a timeout long enough
that a busy machine does not silently fall back) and "fallback" (no RASA_URL: nlu/client.py answers
with the in-process matcher).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from bot.models import Base
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

JPEG = b"\xff\xd8\xff\xe0" + b"scenario photo" * 200


class MediaServer:
    """Serves a small JPEG at any path (Twilio's MediaUrl stand-in); records the paths asked for."""

    def __init__(self):
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(JPEG)))
                self.end_headers()
                self.wfile.write(JPEG)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def scenario_media():
    with MediaServer() as server:
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

    yield get
    if built:  # leave the database and Redis as empty as the per-test fixtures do
        next(iter(built.values())).empty()
    for line in built.values():
        line.services.close()
