"""Relief and registration answers: lists for the worker's city and trade, a digit picks one,
long answers paged with MORE in each language, announced distributions first."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.line import live
from bot.line.answers import dates
from tests.answers.conftest import ORG_LANGS


def more_word(services, lang):
    return sorted(services.catalog.keywords("more", lang) - services.catalog.keywords("more", "any"))[0]


def expected_list(services, org, key, lang, items, variable, prefix):
    titles = [services.catalog.text(org, f"{prefix}.{i.id}.title", lang, "sms") for i in items]
    return services.catalog.text(org, key, lang, "sms", **{variable: services.catalog.numbered(titles, "sms")})


@pytest.mark.parametrize("org,lang", ORG_LANGS)
def test_relief_list_pick_and_page_with_more(services, line, org, lang):
    worker = line(org, lang=lang)
    catalog = services.catalog
    organization = catalog.organizations[org]
    trade = organization.trades[0] if len(organization.trades) == 1 else None
    items = catalog.programmes(org, city=organization.cities[0], trade=trade)
    assert worker.one("1") == expected_list(services, org, "topic.relief", lang, items, "programmes", "relief")
    # the programme with the most SMS pages
    n, chosen = max(enumerate(items, 1), key=lambda x: len(catalog.pages(org, x[1].key, lang, "sms")))
    pages = catalog.pages(org, chosen.key, lang, "sms")
    assert worker.one(str(n)) == pages[0]
    for page in pages[1:]:
        assert worker.one(more_word(services, lang)) == page
    assert worker.one(more_word(services, lang)) == worker.text("paging.end", lang)


@pytest.mark.parametrize("org,lang", ORG_LANGS)
def test_registration_list_and_guide(services, line, org, lang):
    worker = line(org, lang=lang)
    catalog = services.catalog
    organization = catalog.organizations[org]
    trade = organization.trades[0] if len(organization.trades) == 1 else None
    items = catalog.guides(org, city=organization.cities[0], trade=trade)
    assert worker.one("3") == expected_list(services, org, "topic.registration", lang, items, "guides", "guide")
    pages = catalog.pages(org, items[0].key, lang, "sms")
    assert worker.one("1") == pages[0]
    for page in pages[1:]:
        assert worker.one("MORE" if lang == "en" else more_word(services, lang)) == page


def test_a_wrong_number_in_the_list_is_asked_again(services, line):
    worker = line("nairobi-vendors")
    worker.one("1")
    reply = worker.one("7")
    assert reply.startswith(worker.text("choice.invalid", "en", max=2))


def test_more_without_pages_says_that_is_all(services, line):
    worker = line("nairobi-vendors", lang="sw")
    assert worker.one("zaidi") == worker.text("paging.end", "sw")


def test_whatsapp_gets_the_whole_answer_at_once(services, line):
    worker = line("nairobi-vendors", channel="whatsapp")
    worker.one("1")
    answer = worker.one("2")
    assert answer == services.catalog.text("nairobi-vendors", "relief.nbo-fire-relief", "en", "whatsapp")


def test_an_announced_distribution_comes_before_the_list(services, line):
    org = services.catalog.organizations["pune-wastepickers"]
    starts = dates.now_utc() + timedelta(days=1)
    live.announce_relief(services, "pune-wastepickers", venue="Mandai", place_id="pune.mandai", starts_at=starts,
                         recipients="सभी सदस्य", changed_by="test", source="cli")
    # one already over is not shown
    live.announce_relief(services, "pune-wastepickers", venue="Old", starts_at=starts - timedelta(days=5),
                         recipients="x", changed_by="test", source="cli")
    worker = line("pune-wastepickers")
    first, listed = worker.send("1")
    shown = dates.show_start(services.catalog, org.slug, "hi", "sms", starts, dates.zone(org))
    assert first == worker.text("relief.distribution", "hi", venue="फुले मंडई", starts=shown, recipients="सभी सदस्य")
    assert listed.startswith("राहत:")
