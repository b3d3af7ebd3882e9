"""Place resolution, dates and paging helpers, directly (no webhooks)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from bot.line.answers import dates, paging, places
from content import load_catalog
from content.sms import segment_info
from nlu.types import Entity, NluResult


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize("org,text,place", [
    ("nairobi-vendors", "is gikomba open tomorrow", "nbo.gikomba"),
    ("nairobi-vendors", "gikomb", "nbo.gikomba"),
    ("nairobi-vendors", "githomba market", "nbo.gikomba"),
    ("nairobi-vendors", "soko la toi liko wazi kesho?", "nbo.toi"),
    ("nairobi-vendors", "marikit", "nbo.marikiti"),
    ("pune-wastepickers", "मंडई खुली है?", "pune.mandai"),
    ("pune-wastepickers", "gultekdi", "pune.market-yard"),
    ("dakar-vendors", "colobanne demain", "dkr.colobane"),
    ("montevideo-feriantes", "la feria de tristan esta cerrada mañana?", "mvd.tristan-narvaja"),
])
def test_certain_matches(catalog, org, text, place):
    assert places.resolve(catalog, org, text) == places.Resolution(place, (place,))


def test_uncertain_and_no_matches(catalog):
    found = places.resolve(catalog, "nairobi-vendors", "githumba")
    assert not found.certain and found.candidates == ("nbo.githurai", "nbo.gikomba")
    both = places.resolve(catalog, "nairobi-vendors", "gikomba or githurai")
    assert not both.certain and set(both.candidates) == {"nbo.gikomba", "nbo.githurai"}
    assert places.resolve(catalog, "nairobi-vendors", "hello there") == places.NOTHING
    # another organization's places never match
    assert places.resolve(catalog, "dakar-vendors", "gikomba") == places.NOTHING


def test_nlu_entities_of_the_org_count(catalog):
    nlu = NluResult("ask_market_status", 0.9, [], [Entity("market", "nbo.kariokor", "nbo.kariokor", 0, 3, "kar")])
    assert places.resolve(catalog, "nairobi-vendors", "kar", nlu).place_id == "nbo.kariokor"
    foreign = NluResult("ask_market_status", 0.9, [], [Entity("market", "dkr.sandaga", "dkr.sandaga", 0, 3, "x")])
    assert places.resolve(catalog, "nairobi-vendors", "x", foreign) == places.NOTHING


def test_pick_by_number_or_name(catalog):
    listed = ["nbo.gikomba", "nbo.toi"]
    assert places.pick(catalog, "nairobi-vendors", "2", listed).place_id == "nbo.toi"
    assert places.pick(catalog, "nairobi-vendors", "9", listed) == places.NOTHING
    assert places.pick(catalog, "nairobi-vendors", "kariokor", listed).place_id == "nbo.kariokor"


def test_whole_name_only(catalog):
    assert places.resolve_whole(catalog, "nairobi-vendors", "gikomb").place_id == "nbo.gikomba"
    assert places.resolve_whole(catalog, "nairobi-vendors", "status gikomba closed") == places.NOTHING


def test_day_words():
    wednesday = date(2026, 11, 25)
    assert dates.day_for("today", wednesday) == wednesday
    assert dates.day_for("tomorrow", wednesday) == date(2026, 11, 26)
    assert dates.day_for("friday", wednesday) == date(2026, 11, 27)
    assert dates.day_for("wednesday", wednesday) == wednesday
    assert dates.day_for("monday", wednesday) == date(2026, 11, 30)
    assert dates.day_for("weekend", wednesday) == date(2026, 11, 28)


@pytest.mark.parametrize("text,day,at", [
    ("until tomorrow 10:00", date(2026, 11, 26), time(10)),
    ("hadi kesho", date(2026, 11, 26), None),
    ("kal 10 baje tak", date(2026, 11, 26), time(10)),
    ("jusqu'au 30/11 18h00", date(2026, 11, 30), time(18)),
    ("hasta el viernes 6pm", date(2026, 11, 27), time(18)),
])
def test_command_dates(text, day, at):
    [when] = dates.find_whens(text, date(2026, 11, 25))
    assert (when.day, when.at) == (day, at)


def test_local_days_and_end_display(catalog):
    org = catalog.organizations["pune-wastepickers"]
    tz = dates.zone(org)
    assert str(tz) == "Asia/Kolkata"
    # 20:00 UTC is already the next day in Pune
    assert dates.local_today(org, datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)) == date(2026, 11, 26)
    start, end = dates.day_bounds(date(2026, 11, 26), tz)
    assert (start.hour, start.minute, (end - start).days) == (18, 30, 1)
    whole_day = dates.When(date(2026, 11, 27), None, 0).ends(tz)
    assert dates.show_until(catalog, org.slug, "en", "sms", whole_day, tz) == "Fri 27/11"
    assert dates.show_until(catalog, org.slug, "hi", "sms", datetime(2026, 11, 27, 18, 0, tzinfo=tz), tz) \
        == "शुक्र 27/11 18:00"


def test_split_pages_fit_one_segment():
    text = " ".join(["word"] * 120)
    pages = paging.split(text, "MORE=next")
    assert len(pages) > 1 and all(segment_info(p).segments == 1 for p in pages)
    assert all(p.endswith("MORE=next") for p in pages[:-1])
    assert " ".join(p.replace(" MORE=next", "") for p in pages) == text
