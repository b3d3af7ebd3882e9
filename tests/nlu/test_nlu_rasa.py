"""NluClient against the REAL Rasa server started from the trained model (CI trains it first)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from nlu.client import NluClient
from nlu.evaluate import metrics
from nlu.trainingdata import load_file

pytestmark = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(400)]

HELDOUT = Path(__file__).resolve().parents[2] / "nlu" / "tests_data" / "heldout.yml"


@pytest.fixture
def client(rasa_server, matcher, redis):
    c = NluClient(rasa_server.url, token=rasa_server.token, timeout=5, redis=redis, fallback=matcher)
    yield c
    c.close()


@pytest.mark.parametrize("text,intent,org,place_id", [
    ("is gikomba opn 2moro", "ask_market_status", "nairobi-vendors", "nbo.gikomba"),
    ("polisi wamechukua bidhaa zangu", "report_incident", "nairobi-vendors", None),
    ("la feria de tristan narvaja abre el domingo?", "ask_market_status", "montevideo-feriantes",
     "mvd.tristan-narvaja"),
    ("kal mandi khulegi kya", "ask_market_status", "pune-wastepickers", None),
    ("ou est l'aide alimentaire", "ask_relief", "dakar-vendors", None),
    ("police closed our market today", "report_incident", "nairobi-vendors", None),
])
def test_issue_examples_through_rasa(client, text, intent, org, place_id):
    r = client.parse(text, org=org)
    assert r.source == "rasa"
    assert r.intent == intent, r.ranking[:3]
    if place_id:
        assert any(e.place_id == place_id for e in r.entities), r.entities


def test_entities_resolved_to_place_ids_and_dates(client):
    r = client.parse("is gikomb opn kesho", org="nairobi-vendors")
    assert r.source == "rasa"
    assert r.entity("market").place_id == "nbo.gikomba"
    assert r.entity("date").value == "tomorrow"


def test_token_is_required(rasa_server, matcher):
    assert requests.post(f"{rasa_server.url}/model/parse", json={"text": "hi"}, timeout=10).status_code == 401
    wrong = NluClient(rasa_server.url, token="wrong", timeout=5, fallback=matcher)
    try:
        r = wrong.parse("is gikomba open")
        assert (r.source, r.intent) == ("fallback", "ask_market_status")
        assert wrong.health()["status"] == "down"
    finally:
        wrong.close()


def test_health_reports_the_model(client):
    h = client.health()
    assert h["status"] == "ok" and str(h["model"]).startswith("nlu-")


def test_cache_hit_is_served_without_rasa(client, redis, monkeypatch):
    first = client.parse("wen does wakulima open", org="nairobi-vendors")
    assert first.source == "rasa" and first.entity("market").place_id == "nbo.marikiti"
    assert redis.keys("nlu:parse:*")

    def no_post(*a, **kw):
        raise AssertionError("a cached parse must not POST to Rasa")

    monkeypatch.setattr(client, "_post_parse", no_post)
    assert client.parse("Wen does Wakulima open?", org="nairobi-vendors") == first


def test_heldout_accuracy_through_rasa(client):
    held = load_file(HELDOUT)
    pred = [client.parse(e.text).intent for e in held]
    result = metrics([e.intent for e in held], pred)
    assert result["accuracy"] >= 0.9, result["confusions"]
