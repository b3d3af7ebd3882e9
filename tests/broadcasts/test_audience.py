"""Segments, language choice, opt-out exclusion, channel and the WhatsApp window, preview."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.broadcasts import BroadcastError, create_broadcast, preview, send_broadcast
from bot.models import BroadcastRecipient, InvalidNumber, utcnow

TEXTS = {"en": "Gikomba market is closed on Monday.", "sw": "Soko la Gikomba limefungwa Jumatatu."}
TEMPLATE = {"content_sid": "HX" + "a" * 32, "variables": {"1": "Gikomba"}}


def rows(services, bid):
    with services.engine.connect() as conn:
        return {r.contact_id: r for r in conn.execute(
            select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == bid))}


def start(services, segment, texts=TEXTS, template=None):
    bid = create_broadcast(services, "nairobi-vendors", segment, texts, template, created_by="test")
    services.redis = services.redis  # jobs are enqueued; nothing drains in these tests
    send_broadcast(services, bid)
    return bid, rows(services, bid)


def test_market_and_registered_select_members_of_that_market(bservices, people):
    gikomba = people.vendor(language="sw")
    muthurwa = people.vendor(place_id="nbo.muthurwa")
    porter = people.vendor(trade="porter")
    stranger = people.contact()
    other_org = people.contact(org="dakar-vendors")
    bid, got = start(bservices, {"markets": ["Gikomba"], "registered": True, "trades": ["vendor"]})
    assert set(got) == {gikomba}
    _, everyone = start(bservices, {})
    assert set(everyone) == {gikomba, muthurwa, porter, stranger}
    assert other_org not in everyone
    _, unregistered = start(bservices, {"registered": False})
    assert set(unregistered) == {stranger}
    _, by_city = start(bservices, {"cities": ["nairobi"]})
    assert set(by_city) == {gikomba, muthurwa, porter}


def test_unknown_market_is_an_error(bservices):
    with pytest.raises(BroadcastError, match="unknown market"):
        create_broadcast(bservices, "nairobi-vendors", {"markets": ["Atlantis"]}, TEXTS)


def test_default_language_text_is_required(bservices):
    with pytest.raises(BroadcastError, match="default language"):
        create_broadcast(bservices, "nairobi-vendors", {}, {"sw": "Habari"})


def test_language_is_the_contacts_else_the_members_else_the_default(bservices, people):
    sw = people.contact(language="sw")
    fr = people.contact(language="fr")  # no French text: the organization's default (en)
    member_sw = people.vendor()
    with bservices.engine.begin() as conn:
        from sqlalchemy import update

        from bot.models import Member
        conn.execute(update(Member).where(Member.contact_id == member_sw).values(language="sw"))
    none = people.contact()
    _, got = start(bservices, {})
    assert got[sw].language == "sw" and got[fr].language == "en"
    assert got[member_sw].language == "sw" and got[none].language == "en"
    _, only_sw = start(bservices, {"languages": ["sw"]})
    assert set(only_sw) == {sw, member_sw}


def test_opted_out_and_invalid_numbers_are_never_included(bservices, people):
    ok = people.contact()
    people.contact(opted_out=True)
    invalid = people.contact(phone="+254722999999")
    with bservices.engine.begin() as conn:
        conn.execute(InvalidNumber.__table__.insert().values(phone="+254722999999", error_code=21211,
                                                              recorded_at=utcnow()))
    _, got = start(bservices, {})
    assert set(got) == {ok}
    assert invalid not in got


def test_channel_and_whatsapp_window(bservices, people):
    sms = people.contact()
    fresh = people.contact(whatsapp_hours_ago=2)
    stale = people.contact(whatsapp_hours_ago=30)
    _, got = start(bservices, {})
    assert (got[sms].channel, got[sms].mode, got[sms].state, got[sms].to_address[:1]) == ("sms", "text", "queued", "+")
    assert (got[fresh].channel, got[fresh].mode, got[fresh].state) == ("whatsapp", "text", "queued")
    assert got[fresh].to_address.startswith("whatsapp:+")
    assert (got[stale].state, got[stale].reason) == ("skipped", "whatsapp_window_closed")
    _, with_template = start(bservices, {}, template=TEMPLATE)
    assert (with_template[stale].mode, with_template[stale].state) == ("template", "queued")


def test_preview_counts_per_channel_language_and_segments(bservices, people):
    for _ in range(3):
        people.contact(language="sw")
    people.contact()
    people.contact(whatsapp_hours_ago=1)
    people.contact(whatsapp_hours_ago=48)
    long_en = "Notice \u201cGikomba\u201d \u2013 " + "closed for cleaning. " * 9  # curly quotes: smart-encoded
    bid = create_broadcast(bservices, "nairobi-vendors", {}, {"en": long_en, "sw": TEXTS["sw"]})
    p = preview(bservices, bid)
    assert p["recipients"] == 5 and p["by_channel"] == {"sms": 4, "whatsapp": 1}
    assert p["skipped"] == {"whatsapp_window_closed": 1}
    assert p["texts"]["en"]["encoding"] == "GSM-7" and p["texts"]["en"]["segments"] == 2
    groups = {(g["channel"], g["language"]): g for g in p["groups"]}
    assert groups[("sms", "sw")]["recipients"] == 3 and groups[("sms", "sw")]["segments_total"] == 3
    assert groups[("sms", "en")]["segments_total"] == 2
    assert p["sms_segments"] == 5
