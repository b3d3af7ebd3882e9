"""Issue 12 item 2: a captured signed request re-split into a new MessageSid, and forms of other
shapes, get a 400; an organizer's BROADCAST command sent twice within minutes tells the members once."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.broadcasts import once
from bot.models import Broadcast, InboundMessage, MarketStatus
from bot.orgs import sync_organizations
from bot.services import build_services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Phone, new_sid, sign
from webhooks import create_app

URL = PUBLIC_BASE_URL + "/webhooks/twilio/messages"
ORGANIZER = "+254711000900"  # content/orgs/nairobi-vendors/org.yaml
COMMAND = "BROADCAST STATUS Toi MOVED reason relocated to the bus park"


def stored(services, model=InboundMessage):
    with services.db() as session:
        return list(session.scalars(select(model)))


def post(client, form, signature):
    return client.post("/webhooks/twilio/messages", data=form, headers={"X-Twilio-Signature": signature})


def test_a_captured_request_re_split_into_a_new_sid_is_a_400(services, client, phone):
    boss = phone(ORGANIZER)
    form = boss.form(COMMAND)
    signature = sign(URL, form)
    assert post(client, form, signature).status_code == 200
    # Twilio signs url + k1v1k2v2... with no separators: "NumMedia0" moved into the SID's value
    # signs the same, so the copy carries a valid signature and a MessageSid never seen before.
    copy = {k: v for k, v in form.items() if k != "NumMedia"}
    copy["MessageSid"] = form["MessageSid"] + "NumMedia0"
    assert RequestValidator(AUTH_TOKEN).validate(URL, copy, signature)
    response = post(client, copy, signature)
    assert response.status_code == 400 and b"MessageSid" in response.data
    assert [m.provider_sid for m in stored(services)] == [form["MessageSid"]]
    assert len(stored(services, Broadcast)) == 1


@pytest.mark.parametrize("change, word", [
    ({"MessageSid": "SM123"}, b"MessageSid"),
    ({"MessageSid": "SM" + "A" * 32}, b"MessageSid"),  # Twilio's hex is lower-case
    ({"MessageSid": "XX" + "a" * 32}, b"MessageSid"),
    ({"SmsMessageSid": "SM" + "b" * 32}, b"same"),  # another SID than MessageSid
    ({"SmsSid": "SMnot-a-sid"}, b"MessageSid"),
    ({"AccountSid": "AC123"}, b"AccountSid"),
    ({"NumMedia": "1"}, b"NumMedia"),  # says one, has none
    ({"NumMedia": "-1"}, b"NumMedia"),
    ({"NumMedia": "11"}, b"NumMedia"),
    ({"MediaUrl0": "https://api.twilio.com/x"}, b"NumMedia"),  # has one, says none
    ({"NumMedia": "1", "MediaUrl1": "https://api.twilio.com/x"}, b"NumMedia"),
    ({"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/x", "MediaContentType3": "image/png"},
     b"MediaContentType"),
])
def test_unexpected_shapes_are_a_400_with_the_reason(services, client, phone, change, word):
    form = dict(phone("+254733100001").form("hi"), **change)
    response = post(client, form, sign(URL, form))
    assert response.status_code == 400 and word in response.data, response.data
    assert stored(services) == []


def test_a_key_sent_twice_is_a_400(services, client, phone):
    form = phone("+254733100002").form("hi")
    pairs = list(form.items()) + [("Body", "again")]
    validator = RequestValidator(AUTH_TOKEN)
    from werkzeug.datastructures import MultiDict

    signature = validator.compute_signature(URL, MultiDict(pairs))
    response = client.post("/webhooks/twilio/messages", data=MultiDict(pairs),
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400 and b"Body" in response.data


def test_the_account_sid_must_be_ours_when_we_have_one(make_settings, db, redis):
    ours = "AC" + "4" * 32
    services = build_services(make_settings(twilio_account_sid=ours))
    sync_organizations(services)
    try:
        worker = Phone(create_app(services=services).test_client(), "+254733100003")
        assert worker.form("hi")["AccountSid"] == ours  # the helper sends the app's own account
        assert worker.post(worker.form("hi")).status_code == 200
        response = worker.post(dict(worker.form("hi"), AccountSid="AC" + "0" * 32))
        assert response.status_code == 400 and b"AccountSid" in response.data
        assert len(stored(services)) == 1
    finally:
        services.close()


def test_the_same_broadcast_command_twice_with_new_sids_tells_the_members_once(services, phone):
    boss = phone(ORGANIZER)
    first = boss.send(COMMAND)
    again = boss.send("  broadcast status toi MOVED reason relocated to the  bus park ")
    assert first != again  # the copy is saved, and says nobody is told again
    assert boss.sent[0]["MessageSid"] != boss.sent[1]["MessageSid"]
    assert len(stored(services, Broadcast)) == 1
    assert {s.status for s in stored(services, MarketStatus)} == {"relocated"}
    assert boss.send("BROADCAST STATUS Toi OPEN") and len(stored(services, Broadcast)) == 2  # another text


def test_without_redis_the_database_recognises_the_repeat(services, phone):
    boss = phone(ORGANIZER)
    boss.send(COMMAND)
    services.redis.flushdb()  # as if the claim were lost: the stored inbound message answers
    real = services.redis
    services.redis = None
    try:
        org = "nairobi-vendors"
        assert not once.first_time(services, org, ORGANIZER, COMMAND.lower(), new_sid())
        assert once.first_time(services, org, ORGANIZER, COMMAND, boss.sent[0]["MessageSid"])  # the original
        assert once.first_time(services, org, "+254711000901", COMMAND, new_sid())  # another organizer
    finally:
        services.redis = real
