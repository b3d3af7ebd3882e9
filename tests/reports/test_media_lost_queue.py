"""Media downloads queued in a Redis that was then lost (issue 12 item 6): the rows say "queued" but
no job exists any more. The worker's sweep and `media-pending` pick them up once they are stale."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rq import SimpleWorker
from sqlalchemy import update

from bot import tasks
from bot.models import ReportMedia, utcnow
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.worker import sweep_media
from localservers import RedisServer
from tests.reports.helpers import rows
from localservers.media import JPEG
from tests.conftest import MEDIA_ACCOUNT as SID, media_host
from tests.reports.test_media import whatsapp_report
from webhooks import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def lost_queue(make_settings, db, tmp_path):
    """A report whose photo was queued in a Redis that then died and came back empty."""
    with media_host() as media_server, RedisServer() as redis_server:
        host = media_server.url.removeprefix("http://")
        services = build_services(make_settings(
            redis_url=redis_server.url, twilio_account_sid=SID, twilio_api_base_url="http://127.0.0.1:9",
            media_dir=tmp_path / "media", media_allowed_hosts=(host,)))
        sync_organizations(services)
        tasks.use_services(services)
        whatsapp_report(create_app(services=services).test_client(), "+254711900001",
                        (media_server.url + "/ME1", "image/jpeg"))
        assert services.queue.count == 1 and [m.status for m in rows(services, ReportMedia)] == ["queued"]
        redis_server.stop()  # the job goes with it
        redis_server.start()
        assert services.queue.count == 0
        try:
            yield services, media_server
        finally:
            tasks.use_services(None)
            services.close()


def age(services, minutes: int) -> None:
    with services.engine.begin() as conn:
        conn.execute(update(ReportMedia).values(updated_at=utcnow() - timedelta(minutes=minutes)))


def test_the_worker_sweep_queues_a_lost_download_again(lost_queue):
    services, media_server = lost_queue
    assert sweep_media(services) == 0  # just queued: its job may still be on its way
    age(services, 15)

    assert sweep_media(services) == 1
    SimpleWorker([services.queue], connection=services.redis).work(burst=True)
    [media] = rows(services, ReportMedia)
    assert media.status == "stored" and Path(media.path).read_bytes() == JPEG
    assert sweep_media(services) == 0


def test_media_pending_downloads_a_stale_queued_row(lost_queue):
    services, media_server = lost_queue
    age(services, 15)
    from bot.cli import cli
    result = CliRunner().invoke(cli, ["media-pending"], obj=services)

    assert result.exit_code == 0, result.output
    assert "1 stored" in result.output
    assert [m.status for m in rows(services, ReportMedia)] == ["stored"]
