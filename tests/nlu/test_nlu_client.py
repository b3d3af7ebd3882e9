"""NluClient against local stand-ins that answer, are slow, fail with 500, drop connections or send garbage."""
from __future__ import annotations

import time

import pytest
import redis as redis_lib

from nlu.client import CircuitBreaker, NluClient
from nlu.server import free_port


def make_client(url, matcher=None, **kw) -> NluClient:
    kw.setdefault("timeout", 0.5)
    return NluClient(url, token="T", fallback=matcher, **kw)


@pytest.fixture
def clients():
    made: list[NluClient] = []

    def make(*a, **kw):
        c = make_client(*a, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_parse_through_rasa_with_token_and_place_ids(fake_rasa, clients, matcher):
    fake = fake_rasa(entities=[
        {"entity": "market", "start": 3, "end": 9, "value": "gikomb", "extractor": "DIETClassifier"},
        {"entity": "date", "start": 14, "end": 19, "value": "2moro", "extractor": "DIETClassifier"}])
    client = clients(fake.url, matcher)
    r = client.parse("is gikomb opn 2moro", org="nairobi-vendors")
    assert r.source == "rasa" and r.intent == "ask_market_status" and r.confidence == pytest.approx(0.93)
    assert r.ranking[0] == ("ask_market_status", pytest.approx(0.93))
    market, date = r.entities
    assert (market.type, market.value, market.place_id, market.text) == ("market", "nbo.gikomba", "nbo.gikomba",
                                                                         "gikomb")
    assert (date.type, date.value, date.place_id, date.start, date.end) == ("date", "tomorrow", None, 14, 19)
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert posts[0][1] == "/model/parse?token=T" and posts[0][2] == {"text": "is gikomb opn 2moro"}
    assert any(r[1] == "/status?token=T" for r in fake.requests)


def test_nlu_fallback_intent_uses_matcher_or_out_of_scope(fake_rasa, clients, matcher):
    fake = fake_rasa(intent="nlu_fallback", confidence=0.3)
    r = clients(fake.url, matcher).parse("polisi wamechukua bidhaa zangu")
    assert (r.source, r.intent) == ("rasa", "report_incident")
    r = clients(fake.url, None).parse("polisi wamechukua bidhaa zangu")
    assert (r.source, r.intent) == ("rasa", "out_of_scope")
    assert all(name != "nlu_fallback" for name, _ in r.ranking)


def test_slow_server_times_out_to_fallback(fake_rasa, clients, matcher):
    fake = fake_rasa(mode="slow", delay=3)
    client = clients(fake.url, matcher, timeout=0.3)
    t0 = time.monotonic()
    r = client.parse("is gikomba open today")
    assert time.monotonic() - t0 < 2.5  # the stand-in sleeps 3 s
    assert (r.source, r.intent) == ("fallback", "ask_market_status")


@pytest.mark.parametrize("mode", ["500", "drop", "garbage"])
def test_failures_fall_back_and_open_the_breaker(fake_rasa, clients, matcher, mode):
    fake = fake_rasa(model_id="m1")
    client = clients(fake.url, matcher, breaker_failures=3, breaker_cooldown=3.0)
    assert client.parse("hello").source == "rasa"  # learns the fingerprint while healthy
    fake.mode = mode
    for _ in range(3):
        r = client.parse("where is the food aid")
        assert (r.source, r.intent) == ("fallback", "ask_relief")
    assert client.breaker.state == "open"
    calls = len(fake.requests)
    for _ in range(20):
        assert client.parse("is toi open").source == "fallback"
    assert len(fake.requests) == calls, "an open breaker must not call Rasa"
    # after the cooldown one trial goes through; the server has recovered -> closed again
    fake.mode = "ok"
    client.breaker.opened_at -= 3.0  # fast-forward the cooldown
    assert client.breaker.state == "half-open"
    assert client.parse("is toi open").source == "rasa"
    assert client.breaker.state == "closed"


def test_failed_trial_reopens_the_breaker(fake_rasa, clients, matcher):
    fake = fake_rasa(mode="500")
    client = clients(fake.url, matcher, breaker_failures=2, breaker_cooldown=3.0)
    client.parse("a")
    client.parse("b")
    assert client.breaker.state == "open"
    client.breaker.opened_at -= 3.0  # fast-forward the cooldown
    before = len(fake.requests)
    assert client.parse("c").source == "fallback"
    assert len(fake.requests) == before + 1  # exactly one trial request
    assert client.breaker.state == "open"


def test_breaker_unit():
    now = [0.0]
    b = CircuitBreaker(failures=2, cooldown=10, clock=lambda: now[0])
    assert b.allow() and b.state == "closed"
    b.failure()
    assert b.allow()
    b.success()
    b.failure()
    b.failure()
    assert b.state == "open" and not b.allow()
    now[0] = 10
    assert b.state == "half-open" and b.allow() and not b.allow()  # one trial at a time
    b.success()
    assert b.state == "closed" and b.allow()


def test_unreachable_unconfigured_and_no_fallback(clients, matcher):
    dead = f"http://127.0.0.1:{free_port()}"
    r = clients(dead, matcher).parse("kal mandi khulegi kya")
    assert (r.source, r.intent) == ("fallback", "ask_market_status")
    r = clients(None, matcher).parse("kal mandi khulegi kya")
    assert (r.source, r.intent) == ("fallback", "ask_market_status")
    r = clients(dead, None).parse("is gikomba open")
    assert (r.source, r.intent, r.confidence) == ("none", "out_of_scope", 0.0)
    assert r.entity("market").place_id == "nbo.gikomba"  # entities still come from the gazetteer


@pytest.mark.parametrize("text", ["", "   ", "???", "\x00", "😀" * 500, "a" * 20000])
def test_never_raises(fake_rasa, clients, matcher, text):
    fake = fake_rasa(mode="garbage")
    r = clients(fake.url, matcher).parse(text)
    assert r.intent and isinstance(r.confidence, float)


def test_redis_cache_keyed_by_text_and_model(fake_rasa, clients, matcher, redis):
    fake = fake_rasa(model_id="m1")
    client = clients(fake.url, matcher, redis=redis, status_refresh=0)
    first = client.parse("Is GIKOMBA open??", org="nairobi-vendors")
    again = client.parse("is gikomba open", org="nairobi-vendors")  # same normalised text
    assert fake.parse_calls() == 1
    assert again == first
    assert any(k.startswith(b"nlu:parse:m1:") for k in redis.keys("nlu:parse:*"))
    fake.model_id = "m2"  # a new model was loaded: old answers must not be served
    client.parse("is gikomba open", org="nairobi-vendors")
    assert fake.parse_calls() == 2


def test_redis_down_does_not_break_parse(fake_rasa, clients, matcher):
    broken = redis_lib.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    fake = fake_rasa()
    try:
        client = clients(fake.url, matcher, redis=broken)
        r = client.parse("is gikomba open")
        assert (r.source, r.intent) == ("rasa", "ask_market_status")
        t0 = time.monotonic()
        for _ in range(5):  # the cache is skipped for a while instead of being retried per message
            assert client.parse("is gikomba open").source == "rasa"
        assert time.monotonic() - t0 < 2.5
    finally:
        broken.close()


def test_health(fake_rasa, clients, matcher):
    fake = fake_rasa(model_id="m9")
    assert clients(fake.url, matcher).health()["status"] == "ok"
    assert clients(fake.url, matcher).health()["model"] == "m9.tar.gz"
    assert clients(f"http://127.0.0.1:{free_port()}", matcher).health()["status"] == "down"
    assert clients(None, matcher).health()["status"] == "disabled"


def _one_answer_per_connection_server(body: bytes):
    """Answers one request per connection with keep-alive promised, then hangs up: every pooled
    connection is stale by the time it is reused (like a Rasa whose idle timeout passed)."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            accepted.append(conn)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv, accepted


def test_a_pooled_connection_the_server_closed_is_retried_once_on_a_new_one(clients, matcher):
    import json

    body = json.dumps({"model_id": "m1", "model_file": "m1.tar.gz", "intent": {"name": "greet", "confidence": 0.9},
                       "intent_ranking": [{"name": "greet", "confidence": 0.9}], "entities": []}).encode()
    srv, accepted = _one_answer_per_connection_server(body)
    try:
        client = clients(f"http://127.0.0.1:{srv.getsockname()[1]}", matcher, breaker_failures=1)
        for _ in range(4):
            r = client.parse("hello")
            assert (r.source, r.intent) == ("rasa", "greet")
        assert client.breaker.state == "closed" and client.breaker.failures == 0
        assert len(accepted) >= 5  # /status + 4 parses, each on a fresh connection after the stale one
    finally:
        srv.close()


def test_a_malformed_rasa_url_falls_back_instead_of_failing(clients, matcher):
    client = clients("localhost:5005", matcher)  # no scheme
    r = client.parse("where is the food aid")
    assert (r.source, r.intent) == ("fallback", "ask_relief")
