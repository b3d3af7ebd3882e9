"""Delivery status callbacks: signed, stored, and never moving a message backwards."""
from __future__ import annotations

from sqlalchemy import insert, select

from bot.models import OutboundMessage, StatusEvent
from tests.conftest import PUBLIC_BASE_URL, sign

PATH = "/webhooks/twilio/status"
SM1, SM2, SM3, SM_UNKNOWN = ("SM" + c * 32 for c in "123f")


def callback(client, sid, status, **extra):
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, **extra}
    return client.post(PATH, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + PATH, form)})


def outbound(services, sid):
    with services.engine.begin() as conn:
        conn.execute(insert(OutboundMessage).values(channel="sms", to_address="+254711000001",
                                                    from_address="+254709990001", body="hello", kind="message",
                                                    provider_sid=sid, status="queued", status_rank=1))


def status_of(services, sid):
    with services.db() as session:
        return session.scalar(select(OutboundMessage).where(OutboundMessage.provider_sid == sid))


def test_status_moves_forward_only(services, client):
    outbound(services, SM1)
    for state in ("sent", "delivered", "sent", "queued"):
        assert callback(client, SM1, state).status_code == 204
    assert status_of(services, SM1).status == "delivered"
    callback(client, SM1, "read")
    assert status_of(services, SM1).status == "read"


def test_failure_records_the_error_code(services, client):
    outbound(services, SM2)
    callback(client, SM2, "failed", ErrorCode="30007")
    callback(client, SM2, "sent")
    row = status_of(services, SM2)
    assert (row.status, row.error_code) == ("failed", 30007)


def test_unknown_sid_is_kept_as_an_event(services, client):
    assert callback(client, SM_UNKNOWN, "delivered").status_code == 204
    with services.db() as session:
        [event] = session.scalars(select(StatusEvent))
    assert (event.provider_sid, event.status) == (SM_UNKNOWN, "delivered")


def test_unsigned_or_incomplete_callbacks_are_refused(services, client):
    assert client.post(PATH, data={"MessageSid": SM3, "MessageStatus": "sent"}).status_code == 403
    form = {"MessageSid": SM3}
    assert client.post(PATH, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + PATH, form)}).status_code == 400
