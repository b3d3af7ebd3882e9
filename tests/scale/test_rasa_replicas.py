"""Several Rasa servers behind one RASA_URL list: round robin, a breaker per server, and a server killed
during traffic whose messages the others answer. First against local stand-ins, then two real Rasa
servers on the trained model (the session's, plus one started for this module while other tests run)."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from nlu.client import NluClient
from nlu.server import free_port
from tests.nlu.conftest import fake_rasa, gazetteer, matcher  # noqa: F401  (fixtures)

TEXTS = ("is gikomba open tomorrow", "soko la toi liko wazi kesho", "when is the next food distribution",
         "police took my goods at gikomba", "how do i register as a vendor")


def test_messages_go_round_robin_over_every_server(fake_rasa, matcher):
    fakes = [fake_rasa(model_id="m1") for _ in range(3)]
    client = NluClient(",".join(f.url for f in fakes) + ",", token="T", timeout=0.5, fallback=matcher)
    try:
        results = [client.parse(f"is gikomba open {n}") for n in range(30)]
    finally:
        client.close()
    assert {r.source for r in results} == {"rasa"}
    assert [f.parse_calls() for f in fakes] == [10, 10, 10]
    assert [b.parsed for b in client.backends] == [10, 10, 10]


def test_a_dead_server_opens_its_own_breaker_and_the_others_answer(fake_rasa, matcher):
    alive = fake_rasa(model_id="m1")
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: refused at once, like a killed server
    client = NluClient(f"{alive.url},{dead}", token="T", timeout=0.5, fallback=matcher, breaker_failures=3)
    try:
        results = [client.parse(f"is gikomba open {n}") for n in range(20)]
        health = client.health()
    finally:
        client.close()
    assert {r.source for r in results} == {"rasa"}, "a message went to the fallback while a server was up"
    assert alive.parse_calls() == 20
    assert [b.breaker.state for b in client.backends] == ["closed", "open"]
    assert health["status"] == "ok" and [s["status"] for s in health["servers"]] == ["ok", "down"]


def test_a_slow_server_is_not_retried_elsewhere_past_half_the_timeout(fake_rasa, matcher):
    slow, fast = fake_rasa(mode="slow", delay=2.0), fake_rasa()
    client = NluClient(f"{slow.url},{fast.url}", token="T", timeout=0.4, fallback=matcher, breaker_failures=5)
    try:
        started = time.monotonic()
        first = client.parse("is gikomba open tomorrow")  # the slow one's turn: times out, falls back
        took = time.monotonic() - started
        second = client.parse("is gikomba open tomorrow")
    finally:
        client.close()
    assert first.source == "fallback" and took < 1.0 and fast.parse_calls() == 1  # second only
    assert second.source == "rasa"


# ---------------------------------------------------------------------------- two real Rasa servers
_second: dict = {}


def _boot_second_rasa() -> None:
    from nlu.server import start_rasa
    from nlu.train import model_path
    from tests.conftest import RASA_START_TIMEOUT, RASA_TOKEN

    try:
        _second["server"] = start_rasa(model_path(), token=RASA_TOKEN, timeout=RASA_START_TIMEOUT)
    except Exception as exc:
        _second["error"] = exc


def start_second_rasa_in_background() -> threading.Thread:
    """Called by tests/scale/conftest.py when this test is collected: the model loads (40-90 s) while
    other tests run, like the session's own Rasa server."""
    thread = threading.Thread(target=_boot_second_rasa, name="rasa-boot-2", daemon=True)
    thread.start()
    _second["thread"] = thread
    return thread


@pytest.fixture(scope="module")
def second_rasa():
    thread = _second.get("thread") or start_second_rasa_in_background()
    thread.join()
    if "error" in _second:
        pytest.fail(f"second Rasa server could not start: {_second['error']}", pytrace=False)
    yield _second["server"]
    _second["server"].stop()


@pytest.mark.slow
@pytest.mark.rasa
@pytest.mark.timeout(600)
def test_one_of_two_real_rasa_servers_killed_during_traffic(rasa_server, second_rasa, make_settings, db, redis):
    from bot.orgs import sync_organizations
    from bot.services import build_services
    from tests.conftest import Phone
    from webhooks import create_app

    services = build_services(make_settings(rasa_url=f"{rasa_server.url},{second_rasa.url}",
                                            rasa_token=rasa_server.token, nlu_cache_ttl=0, nlu_timeout=5.0))
    try:
        sync_organizations(services)
        nlu = services.nlu
        sources: list[tuple[float, str]] = []
        stop = threading.Event()

        def traffic(n: int) -> None:
            i = n
            while not stop.is_set():
                result = nlu.parse(TEXTS[i % len(TEXTS)], org="nairobi-vendors")
                sources.append((time.monotonic(), result.source))
                i += 1

        threads = [threading.Thread(target=traffic, args=(n,)) for n in range(3)]
        [t.start() for t in threads]
        time.sleep(3.0)
        both = [b.parsed for b in nlu.backends]
        second_rasa.process.kill()  # the machine lost: no goodbye
        killed_at = time.monotonic()
        time.sleep(4.0)
        stop.set()
        [t.join(30) for t in threads]

        assert all(both), f"round robin left a server unused: {both}"
        after = Counter(source for at, source in sources if at > killed_at)
        assert after["rasa"] > 10 and set(after) == {"rasa"}, after
        assert nlu.backends[1].breaker.state == "open" and nlu.backends[0].breaker.state == "closed"

        phone = Phone(create_app(services=services).test_client(), "+254711900001")
        assert phone.send("is gikomba open tomorrow")  # the line answers through the survivor
        assert nlu.health()["status"] == "ok"
    finally:
        services.close()
