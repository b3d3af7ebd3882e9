"""Shared fixtures: real PostgreSQL and Redis servers for the session, a migrated database
cleaned per test, the app built on them, a `phone` that sends Twilio-signed webhooks, and the
real Rasa server (one per test session, shared by tests/nlu and tests/conversations)."""
from __future__ import annotations

import itertools
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis as redis_lib
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bot.models import Base
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.settings import ROOT, Settings
from localservers import PostgresServer, RedisServer
from localservers.media import JPEG, MediaServer

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://streetline.example.org"
NAIROBI = "+254709990001"
MEDIA_ACCOUNT = "AC" + "7" * 32  # the account whose credentials the local media host demands
MEDIA_FILES = {"/ME1": ("image/jpeg", JPEG), "/ME2": ("text/html", b"<html>"),
               "/ME3": ("video/mp4", b"\0" * 8192), "/ME4": ("audio/ogg", b"OggS" + b"\0" * 100)}


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(scope="session")
def postgres():
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with PostgresServer(database="streetline_test") as server:
        yield server.url


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    with RedisServer() as server:
        yield server.url.rsplit("/", 1)[0] + "/1"


# The model loads in 40-90 s on a quiet machine; it now loads while other tests run, so allow more.
RASA_START_TIMEOUT = float(os.environ.get("RASA_START_TIMEOUT", "420"))
RASA_TOKEN = "test-rasa-token"


@dataclass(frozen=True)
class RasaEndpoint:
    url: str
    token: str


class _RasaBoot(threading.Thread):
    """Loads the Rasa server in the background (40-90 s), so the tests that run first (the fallback
    half of tests/conversations, everything else in `make test`) overlap with the model loading."""

    def __init__(self):
        super().__init__(name="rasa-boot", daemon=True)
        self.server = None
        self.error: Exception | None = None

    def run(self) -> None:
        from nlu.server import start_rasa
        from nlu.train import model_path

        try:
            self.server = start_rasa(model_path(), token=RASA_TOKEN, timeout=RASA_START_TIMEOUT)
        except Exception as exc:  # reported by the fixture, as a failure of the tests that need Rasa
            self.error = exc


_rasa_boot: _RasaBoot | None = None


def pytest_collection_finish(session):
    global _rasa_boot
    if any(item.get_closest_marker("rasa") for item in session.items):
        _rasa_boot = _RasaBoot()
        _rasa_boot.start()


def pytest_sessionfinish(session):
    # A run that ends before any Rasa test (-x, Ctrl-C) must not leave the server behind.
    if _rasa_boot is not None:
        _rasa_boot.join(RASA_START_TIMEOUT)
        if _rasa_boot.server is not None:
            _rasa_boot.server.stop()


@pytest.fixture(scope="session")
def rasa_server():
    """`.venv-nlu/bin/rasa run --enable-api -m <model for the current data> --auth-token T` on a free
    port, started in the background as soon as the collection holds a `rasa` test. FAILS (never skips)
    when the NLU venv or the model is missing: CI runs `make nlu-env nlu-train` first. Tests using it
    carry `@pytest.mark.rasa` and a long timeout (the server needs 40-90 s to load the model)."""
    global _rasa_boot
    if _rasa_boot is None:  # requested without the marker: start it now
        _rasa_boot = _RasaBoot()
        _rasa_boot.start()
    _rasa_boot.join()
    if _rasa_boot.error is not None:
        pytest.fail(f"Rasa server for the NLU tests could not start: {_rasa_boot.error}\n"
                    "Build and train first: make nlu-env nlu-train", pytrace=False)
    yield RasaEndpoint(_rasa_boot.server.url, RASA_TOKEN)
    # stopped in pytest_sessionfinish (a session fixture's teardown comes just before it)


@pytest.fixture(scope="session")
def migrated(postgres):
    command.upgrade(alembic_config(postgres), "heads")
    return postgres


