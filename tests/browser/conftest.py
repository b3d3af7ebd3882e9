"""Browser tests: Playwright driving Debian's Chromium against the whole product running for real.

`live` starts, per test: the Flask app on a werkzeug threaded server on a free port (PUBLIC_BASE_URL is
that address, so Twilio signatures check out), the local Twilio Messages API stand-in (it posts signed
status callbacks back to the app), and the two worker processes of the Procfile (`rq worker` for media
downloads and `bot.cli broadcast worker` for broadcasts), all on the test session's PostgreSQL and Redis.
Screenshots of every page go to artifacts/screenshots/ (kept by CI as test artifacts)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from bot.desk.accounts import create_user
from bot.orgs import sync_organizations
from bot.services import build_services
from standin.twilio_api import TwilioStandin
from tests.conftest import AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
ACCOUNT = "AC" + "2" * 32
PASSWORD = "correct horse battery"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.browser


class InFlight:
    """The app, counting the requests being answered, so the fixture can wait for them before closing the
    services: a page's script may still be polling when the test ends, and an engine disposed while a
    request holds one of its connections leaves that connection open until the garbage collector finds
    it, as a ResourceWarning in whichever later test is running then."""

    def __init__(self, app):
        self.app, self.busy, self.idle = app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.busy += 1
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]  # answered (and its teardown run, by close) inside the count
            finally:
                getattr(body, "close", lambda: None)()
        finally:
            with self.idle:
                self.busy -= 1
                self.idle.notify_all()

    def wait(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.busy == 0, timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "BROADCAST_"))}
    env.update(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
               TWILIO_ACCOUNT_SID=settings.twilio_account_sid, TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
               TWILIO_API_BASE_URL=settings.twilio_api_base_url, PUBLIC_BASE_URL=settings.public_base_url,
               OUTBOX_PATH=str(settings.outbox_path), MEDIA_DIR=str(settings.media_dir),
               SPOOL_DIR=str(settings.spool_dir), STREETLINE_ENV="test",
               BROADCAST_RATE="50", BROADCAST_RATE_UNIT="messages", BROADCAST_DRAINERS="1",
               BROADCAST_BATCH_SECONDS="0.1", BROADCAST_BACKOFF_BASE="0.05", BROADCAST_BACKOFF_MAX="0.5",
               PYTHONPATH=str(ROOT))
    return env


class Live:
    def __init__(self, url, services, standin):
        self.url, self.services, self.standin = url, services, standin

    def user(self, org="nairobi-vendors", role="admin", email=None):
        return create_user(self.services, org, email or f"{role}@{org}.example.org", f"{role.title()} Test",
                           PASSWORD, role)


@pytest.fixture
def live(make_settings, db, redis, tmp_var):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with TwilioStandin(ACCOUNT, AUTH_TOKEN, callback_delay=0.3) as standin:
        settings = make_settings(public_base_url=url, twilio_account_sid=ACCOUNT,
                                 twilio_api_base_url=standin.base_url, twilio_http_timeout=5.0,
                                 media_dir=tmp_var / "media")
        services = build_services(settings)
        sync_organizations(services)
        from webhooks import create_app

        app = InFlight(create_app(services=services))
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        env = _env(settings)
        logs = tmp_var / "workers.log"
        with open(logs, "ab") as log:
            workers = [
                subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--url", settings.redis_url,
                                  "--with-scheduler", "default"], env=env, cwd=ROOT, stdout=log, stderr=log),
                subprocess.Popen([sys.executable, "-m", "bot.cli", "broadcast", "worker"], env=env, cwd=ROOT,
                                 stdout=log, stderr=log),
            ]
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if requests.get(url + "/login", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
            yield Live(url, services, standin)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
            server.shutdown()
            server.server_close()
            assert app.wait(10), "requests still being answered 10 s after the test"
            services.close()


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM:
        pytest.fail("Chromium is not installed: `make test` installs it as root, else run scripts/system-deps.sh as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Page:
    """A Playwright page on a phone-sized screen that keeps a screenshot of each step."""

    def __init__(self, page, live, name):
        self.page, self.live, self.name, self.step = page, live, name, 0
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))

    def go(self, path: str):
        response = self.page.goto(self.live.url + path)
        assert response is not None and response.status < 400, f"{path}: HTTP {response and response.status}"
        return response

    def shot(self, label: str) -> Path:
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.name}-{self.step:02d}-{label}.png"
        self.page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-page in a full shot
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, email: str, password: str = PASSWORD):
        self.go("/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda u: "/login" not in u)


@pytest.fixture
def make_page(chromium, live, request):
    contexts = []

    def make(width=360, height=780, name=None):
        context = chromium.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        return Page(context.new_page(), live, name or request.node.name)

    yield make
    for context in contexts:
        context.close()
