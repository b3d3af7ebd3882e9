"""Organizer commands in the natural order of each language: the verb first (CLOSE Githurai until
monday county cleanup, FERMER Castors, band Hadapsar), from the organization's organizer numbers.
The reply says exactly what changed; an organizer's command that does not parse gets the help;
anyone else gets the refusal; a worker's question that starts with a status word stays a question."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.line.answers import dates
from bot.models import MarketStatus
from tests.answers.conftest import ORGANIZERS
from tests.answers.test_organizer import rows

# (org, organizer language, command, place, status, reason, has an end)
VERBS = [
    ("nairobi-vendors", "en", "CLOSE Githurai until monday county cleanup", "nbo.githurai", "closed", "county cleanup", True),
    ("nairobi-vendors", "en", "close githurai county cleanup", "nbo.githurai", "closed", "county cleanup", False),
    ("nairobi-vendors", "en", "Open Toi Market", "nbo.toi", "open", None, False),
    ("nairobi-vendors", "en", "MOVED Toi reason relocated to the bus park", "nbo.toi", "relocated", "relocated to the bus park", False),
    ("nairobi-vendors", "sw", "FUNGA Gikomba hadi kesho usafi", "nbo.gikomba", "closed", "usafi", True),
    ("nairobi-vendors", "sw", "fungua muthurwa", "nbo.muthurwa", "open", None, False),
    ("dakar-vendors", "fr", "FERMER Castors", "dkr.castors", "closed", None, False),
    ("dakar-vendors", "fr", "ouvrir sandaga", "dkr.sandaga", "open", None, False),
    ("dakar-vendors", "fr", "Fermer Sandaga jusqu'au samedi travaux", "dkr.sandaga", "closed", "travaux", True),
    ("montevideo-feriantes", "es", "CERRAR Tristan Narvaja hasta el viernes obras", "mvd.tristan-narvaja", "closed", "obras", True),
    ("montevideo-feriantes", "es", "abrir villa biarritz", "mvd.villa-biarritz", "open", None, False),
    ("pune-wastepickers", "hi", "बंद हडपसर कल तक", "pune.hadapsar", "closed", None, True),
    ("pune-wastepickers", "hi", "band hadapsar", "pune.hadapsar", "closed", None, False),
    ("pune-wastepickers", "hi", "khula mandai", "pune.mandai", "open", None, False),
]


@pytest.mark.parametrize("org,lang,command,place_id,status,reason,ends", VERBS)
def test_verb_first_commands_change_the_status_and_say_what_changed(services, line, org, lang, command, place_id,
                                                                   status, reason, ends):
    organizer = line(org, number=ORGANIZERS[org], lang=lang)
    reply = organizer.one(command)
    [row] = rows(services, MarketStatus)
    assert (row.place_id, row.status, row.reason, row.ends_at is not None) == (place_id, status, reason, ends)
    assert organizer.text(f"market.status.{status}", lang) in reply
    if reason:
        assert reason in reply
    if ends:
        until = dates.show_until(services.catalog, org, lang, "sms", row.ends_at, dates.org_zone(services.catalog, org))
        assert until in reply
        assert row.ends_at > row.starts_at + timedelta(hours=1)


@pytest.mark.parametrize("org,lang,command", [
    ("nairobi-vendors", "en", "CLOSE"),
    ("nairobi-vendors", "en", "close nowhere-at-all"),
    ("nairobi-vendors", "sw", "FUNGA"),
    ("dakar-vendors", "fr", "FERMER le truc"),
    ("montevideo-feriantes", "es", "CERRAR"),
    ("pune-wastepickers", "hi", "बंद"),
    ("nairobi-vendors", "en", "STATUS"),
])
def test_an_organizers_command_that_does_not_parse_gets_the_help(services, line, org, lang, command):
    organizer = line(org, number=ORGANIZERS[org], lang=lang)
    assert organizer.one(command) == organizer.text("org.status.usage", lang)
    assert rows(services, MarketStatus) == []


@pytest.mark.parametrize("org,lang,command", [
    ("nairobi-vendors", "en", "CLOSE Githurai until monday county cleanup"),
    ("dakar-vendors", "fr", "FERMER Castors"),
    ("montevideo-feriantes", "es", "CERRAR Tristan Narvaja"),
    ("pune-wastepickers", "hi", "band hadapsar"),
])
def test_anyone_else_sending_a_verb_command_is_refused(services, line, org, lang, command):
    worker = line(org, lang=lang)
    assert worker.one(command) == worker.text("org.refused", lang)
    assert rows(services, MarketStatus) == []


def test_a_workers_question_starting_with_a_status_word_is_answered_as_a_question(services, line):
    worker = line("nairobi-vendors")
    reply = worker.one("closed gikomba?")
    assert reply != worker.text("org.refused", "en") and "Gikomba" in reply
    assert rows(services, MarketStatus) == []
