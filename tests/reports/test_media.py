"""Report attachments: downloaded by an RQ job (SimpleWorker, burst, on the test Redis) from a local
media server that demands HTTP Basic auth, with type and size limits, retries, and the CLI for
downloads recorded while the queue was down."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rq import SimpleWorker

from bot.line.media import run_pending
from bot.models import ReportMedia
from localservers.media import JPEG
from tests.conftest import Phone
from tests.reports.helpers import rows

@pytest.fixture
def live(make_live):
    services, app = make_live(media_max_bytes=4000)
    return services, app.test_client()


def whatsapp_report(client, number, *media):
    worker = Phone(client, number, "whatsapp")
    worker.send("police took my goods at gikomba this morning")
    form = {"NumMedia": len(media)}
    for i, (url, ctype) in enumerate(media):
        form[f"MediaUrl{i}"], form[f"MediaContentType{i}"] = url, ctype
    worker.send("", **form)
    worker.send("1")
    return worker.send("2")


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


def test_without_a_queue_downloads_wait_for_the_cli(live, media_server):
    services, client = live
    queue = services.queue
    services.queue = None
    whatsapp_report(client, "+254711800004", (media_server.url + "/ME1", "image/jpeg"))
    [media] = rows(services, ReportMedia)
    assert media.status == "pending"
    services.queue = queue

    from bot.cli import cli
    result = CliRunner().invoke(cli, ["media-pending"], obj=services)
    assert result.exit_code == 0, result.output
    assert "1 stored" in result.output
    [media] = rows(services, ReportMedia)
    assert media.status == "stored"
    assert run_pending(services) == {}
