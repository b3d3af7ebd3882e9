"""Helpers for the answers tests: send through signed webhooks, get each reply message, and check
every SMS actually sent fits one segment."""
from __future__ import annotations

from datetime import timedelta

import pytest

from content.sms import segment_info
from tests.conftest import replies

NUMBERS = {"nairobi-vendors": "+254709990001", "pune-wastepickers": "+912067990001",
           "dakar-vendors": "+221338990001", "montevideo-feriantes": "+59829990001"}
ORGANIZERS = {"nairobi-vendors": "+254711000900", "pune-wastepickers": "+919890000900",
              "dakar-vendors": "+221770000900", "montevideo-feriantes": "+59899000900"}
WORKERS = {"nairobi-vendors": "+254711000101", "pune-wastepickers": "+919890000101",
           "dakar-vendors": "+221770000101", "montevideo-feriantes": "+59899000101"}
# (org, language): every demo language of every demo organization
ORG_LANGS = [("nairobi-vendors", "en"), ("nairobi-vendors", "sw"), ("pune-wastepickers", "hi"),
             ("pune-wastepickers", "en"), ("dakar-vendors", "fr"), ("montevideo-feriantes", "es")]


class Line:
    """One worker's phone on one organization's line, speaking one language."""

    def __init__(self, phone, services, org: str, number: str, channel: str = "sms"):
        self.services, self.org, self.channel = services, org, channel
        self.phone = phone(number, channel, NUMBERS[org])
        self.sent: list[str] = []

    def send(self, body: str) -> list[str]:
        self.phone.send(body)
        out = replies(self.phone.last.get_data(as_text=True))
        if self.channel == "sms":
            for text in out:
                info = segment_info(text)
                assert info.segments == 1, f"{info.segments} segments ({info.encoding}): {text!r}"
                if info.encoding == "UCS-2":
                    assert info.units <= 70
        self.sent.extend(out)
        return out

    def one(self, body: str) -> str:
        out = self.send(body)
        assert len(out) == 1, out
        return out[0]

    def speak(self, lang: str) -> None:
        """Choose a language with menu 5 (the org default needs nothing)."""
        catalog = self.services.catalog
        if lang == catalog.organizations[self.org].default_language:
            return
        options = catalog.language_options(self.org)
        self.one("5")
        self.one(str(options.index(lang) + 1))

    def text(self, key: str, lang: str, **vars) -> str:
        return self.services.catalog.text(self.org, key, lang, self.channel, **vars)


@pytest.fixture
def line(phone, services):
    def make(org: str = "nairobi-vendors", number: str | None = None, lang: str | None = None,
             channel: str = "sms") -> Line:
        made = Line(phone, services, org, number or WORKERS[org], channel)
        if lang:
            made.speak(lang)
        return made

    return make


def days(n: int) -> timedelta:
    return timedelta(days=n)
