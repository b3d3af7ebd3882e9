"""Redis through real Sentinels (REDIS_SENTINELS): a primary with a replica and three Sentinels. Signed
webhooks keep coming from several phones while the primary is killed; Sentinel promotes the replica and
the line goes on with it (sessions, locks, RQ), every inbound message stored, none lost."""
from __future__ import annotations

import threading
import time

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from bot.models import InboundMessage, Report
from bot.orgs import sync_organizations
from bot.services import build_services
from localservers.sentinel import RedisSentinelGroup
from tests.conftest import Phone, replies

pytestmark = pytest.mark.slow


@pytest.fixture
def sentinels():
    with RedisSentinelGroup(service="streetline-test") as group:
        yield group


@pytest.fixture
def sentinel_services(make_settings, db, sentinels):
    built = build_services(make_settings(redis_url=None, redis_sentinels=sentinels.addresses,
                                         redis_sentinel_service=sentinels.service))
    sync_organizations(built)
    yield built
    built.close()


def test_settings_read_the_sentinel_list():
    from bot.settings import Settings, SettingsError

    settings = Settings.from_env({"REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26380",
                                  "REDIS_SENTINEL_SERVICE": "line"})
    assert settings.redis_sentinels == ("10.0.0.1:26379", "10.0.0.2:26380")
    assert settings.redis_sentinel_service == "line"
    with pytest.raises(SettingsError) as refused:  # production: Sentinels stand for REDIS_URL
        Settings.from_env({"STREETLINE_ENV": "production", "REDIS_SENTINELS": "10.0.0.1:26379"})
    assert "REDIS_URL" not in str(refused.value) and "TWILIO_ACCOUNT_SID" in str(refused.value)


def test_a_primary_failover_during_traffic_loses_no_message(sentinel_services, sentinels):
    from webhooks import create_app

    services = sentinel_services
    app = create_app(services=services)
    old = sentinels.primary_port()
    assert services.redis.connection_pool.get_master_address() == ("127.0.0.1", old)
    stop = threading.Event()
    sent: list[tuple[str, float, int, str]] = []  # (MessageSid, when, HTTP status, reply)
    lock = threading.Lock()

    def traffic(n: int) -> None:
        phone = Phone(app.test_client(), f"+2547118{n:05d}")
        bodies = ("hi", "1", "MORE", "0")
        i = 0
        while not stop.is_set():
            form = phone.form(bodies[i % len(bodies)])
            response = phone.post(form)
            with lock:
                sent.append((form["MessageSid"], time.monotonic(), response.status_code,
                             "\n".join(replies(response.get_data(as_text=True)))))
            i += 1
            time.sleep(0.02)

    phones = [threading.Thread(target=traffic, args=(n,)) for n in range(4)]
    [p.start() for p in phones]
    time.sleep(1.0)
    killed_at = time.monotonic()
    sentinels.server_on(old).kill()
    new = sentinels.wait_failover(old)
    promoted_at = time.monotonic()
    # Traffic goes on until enough answers came after the promotion (a loaded machine is slower).
    deadline = promoted_at + 20
    while time.monotonic() < deadline:
        time.sleep(0.2)
        with lock:
            if sum(1 for _, at, _, _ in sent if at > promoted_at + 0.5) > 40:
                break
    stop.set()
    [p.join(30) for p in phones]

    assert new != old and promoted_at - killed_at < 15
    assert {status for _, _, status, _ in sent} == {200}, "a webhook failed during the failover"
    after = [reply for _, at, _, reply in sent if at > promoted_at + 0.5]
    assert len(after) > 20 and all(after), "no answers after the replica took over"
    with services.engine.connect() as conn:
        stored = set(conn.execute(select(InboundMessage.provider_sid)).scalars())
    assert {sid for sid, *_ in sent} <= stored and len(sent) > 80

    # The new primary holds what the line writes now: a form's session, and an RQ job a worker runs.
    assert services.redis.connection_pool.get_master_address() == ("127.0.0.1", new)
    worker = Phone(app.test_client(), "+254711899999")
    for body in ("4", "2", "County askaris took my cart", "Gikomba market", "yesterday"):
        worker.send(body)
    worker.send("no")
    assert worker.send("2").startswith("Report R-")
    with services.engine.connect() as conn:
        assert conn.execute(select(Report.reference)).scalars().all()
    job = services.queue.enqueue("builtins.len", [1, 2, 3])
    SimpleWorker([services.queue], connection=services.redis).work(burst=True)
    assert job.return_value() == 3
