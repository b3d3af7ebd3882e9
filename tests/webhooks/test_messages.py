"""Inbound messages through signed webhooks: stored, deduplicated, answered from content."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.models import Contact, InboundMessage, OutboundMessage
from tests.conftest import PUBLIC_BASE_URL, sign


def rows(services, model):
    with services.db() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def menu(services, lang="en", channel="sms", org="nairobi-vendors"):
    return services.catalog.text(org, "menu.main", lang, channel, org_name=services.catalog.organizations[org].name)


def test_sms_greeting_is_stored_and_answered_with_the_menu(services, phone):
    worker = phone("+254711000001")
    reply = worker.send("hi")

    assert worker.last.content_type.startswith("text/xml")
    assert reply == menu(services)
    [msg] = rows(services, InboundMessage)
    assert (msg.provider_sid, msg.channel, msg.organization, msg.body) == (
        worker.sent[0]["MessageSid"], "sms", "nairobi-vendors", "hi")
    assert msg.raw["From"] == "+254711000001" and msg.received_at is not None and msg.handled_at is not None
    [contact] = rows(services, Contact)
    assert contact.phone == "+254711000001" and contact.last_inbound_sms_at is not None
    [out] = rows(services, OutboundMessage)
    assert (out.kind, out.body, out.in_reply_to_id, out.to_address) == ("reply", reply, msg.id, "+254711000001")
    assert out.segments == 1 and out.encoding == "GSM-7"


def test_whatsapp_and_sms_from_one_number_are_one_contact(services, phone):
    phone("+254711000002", "sms").send("hi")
    whatsapp = phone("+254711000002", "whatsapp")
    reply = whatsapp.send("hello")

    assert reply == menu(services, channel="whatsapp")
    [contact] = rows(services, Contact)
    assert contact.last_inbound_sms_at and contact.last_inbound_whatsapp_at
    assert (contact.whatsapp_id, contact.profile_name) == ("254711000002", "Test Worker")
    channels = [m.channel for m in rows(services, InboundMessage)]
    assert channels == ["sms", "whatsapp"]
    assert all(m.contact_id == contact.id for m in rows(services, InboundMessage))


def test_media_and_location_are_stored(services, phone):
    whatsapp = phone("+254711000003", "whatsapp")
    form = whatsapp.form("", NumMedia=2, MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg",
                         MediaUrl1="https://api.twilio.com/m/ME2", MediaContentType1="audio/ogg",
                         Latitude="-1.2833", Longitude="36.8333", Address="Gikomba Market", Label="Gikomba")
    assert whatsapp.post(form).status_code == 200
    [msg] = rows(services, InboundMessage)
    assert msg.media == [{"url": "https://api.twilio.com/m/ME1", "content_type": "image/jpeg"},
                         {"url": "https://api.twilio.com/m/ME2", "content_type": "audio/ogg"}]
    assert (msg.latitude, msg.longitude, msg.address, msg.label) == (-1.2833, 36.8333, "Gikomba Market", "Gikomba")


def test_forged_missing_and_wrong_url_signatures_are_refused(services, phone, client):
    worker = phone("+254711000004")
    form = worker.form("hi")
    assert worker.post(form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert client.post("/webhooks/twilio/messages", data=form).status_code == 403
    other = sign("https://elsewhere.example.com/webhooks/twilio/messages", form)
    assert worker.post(form, signature=other).status_code == 403
    tampered = dict(form, Body="STOP")
    assert worker.post(tampered, signature=sign(PUBLIC_BASE_URL + "/webhooks/twilio/messages", form)).status_code == 403
    assert rows(services, InboundMessage) == [] and rows(services, Contact) == []


def test_repeated_message_sid_gets_an_empty_response(services, phone):
    worker = phone("+254711000005")
    form = worker.form("hi")
    first = worker.post(form)
    again = worker.post(form)

    assert "<Message>" in first.get_data(as_text=True)
    assert "<Message>" not in again.get_data(as_text=True) and again.status_code == 200
    assert len(rows(services, InboundMessage)) == 1 and len(rows(services, OutboundMessage)) == 1


def test_concurrent_repeats_store_one_row_and_one_reply(app, services):
    from tests.conftest import Phone

    form = Phone(app.test_client(), "+254711000006").form("menu")
    url = PUBLIC_BASE_URL + "/webhooks/twilio/messages"
    bodies, barrier = [], threading.Barrier(8)

    def deliver():
        client = app.test_client()
        barrier.wait()
        response = client.post("/webhooks/twilio/messages", data=form, headers={"X-Twilio-Signature": sign(url, form)})
        bodies.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [code for code, _ in bodies] == [200] * 8
    assert sum("<Message>" in body for _, body in bodies) == 1
    assert len(rows(services, InboundMessage)) == 1 and len(rows(services, OutboundMessage)) == 1


def test_unknown_receiving_number_is_stored_without_a_reply(services, phone):
    stranger = phone("+254711000007", to="+15005550006")
    assert stranger.send("hi") == ""
    [msg] = rows(services, InboundMessage)
    assert msg.organization is None and msg.contact_id is None and msg.to_address == "+15005550006"


def test_menu_text_follows_the_contact_language(services, phone):
    worker = phone("+254711000008")
    options = worker.send("5")
    assert "Kiswahili" in options
    changed = worker.send("2")
    assert changed == services.catalog.text("nairobi-vendors", "language.changed", "sw", "sms",
                                            org_name=services.catalog.organizations["nairobi-vendors"].name)
    assert worker.send("menu") == menu(services, lang="sw")
    [contact] = rows(services, Contact)
    assert contact.language == "sw"


def test_menu_numbers_lead_to_their_topics(services, phone):
    worker = phone("+254711000009")
    org = services.catalog.organizations["nairobi-vendors"]
    expected = {
        "1": services.catalog.text(org.slug, "topic.relief", "en", "sms"),
        "3": services.catalog.text(org.slug, "topic.registration", "en", "sms"),
    }
    for number, text in expected.items():
        worker.send("0")
        assert worker.send(number) == text
    worker.send("0")
    assert worker.send("4") == services.catalog.text(org.slug, "report.category", "en", "sms")


def test_inbound_count_matches_requests(services, phone):
    worker = phone("+254711000010")
    for body in ("hi", "1", "menu", "2"):
        worker.send(body)
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 4
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 4
