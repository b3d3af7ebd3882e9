"""The one send path to one contact (bot/line/outbound.py), through twilio-python against the local
Twilio stand-in: the message is recorded, sent, and its row tells what the provider said."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from bot.line.outbound import send_to_contact
from bot.line.replies import finish
from bot.models import AuditEvent, Contact, OutboundMessage, utcnow
from tests.conftest import PUBLIC_BASE_URL

ORG, FROM = "nairobi-vendors", "+254709990001"


@pytest.fixture
def sservices(sending):
    return sending[0]


def contact(services, phone="+254722000111") -> int:
    with services.engine.begin() as conn:
        return conn.execute(insert(Contact).values(organization=ORG, phone=phone, created_at=utcnow(),
                                                   updated_at=utcnow()).returning(Contact.id)).scalar()


def send(services, cid, phone="+254722000111", also=None):
    return send_to_contact(services, org=ORG, contact_id=cid, channel="sms", to=phone, from_=FROM,
                           reply=finish("Your report NRB-7 is now “verified”.", "sms"), kind="message", also=also)


def rows(services):
    with services.db() as session:
        return session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


def test_a_sent_message_is_recorded_with_the_provider_sid_and_asks_for_status(sservices, twilio):
    sent = send(sservices, contact(sservices))
    [row] = rows(sservices)
    assert not sent.failed and row.id == sent.outbound_id
    assert row.provider_sid == sent.sid and sent.sid.startswith("SM") and row.status == "queued"
    assert row.body == 'Your report NRB-7 is now "verified".' and row.encoding == "GSM-7"  # finished for SMS
    [request] = [r for r in twilio.requests if r["method"] == "POST"]
    assert request["form"]["StatusCallback"] == PUBLIC_BASE_URL + "/webhooks/twilio/status"


def test_a_refused_number_leaves_a_failed_row_with_the_code(sservices, twilio):
    twilio.fail_number("+254722000222", code=21610)
    sent = send(sservices, contact(sservices, "+254722000222"), "+254722000222")
    [row] = rows(sservices)
    assert sent.failed and (row.status, row.error_code, row.provider_sid) == ("failed", 21610, None)


def test_with_the_provider_away_the_message_and_its_companions_are_still_on_record(sservices, twilio):
    cid = contact(sservices)
    twilio.stop()  # nothing listens: twilio-python gets a connection error

    def audit(session, out):
        session.add(AuditEvent(organization=ORG, action="test_send", target=f"outbound:{out.id}", at=utcnow(),
                               detail={}))

    sent = send(sservices, cid, also=audit)
    [row] = rows(sservices)
    assert sent.failed and row.status == "failed" and row.contact_id == cid
    with sservices.db() as session:
        assert session.scalars(select(AuditEvent.target).where(AuditEvent.action == "test_send")).all() == \
            [f"outbound:{row.id}"]