@pytest.fixture
def tmp_var(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def make_settings(migrated, redis_url, tmp_var):
    def make(**overrides) -> Settings:
        base = Settings(
            env="test",
            database_url=migrated,
            redis_url=redis_url,
            twilio_auth_token=AUTH_TOKEN,
            public_base_url=PUBLIC_BASE_URL,
            spool_dir=tmp_var / "spool",
            outbox_path=tmp_var / "outbox.jsonl",
            media_dir=tmp_var / "media",
        )
        return base.with_(**overrides)

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def db(migrated):
    """The migrated test database, emptied after each test."""
    engine = create_engine(migrated)
    yield engine
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def redis(redis_url):
    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def services(settings, db, redis):
    built = build_services(settings)
    sync_organizations(built)
    yield built
    built.close()


@pytest.fixture
def app(services):
    from webhooks import create_app

    return create_app(services=services)


@pytest.fixture
def client(app):
    return app.test_client()


_sids = itertools.count(1)


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


@dataclass
class Phone:
    """A worker's phone: sends signed Twilio webhooks to the app and reads the TwiML reply."""

    client: object
    number: str
    channel: str = "sms"
    to: str = NAIROBI
    token: str = AUTH_TOKEN
    last: object = None
    sent: list = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"whatsapp:{self.number}" if self.channel == "whatsapp" else self.number

    def form(self, body: str = "", **extra) -> dict:
        to = f"whatsapp:{self.to}" if self.channel == "whatsapp" else self.to
        # The app's own account when it has one: the webhook refuses another AccountSid.
        app = getattr(self.client, "application", None)
        account = app.extensions["streetline"].settings.twilio_account_sid if app else None
        form = {
            "MessageSid": new_sid(),
            "AccountSid": account or "AC" + "0" * 32,
            "From": self.address,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        if self.channel == "whatsapp":
            form["WaId"] = self.number.lstrip("+")
            form.setdefault("ProfileName", "Test Worker")
        form.update({k: str(v) for k, v in extra.items()})
        return form

    def post(self, form: dict, path: str = "/webhooks/twilio/messages", signature: str | None = None):
        url = PUBLIC_BASE_URL + path
        headers = {"X-Twilio-Signature": signature if signature is not None else sign(url, form, self.token)}
        self.last = self.client.post(path, data=form, headers=headers)
        self.sent.append(form)
        return self.last

    def send(self, body: str = "", **extra) -> str:
        response = self.post(self.form(body, **extra))
        assert response.status_code == 200, response.data
        return "\n".join(replies(response.get_data(as_text=True)))


def replies(twiml: str) -> list[str]:
    import html

    return [html.unescape(m) for m in re.findall(r"<Message>(.*?)</Message>", twiml, re.S)]


@pytest.fixture
def phone(client):
    def make(number: str = "+254711000001", channel: str = "sms", to: str = NAIROBI) -> Phone:
        return Phone(client, number, channel, to)

    return make


def media_host() -> MediaServer:
    """Twilio's media host, locally: serves /ME1-/ME4 only with the account's Basic auth."""
    return MediaServer(MEDIA_FILES, default=None, auth=(MEDIA_ACCOUNT, AUTH_TOKEN))


@pytest.fixture
def media_server():
    with media_host() as server:
        yield server


@pytest.fixture
def make_live(make_settings, db, redis, tmp_path, media_server):
    """Services (and their app) whose allowed media host is the local one, with RQ jobs bound to them."""
    from bot import tasks
    from webhooks import create_app

    built = []

    def make(**overrides):
        services = build_services(make_settings(twilio_account_sid=MEDIA_ACCOUNT,
                                                twilio_api_base_url="http://127.0.0.1:9", media_dir=tmp_path / "media",
                                                media_allowed_hosts=(media_server.host,), **overrides))
        sync_organizations(services)
        tasks.use_services(services)
        built.append(services)
        return services, create_app(services=services)

    yield make
    tasks.use_services(None)
    for services in built:
        services.close()


STANDIN_ACCOUNT = "AC" + "5" * 32  # the account the Twilio stand-in and its services share


@pytest.fixture
def twilio():
    """The local stand-in of Twilio's Messages API (standin/), for one test."""
    from standin.twilio_api import TwilioStandin

    with TwilioStandin(account_sid=STANDIN_ACCOUNT, auth_token=AUTH_TOKEN, callback_delay=0.0) as standin:
        yield standin


@pytest.fixture
def sending(make_settings, db, redis, twilio):
    """Services whose sender is twilio-python's real Client pointed at the stand-in, and their app."""
    from webhooks import create_app

    services = build_services(make_settings(twilio_account_sid=STANDIN_ACCOUNT, twilio_api_base_url=twilio.base_url,
                                            twilio_http_timeout=5.0))
    sync_organizations(services)
    yield services, create_app(services=services)
    services.close()
