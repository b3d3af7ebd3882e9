"""STOP/START/HELP: Twilio's keyword lists, any case, both channels, stored on the contact."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import Contact


def contact(services, number):
    with services.db() as session:
        return session.scalar(select(Contact).where(Contact.phone == number))


def text(services, key, lang="en", channel="sms"):
    org = services.catalog.organizations["nairobi-vendors"]
    return services.catalog.text(org.slug, key, lang, channel, org_name=org.name)


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "cancel", "END", "quit", "StopAll", "stop!"])
def test_opt_out_words_opt_out_on_both_channels(services, phone, channel, word):
    worker = phone("+254722000001", channel)
    assert worker.send(word) == text(services, "optout.confirm", channel=channel)
    assert contact(services, "+254722000001").opted_out is True
    assert contact(services, "+254722000001").opted_out_at is not None


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_opt_in_words_resubscribe(services, phone, word):
    worker = phone("+254722000002")
    worker.send("STOP")
    assert worker.send("hello") == ""  # opted out: stored, not answered
    assert worker.send(word) == text(services, "optin.confirm")
    found = contact(services, "+254722000002")
    assert found.opted_out is False and found.opted_in_at is not None
    assert worker.send("hi") == text(services, "menu.main")


def test_opt_out_on_sms_holds_for_whatsapp(services, phone):
    phone("+254722000003", "sms").send("STOP")
    assert phone("+254722000003", "whatsapp").send("hi") == ""


def test_yes_is_an_ordinary_answer_when_subscribed(services, phone):
    worker = phone("+254722000004")
    assert worker.send("yes") != text(services, "optin.confirm")
    assert contact(services, "+254722000004").opted_in_at is None


@pytest.mark.parametrize("word", ["HELP", "help", "Info"])
def test_help_answers_even_when_opted_out(services, phone, word):
    worker = phone("+254722000005")
    worker.send("STOP")
    assert worker.send(word) == text(services, "help")


def test_stop_inside_a_sentence_is_not_an_opt_out(services, phone):
    worker = phone("+254722000006")
    worker.send("please do not stop helping us")
    assert contact(services, "+254722000006").opted_out is False
