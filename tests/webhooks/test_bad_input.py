"""Bad input gets a 2xx or 4xx as Twilio semantics require, never a 500, and nothing valid is lost."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import InboundMessage
from tests.conftest import PUBLIC_BASE_URL, sign

URL = PUBLIC_BASE_URL + "/webhooks/twilio/messages"


def stored(services):
    with services.db() as session:
        return list(session.scalars(select(InboundMessage)))


def test_body_over_1600_characters_is_stored_and_answered(services, phone):
    worker = phone("+254733000001")
    body = "gikomba " * 300
    reply = worker.send(body)
    [msg] = stored(services)
    assert reply and len(msg.body) == 1600 and msg.raw["Body"] == body


def test_empty_body_gets_the_menu(services, phone):
    worker = phone("+254733000002")
    org = services.catalog.organizations["nairobi-vendors"]
    assert worker.send("") == services.catalog.text(org.slug, "menu.main", "en", "sms", org_name=org.name)
    assert stored(services)[0].body == ""


def test_control_characters_are_removed(services, phone):
    worker = phone("+254733000003")
    worker.send("hi\x00\x07\x1b there\n")
    assert stored(services)[0].body == "hi there\n"


def test_invalid_utf8_is_not_a_server_error(services, client, phone):
    form = phone("+254733000004").form("x")
    raw = "&".join(f"{k}={v}" for k, v in form.items() if k != "Body").replace("+", "%2B") + "&Body=caf%E9%FF"
    response = client.post("/webhooks/twilio/messages", data=raw,
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403  # not what Twilio signed; refused, not crashed
    # Werkzeug keeps undecodable percent-escapes as text; signed over that, the message is stored.
    decoded = dict(form, Body="caf%E9%FF")
    response = client.post("/webhooks/twilio/messages", data=raw,
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": sign(URL, decoded)})
    assert response.status_code == 200
    assert stored(services)[0].body.startswith("caf")


def test_ten_media_items_are_all_kept(services, phone):
    worker = phone("+254733000005", "whatsapp")
    media = {f"MediaUrl{n}": f"https://api.twilio.com/m/ME{n}" for n in range(10)}
    media.update({f"MediaContentType{n}": "image/jpeg" for n in range(10)})
    assert worker.post(worker.form("photos", NumMedia=10, **media)).status_code == 200
    assert len(stored(services)[0].media) == 10


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To"])
def test_missing_required_fields_are_a_400(services, phone, missing):
    worker = phone("+254733000006")
    form = worker.form("hi")
    del form[missing]
    response = worker.post(form)
    assert response.status_code == 400 and b"Traceback" not in response.data
    assert stored(services) == []


def test_malformed_sender_number_is_stored_without_a_contact(services, phone):
    worker = phone("+254733000007")
    form = dict(worker.form("hi"), From="not-a-number")
    assert worker.post(form).status_code == 200
    [msg] = stored(services)
    assert msg.contact_id is None and msg.from_address == "not-a-number"


def test_malformed_location_is_ignored(services, phone):
    worker = phone("+254733000008", "whatsapp")
    assert worker.post(worker.form("", Latitude="north", Longitude="999")).status_code == 200
    [msg] = stored(services)
    assert (msg.latitude, msg.longitude, msg.media) == (None, None, [])


def test_a_media_count_that_is_not_a_number_is_a_400(services, phone):
    worker = phone("+254733000009", "whatsapp")
    response = worker.post(worker.form("", NumMedia="lots"))
    assert response.status_code == 400 and b"NumMedia" in response.data
    assert stored(services) == []


def test_other_methods_and_paths_are_4xx(client):
    assert client.get("/webhooks/twilio/messages").status_code == 405
    assert client.post("/webhooks/twilio/nowhere").status_code == 404
    assert client.post("/webhooks/twilio/messages", json={"Body": "hi"}).status_code == 403
