"""Twilio's error codes in one table (bot/providers/twilio/errors.py), seen by broadcasts only as neutral
reasons through bot.messages: what the sender records, what a status callback records, which errors mark
the contact."""
from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts import create_broadcast, preview, send_broadcast
from bot.broadcasts.sending import drain
from bot.line.delivery import record_status
from bot.providers import delivery_reason, is_permanent
from bot.models import BroadcastRecipient as R, Contact, InvalidNumber
from bot.providers.twilio.errors import CODES

TEXTS = {"en": "Gikomba market is closed on Monday."}
# Every code the three maps had before they were merged (sending, status callbacks, the progress page).
EARLIER = {20429, 21211, 21408, 21606, 21610, 21611, 21612, 21614, 21617, 21910, 30001, 30003, 30004, 30005,
           30006, 30007, 30008, 63016, 63018}


def test_the_table_keeps_every_earlier_code_with_a_neutral_reason():
    assert EARLIER <= set(CODES)
    assert {code for code in CODES if is_permanent(code)} == {21610, 21211, 21614}
    assert [delivery_reason(c) for c in (21610, 21211, 21614, 30006, 63016)] == [
        "opted_out", "invalid_number", "not_mobile", "landline", "whatsapp_window_closed"]
    assert delivery_reason(20429) == delivery_reason(63018) == "rate_limited"
    assert delivery_reason(None) is None and delivery_reason(99999) is None and not is_permanent(99999)


def rows(services, bid):
    with services.engine.connect() as conn:
        return {r.contact_id: r for r in conn.execute(select(R).where(R.broadcast_id == bid))}


def test_not_a_mobile_number_is_left_out_until_it_writes_in_again(bservices, people, standin):
    landline = people.contact(phone="+254202000001")
    ok = people.contact()
    standin.fail_number("+254202000001", 21614)
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    drain(bid, services=bservices, budget=None)
    got = rows(bservices, bid)
    assert (got[landline].state, got[landline].reason, got[landline].error_code) == ("failed", "not_mobile", 21614)
    assert got[ok].state == "sent"
    with bservices.engine.connect() as conn:
        assert conn.execute(select(InvalidNumber.phone, InvalidNumber.error_code)).all() == [("+254202000001", 21614)]
    assert preview(bservices, organization="nairobi-vendors", segment={}, texts=TEXTS)["recipients"] == 1


def test_a_callback_records_the_reason_and_only_permanent_errors_mark_the_contact(bservices, people, standin):
    off, stop = people.contact(), people.contact()
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    drain(bid, services=bservices, budget=None)
    got = rows(bservices, bid)
    record_status(bservices, got[off].provider_sid, "undelivered", "30003")
    record_status(bservices, got[stop].provider_sid, "failed", "21610")
    got = rows(bservices, bid)
    assert (got[off].state, got[off].reason) == ("failed", "handset_unreachable")
    assert (got[stop].state, got[stop].reason) == ("failed", "opted_out")
    with bservices.engine.connect() as conn:
        opted = dict(conn.execute(select(Contact.id, Contact.opted_out).where(Contact.id.in_([off, stop]))).all())
        assert opted == {off: False, stop: True}
        assert conn.execute(select(InvalidNumber.phone)).all() == []
