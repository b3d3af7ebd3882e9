"""Human handover in the engine: while an organizer has a contact, messages are stored and shown to
them but the bot says nothing and runs no flow; STOP, START (when opted out) and HELP still answer;
after hand-back or expiry the bot answers again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.line import handover
from bot.desk.accounts import create_user
from bot.models import Contact, Handover, InboundMessage, OutboundMessage, utcnow
from bot.services import build_services
from tests.conftest import Phone

ORG = "nairobi-vendors"
NUMBER = "+254733000001"


def text(services, key, channel="sms"):
    org = services.catalog.organizations[ORG]
    return services.catalog.text(ORG, key, "en", channel, org_name=org.name)


def contact(services, number=NUMBER) -> Contact:
    with services.db() as session:
        return session.scalar(select(Contact).where(Contact.phone == number))


@pytest.fixture
def organizer(services):
    return create_user(services, ORG, "handover@nairobi.example.org", "Wanjiru", "correct horse battery")


@pytest.fixture
def taken(services, phone, organizer):
    """A worker who wrote once, then was taken over by an organizer."""
    worker = phone(NUMBER)
    assert worker.send("hi") == text(services, "menu.main")
    view, started = handover.start(services, ORG, contact(services).id, organizer.id)
    assert started
    return worker


def replies_to(services, body: str) -> list[OutboundMessage]:
    with services.db() as session:
        inbound = session.scalars(select(InboundMessage).where(InboundMessage.body == body)).all()
        assert inbound, f"{body!r} was not stored"
        return list(session.scalars(select(OutboundMessage)
                                    .where(OutboundMessage.in_reply_to_id.in_([m.id for m in inbound]))))


def test_handover_silences_the_bot_but_stores_the_message(services, taken):
    assert taken.send("1") == ""
    assert taken.send("where is the relief food?") == ""
    with services.db() as session:
        stored = session.scalar(select(InboundMessage).where(InboundMessage.body == "1"))
    assert stored.contact_id == contact(services).id and stored.handled_at is not None
    assert replies_to(services, "1") == [] and replies_to(services, "where is the relief food?") == []
    # No flow was started or advanced: no conversation session for the contact.
    assert services.redis.get(f"session:{ORG}:{NUMBER}") is None


def test_whatsapp_is_silenced_too(services, phone, organizer):
    worker = phone(NUMBER, "whatsapp")
    worker.send("hi")
    handover.start(services, ORG, contact(services).id, organizer.id)
    assert worker.send("3") == ""


def test_stop_during_handover_still_opts_out_and_start_opts_back_in(services, taken):
    assert taken.send("STOP") == text(services, "optout.confirm")
    assert contact(services).opted_out is True
    assert taken.send("hello?") == ""
    assert taken.send("START") == text(services, "optin.confirm")
    assert contact(services).opted_out is False
    # Subscribed again and still taken over: START is conversation now, and HELP is still answered.
    assert taken.send("start") == ""
    assert taken.send("HELP") == text(services, "help")
    assert taken.send("1") == ""


def test_organization_stop_words_work_during_handover(services, taken):
    assert taken.send("acha") == text(services, "optout.confirm")  # Swahili STOP for a Nairobi line
    assert contact(services).opted_out is True


def test_hand_back_restores_answers(services, taken, organizer):
    assert taken.send("1") == ""
    assert handover.end(services, ORG, contact(services).id, organizer.id) is True
    assert taken.send("hi") == text(services, "menu.main")
    assert services.redis.exists(handover.key(ORG, NUMBER)) == 0
    assert handover.end(services, ORG, contact(services).id, organizer.id) is False  # nothing to hand back


def test_expiry_restores_answers_even_with_the_redis_key_left(services, taken):
    with services.engine.begin() as conn:
        conn.execute(update(Handover).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert services.redis.exists(handover.key(ORG, NUMBER)) == 1  # the database decides
    assert taken.send("hi") == text(services, "menu.main")
    assert handover.active(services, ORG, contact(services).id) is None


def test_the_redis_key_expires_with_the_handover(services, taken):
    ttl_ms = services.redis.pttl(handover.key(ORG, NUMBER))
    minutes = services.settings.handover_minutes
    assert (minutes * 60 - 5) * 1000 < ttl_ms <= minutes * 60 * 1000


def test_an_organizer_reply_extends_the_handover(services, taken, organizer):
    cid = contact(services).id
    with services.engine.begin() as conn:
        conn.execute(update(Handover).values(expires_at=utcnow() + timedelta(minutes=1)))
    view, started = handover.extend(services, ORG, cid, organizer.id)
    assert not started
    assert view.expires_at > utcnow() + timedelta(minutes=services.settings.handover_minutes - 1)
    assert handover.active(services, ORG, cid).expires_at == view.expires_at


def test_a_lost_redis_key_is_put_back_by_the_page_poll(services, taken):
    services.redis.delete(handover.key(ORG, NUMBER))
    assert taken.send("hi") == text(services, "menu.main")  # Redis restarted: the bot answers again ...
    view = handover.active(services, ORG, contact(services).id)
    handover.sync(services, ORG, NUMBER, view)  # ... until the organizer's page polls
    assert taken.send("1") == ""


def test_one_contact_under_handover_leaves_the_others_alone(services, taken, phone):
    assert taken.send("1") == ""
    assert phone("+254733000002").send("hi") == text(services, "menu.main")


def test_starting_twice_keeps_one_handover(services, taken, organizer):
    cid = contact(services).id
    again, started = handover.start(services, ORG, cid, organizer.id)
    assert not started
    with services.db() as session:
        assert len(session.scalars(select(Handover)).all()) == 1


def test_a_contact_of_another_organization_cannot_be_taken_over(services, taken, organizer):
    with pytest.raises(LookupError):
        handover.start(services, "pune-wastepickers", contact(services).id, organizer.id)
    with pytest.raises(LookupError):
        handover.end(services, "pune-wastepickers", contact(services).id, organizer.id)


def test_without_redis_the_database_decides(make_settings, services, taken):
    """Redis unreachable: sessions go stateless and the handover check asks PostgreSQL."""
    from webhooks import create_app

    down = build_services(make_settings(redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2))
    try:
        worker = Phone(create_app(services=down).test_client(), NUMBER)
        assert worker.send("1") == ""
        handover.end(services, ORG, contact(services).id, None)
        assert worker.send("hi") == text(services, "menu.main")
    finally:
        down.close()
