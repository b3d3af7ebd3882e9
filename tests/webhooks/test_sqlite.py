"""The zero-setup default: the same webhook path on SQLite (the transactional write path)."""
from __future__ import annotations

from alembic import command
from sqlalchemy import func, select

from bot.models import Contact, InboundMessage, OutboundMessage
from bot.orgs import sync_organizations
from bot.services import build_services
from tests.conftest import Phone, alembic_config
from webhooks import create_app


def test_messages_are_stored_deduplicated_and_answered_on_sqlite(make_settings, redis, tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    command.upgrade(alembic_config(url), "heads")
    services = build_services(make_settings(database_url=url))
    sync_organizations(services)
    worker = Phone(create_app(services=services).test_client(), "+254755000001")

    menu = worker.send("hi")
    worker.post(worker.sent[-1])  # a repeated delivery
    stop = worker.send("STOP")

    assert menu and stop == services.catalog.text("nairobi-vendors", "optout.confirm", "en", "sms")
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 2
        assert session.scalar(select(Contact.opted_out)) is True
    services.close()
