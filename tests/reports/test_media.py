"""Report attachments: downloaded by an RQ job (SimpleWorker, burst, on the test Redis) from a local
media server that demands HTTP Basic auth, with type and size limits, retries, and the CLI for
downloads recorded while the queue was down."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rq import SimpleWorker

from bot import tasks
from bot.line.media import run_pending
from bot.models import ReportMedia
from bot.orgs import sync_organizations
from bot.services import build_services
from tests.conftest import AUTH_TOKEN, Phone
from tests.reports.helpers import rows
from webhooks import create_app

SID = "AC" + "7" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 500


class MediaServer:
    """Serves /ME<n>; 401 without the right Basic auth; can fail the next requests with 503."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        self.files = {"/ME1": ("image/jpeg", JPEG), "/ME2": ("text/html", b"<html>"),
                      "/ME3": ("video/mp4", b"\0" * 8192), "/ME4": ("audio/ogg", b"OggS" + b"\0" * 100)}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization")})
                expected = "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._send(401, "text/plain", b"auth")
                if outer.fail_next:
                    outer.fail_next -= 1
                    return self._send(503, "text/plain", b"busy")
                if self.path not in outer.files:
                    return self._send(404, "text/plain", b"gone")
                self._send(200, *outer.files[self.path])

            def _send(self, code, ctype, body):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def media_server():
    with MediaServer() as server:
        yield server


@pytest.fixture
def live(make_settings, db, redis, tmp_path, media_server):
    host = media_server.url.removeprefix("http://")  # the local media server is an allowed media host
    services = build_services(make_settings(twilio_account_sid=SID, twilio_api_base_url="http://127.0.0.1:9",
                                            media_dir=tmp_path / "media", media_max_bytes=4000,
                                            media_allowed_hosts=(host,)))
    sync_organizations(services)
    tasks.use_services(services)
    yield services, create_app(services=services).test_client()
    tasks.use_services(None)
    services.close()


def whatsapp_report(client, number, *media):
    worker = Phone(client, number, "whatsapp")
    worker.send("police took my goods at gikomba this morning")
    form = {"NumMedia": len(media)}
    for i, (url, ctype) in enumerate(media):
        form[f"MediaUrl{i}"], form[f"MediaContentType{i}"] = url, ctype
    worker.send("", **form)
    return worker.send("1")


def burst(services):
    SimpleWorker([services.queue], connection=services.redis).work(burst=True)


def test_photo_is_downloaded_with_basic_auth_by_the_rq_job(live, media_server):
    services, client = live
    reply = whatsapp_report(client, "+254711800001", (media_server.url + "/ME1", "image/jpeg"),
                            (media_server.url + "/ME4", "audio/ogg"))
    assert reply.startswith("Report")  # the conversation never waits for the download
    assert {m.status for m in rows(services, ReportMedia)} == {"queued"}
    burst(services)
    photo, voice = rows(services, ReportMedia)
    assert (photo.status, photo.size, photo.content_type) == ("stored", len(JPEG), "image/jpeg")
    assert Path(photo.path).read_bytes() == JPEG and Path(photo.path).is_relative_to(
        services.settings.media_dir)
    assert voice.status == "stored" and voice.path.endswith(".ogg")
    assert all(r["auth"].startswith("Basic ") for r in media_server.requests)


def test_wrong_type_and_too_big_are_rejected(live, media_server):
    services, client = live
    whatsapp_report(client, "+254711800002", (media_server.url + "/ME2", "image/jpeg"),
                    (media_server.url + "/ME3", "video/mp4"), (media_server.url + "/ME5", "application/zip"))
    burst(services)
    html, video, zipped = rows(services, ReportMedia)
    assert (html.status, video.status, zipped.status) == ("rejected", "rejected", "rejected")
    assert "text/html" in html.error and "8192" in video.error and html.path is None


def test_a_failed_download_is_retried(live, media_server, monkeypatch):
    services, client = live
    monkeypatch.setattr("bot.line.media.RETRY_INTERVALS", (0, 0, 0))
    media_server.fail_next = 2
    whatsapp_report(client, "+254711800003", (media_server.url + "/ME1", "image/jpeg"))
    for _ in range(3):  # each retry is scheduled again on the queue
        burst(services)
        [media] = rows(services, ReportMedia)
        if media.status == "stored":
            break
    assert media.status == "stored" and media.attempts == 3
    assert len(media_server.requests) == 3


def test_without_a_queue_downloads_wait_for_the_cli(live, media_server, monkeypatch):
    services, client = live
    queue = services.queue
    services.queue = None
    whatsapp_report(client, "+254711800004", (media_server.url + "/ME1", "image/jpeg"))
    [media] = rows(services, ReportMedia)
    assert media.status == "pending"
    services.queue = queue

    from bot import cli
    monkeypatch.setattr(cli, "_services", lambda: services)
    monkeypatch.setattr(services, "close", lambda: None)
    result = CliRunner().invoke(cli.cli, ["media-pending"])
    assert result.exit_code == 0, result.output
    assert "1 stored" in result.output
    [media] = rows(services, ReportMedia)
    assert media.status == "stored"
    assert run_pending(services) == {}
