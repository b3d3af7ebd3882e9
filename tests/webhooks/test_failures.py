"""Failure without loss: the real Redis and PostgreSQL servers are stopped mid-test."""
from __future__ import annotations

import time

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select

from bot.line import drainer, spool
from bot.models import Contact, InboundMessage, OutboundMessage
from bot.orgs import sync_organizations
from bot.services import build_services
from localservers import PostgresServer, RedisServer
from tests.conftest import Phone, alembic_config
from webhooks import create_app

pytestmark = pytest.mark.slow


def count(url, model):
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return n


@pytest.fixture
def own_redis():
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_postgres():
    with PostgresServer(database="streetline_failures") as server:
        command.upgrade(alembic_config(server.url), "heads")
        yield server


def test_with_redis_stopped_messages_are_stored_and_answered(make_settings, db, own_redis):
    services = build_services(make_settings(redis_url=own_redis.url))
    sync_organizations(services)
    phone = Phone(create_app(services=services).test_client(), "+254744000001")
    assert phone.send("5")  # language menu: a session in Redis
    own_redis.stop()

    reply = phone.send("hi")
    repeat = phone.post(phone.form("1"))
    duplicate = phone.post(phone.sent[-1])

    assert reply == services.catalog.text("nairobi-vendors", "menu.main", "en", "sms",
                                          org_name=services.catalog.organizations["nairobi-vendors"].name)
    assert "<Message>" in repeat.get_data(as_text=True)
    assert "<Message>" not in duplicate.get_data(as_text=True)  # dedup holds without Redis
    assert services.nlu is not None
    services.close()
    assert count(str(db.url.render_as_string(hide_password=False)), InboundMessage) == 3


def test_with_the_database_down_messages_are_spooled_answered_and_replayed(make_settings, own_postgres, tmp_path):
    settings = make_settings(database_url=own_postgres.url, spool_dir=tmp_path / "spool")
    services = build_services(settings)
    sync_organizations(services)
    phone = Phone(create_app(services=services).test_client(), "+254744000002")
    phone.send("hi")
    own_postgres.stop()

    stop_reply = phone.send("STOP")
    stop_form = phone.sent[-1]
    help_reply = phone.send("HELP")
    again = phone.post(stop_form)  # Twilio retries while we are degraded: still one row later

    assert stop_reply and help_reply
    assert "<Message>" not in again.get_data(as_text=True)
    assert len(spool.pending(tmp_path / "spool")) == 2

    own_postgres.start()
    time.sleep(spool.BREAKER_SECONDS)  # the line tries the database again after the breaker's pause
    phone.send("START")  # the sender's own spooled messages go in before this one
    # Whatever is still spooled (START itself, when it came while old pooled connections were being
    # replaced) is stored by the worker's drainer, as in production.
    drainer.drain_once(services)
    phone.post(stop_form)  # a late repeat after the replay is still a duplicate

    assert spool.pending(tmp_path / "spool") == []
    assert count(own_postgres.url, InboundMessage) == 4
    with services.db() as session:
        sids = [m.provider_sid for m in session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
        spooled = session.scalars(select(InboundMessage.body).where(InboundMessage.spooled)).all()
        contact = session.scalar(select(Contact))
        replies = session.scalar(select(func.count()).select_from(OutboundMessage))
    assert len(set(sids)) == 4 and {"HELP", "STOP"} <= set(spooled) <= {"HELP", "STOP", "START"}
    assert contact.opted_out is False and contact.opted_out_at is not None  # STOP replayed, then START
    assert replies == 4
    services.close()
