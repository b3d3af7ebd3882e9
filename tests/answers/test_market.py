"""Market status answers through signed webhooks, in every demo language: menu 2, typed names
with typos, "tomorrow", the disambiguation choice, and organizers' changes showing up."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from bot.line import live
from bot.line.answers import dates
from content.sms import smart_encode
from tests.answers.conftest import ORG_LANGS

# a market of each org, and how a worker writes "<market> tomorrow" in each language (with a typo)
ASK = {
    ("nairobi-vendors", "en"): ("nbo.gikomba", "gikomb tomorrow"),
    ("nairobi-vendors", "sw"): ("nbo.gikomba", "gikomb kesho"),
    ("pune-wastepickers", "hi"): ("pune.mandai", "मंडई कल"),
    ("pune-wastepickers", "en"): ("pune.mandai", "mandai tomorrow"),
    ("dakar-vendors", "fr"): ("dkr.sandaga", "sandagga demain"),
    ("montevideo-feriantes", "es"): ("mvd.tristan-narvaja", "tristan narvja mañana"),
}


def local_midnight(org, day):
    return datetime.combine(day, time(0), dates.zone(org))


def short_day(line, lang, day):
    weekday = line.text(f"weekday.{day.isoweekday()}", lang)
    return line.text("date.short", lang, weekday=weekday, date=f"{day.day}/{day.month}")


@pytest.mark.parametrize("org,lang", ORG_LANGS)
def test_menu_2_lists_markets_and_answers_the_chosen_one(services, line, org, lang):
    worker = line(org, lang=lang)
    catalog = services.catalog
    markets = [p for p in catalog.places(org) if p.kind in ("market", "feria", "mandi", "dumpsite")]
    first = markets[0]
    asked = worker.one("2")
    assert asked.startswith(worker.text("market.choose", lang, options="@").split("@")[0])
    shown = smart_encode(first.name(lang), fold_accents=services.catalog.sms_is_gsm7(org, lang))
    assert f"1 {shown}" in asked
    assert worker.one("1") == worker.text("market.answer.none", lang, market=first.name(lang))


@pytest.mark.parametrize("org,lang", ORG_LANGS)
def test_a_typed_market_with_a_typo_and_tomorrow_gets_tomorrows_status(services, line, org, lang):
    place_id, question = ASK[(org, lang)]
    organization = services.catalog.organizations[org]
    today = dates.local_today(organization)
    tomorrow = today + timedelta(days=1)
    # closed tomorrow only, with a reason; nothing today
    live.set_market_status(services, org, place_id, "closed", changed_by="test", source="cli",
                           starts_at=local_midnight(organization, tomorrow),
                           ends_at=local_midnight(organization, tomorrow + timedelta(days=1)),
                           reason="Drainage works in the lanes and more text than fits")
    worker = line(org, lang=lang)
    name = services.catalog.place(place_id).name(lang)
    reason = "Drainage works in the lanes and more text than fits"[:services.catalog.max_length("reason", lang)].rstrip()
    expected = worker.text("market.answer.full", lang, market=name, status=worker.text("market.status.closed", lang),
                           until=short_day(worker, lang, tomorrow), reason=reason)
    assert worker.one(question) == expected
    # the same market today: no report
    today_question = question.split()[0]
    assert worker.one(today_question) == worker.text("market.answer.none", lang, market=name)


def test_english_question_through_the_nlu(services, line):
    worker = line("nairobi-vendors")
    live.set_market_status(services, "nairobi-vendors", "nbo.gikomba", "relocated", changed_by="test", source="cli")
    reply = worker.one("is gikomba market open today?")
    assert reply == worker.text("market.answer", "en", market="Gikomba", status="MOVED")


def test_an_uncertain_name_asks_which_one(services, line):
    worker = line("nairobi-vendors")
    asked = worker.one("githumba")
    assert asked == worker.text("place.choose", "en", options="1 Githurai 2 Gikomba")
    assert worker.one("2") == worker.text("market.answer.none", "en", market="Gikomba")


def test_disambiguation_in_swahili_after_menu_2(services, line):
    worker = line("nairobi-vendors", lang="sw")
    worker.one("2")
    asked = worker.one("githumba")
    assert asked == worker.text("place.choose", "sw", options="1 Githurai 2 Gikomba")
    assert worker.one("1") == worker.text("market.answer.none", "sw", market="Githurai")


def test_an_unknown_name_after_menu_2_is_asked_again(services, line):
    worker = line("nairobi-vendors")
    worker.one("2")
    reply = worker.one("zanzibar")
    assert reply.startswith(worker.text("place.unknown", "en", place="zanzibar"))
    assert worker.one("Toi") == worker.text("market.answer.none", "en", market="Toi Market")


def test_status_with_an_end_time_shows_it_in_the_workers_language(services, line):
    org = services.catalog.organizations["dakar-vendors"]
    today = dates.local_today(org)
    ends = datetime.combine(today + timedelta(days=2), time(18, 0), dates.zone(org))
    live.set_market_status(services, "dakar-vendors", "dkr.sandaga", "restricted", changed_by="test", source="cli",
                           ends_at=ends)
    worker = line("dakar-vendors")
    day = today + timedelta(days=2)
    until = worker.text("datetime.short", "fr", weekday=worker.text(f"weekday.{day.isoweekday()}", "fr"),
                        date=f"{day.day}/{day.month}", time="18:00")
    assert worker.one("sandaga") == worker.text("market.answer.until", "fr", market="Sandaga",
                                                status=worker.text("market.status.restricted", "fr"), until=until)


def test_whatsapp_gets_the_whatsapp_layout(services, line):
    worker = line("montevideo-feriantes", channel="whatsapp")
    live.set_market_status(services, "montevideo-feriantes", "mvd.cerro", "closed", changed_by="test",
                           source="api", reason="Lluvia")
    assert worker.one("feria del cerro") == worker.text("market.answer.reason", "es", market="Feria del Cerro",
                                                        status=worker.text("market.status.closed", "es"),
                                                        reason="Lluvia")


def test_the_newest_report_wins_and_an_ended_one_no_longer_counts(services, line):
    org = "nairobi-vendors"
    past = dates.now_utc() - timedelta(days=3)
    live.set_market_status(services, org, "nbo.toi", "closed", changed_by="test", source="cli",
                           starts_at=past, ends_at=past + timedelta(days=1))
    worker = line(org)
    assert worker.one("toi") == worker.text("market.answer.none", "en", market="Toi Market")
    live.set_market_status(services, org, "nbo.toi", "closed", changed_by="test", source="cli")
    live.set_market_status(services, org, "nbo.toi", "open", changed_by="test", source="cli")
    assert worker.one("toi") == worker.text("market.answer", "en", market="Toi Market", status="OPEN")
