"""A worker who never chose a language is answered in the one they write in, when it is one of the
organization's and the guess is sure; a misspelt market or a market and a day change nothing."""
from __future__ import annotations

import pytest

from bot.models import Contact
from nlu.language import default_guesser
from tests.reports.helpers import DAKAR, PUNE, rows, text

NAIROBI = "+254709990001"


@pytest.mark.parametrize("to,org,body,key,lang", [
    (NAIROBI, "nairobi-vendors", "nataka kujiunga na chama", "consent.v1", "sw"),
    (NAIROBI, "nairobi-vendors", "habari", "menu.main", "sw"),
    (NAIROBI, "nairobi-vendors", "i want to join the association", "consent.v1", "en"),
    (PUNE, "pune-wastepickers", "mujhe sadasya banna hai", "consent.v1", "hi"),
    (PUNE, "pune-wastepickers", "I want to become a member", "consent.v1", "en"),
])
def test_the_first_reply_is_in_the_language_written(services, phone, to, org, body, key, lang):
    worker = phone("+254711950001" if to == NAIROBI else "+919811950001", to=to)
    assert worker.send(body) == text(services, key, lang, org=org)
    [contact] = rows(services, Contact)
    assert contact.language == (lang if lang != services.catalog.org(org).default_language else None)


@pytest.mark.parametrize("body", ["githumba", "gikomba kesho", "gikomba market today"])
def test_a_market_name_is_no_language(services, phone, body):
    worker = phone("+254711950002")
    worker.send(body)
    [contact] = rows(services, Contact)
    assert contact.language is None


def test_a_chosen_language_is_never_overridden(services, phone):
    worker = phone("+254711950003")
    worker.send("5")
    worker.send("1")  # English, chosen
    assert worker.send("habari za asubuhi") == text(services, "menu.main", "en")


@pytest.mark.parametrize("body,among,lang", [
    ("polisi wamechukua bidhaa zangu leo", ("en", "sw"), "sw"),
    ("the police took my goods today", ("en", "sw"), "en"),
    ("je veux signaler un problème", ("fr", "en"), "fr"),
    ("mera paisa nahi mila", ("hi", "en"), "hi"),
    ("पैसे नहीं मिले", ("hi", "en"), "hi"),
    ("quiero afiliarme", ("es", "en"), "es"),
    ("ok", ("en", "sw"), None),
])
def test_guesser(body, among, lang):
    assert default_guesser().guess(body, among) == lang
