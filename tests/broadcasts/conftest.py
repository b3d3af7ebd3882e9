"""Broadcast fixtures: the Twilio stand-in, services that send through it, contacts and members."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot.broadcasts.config import BroadcastConfig
from bot.models import Contact, Member, utcnow
from bot.orgs import sync_organizations
from bot.services import build_services
from standin.twilio_api import TwilioStandin
from tests.conftest import AUTH_TOKEN

ACCOUNT = "AC" + "1" * 32
FAST = BroadcastConfig(rate=1000.0, rate_unit="messages", drainers=2, threads=4, batch_seconds=0.05,
                       lease_seconds=5.0, max_attempts=6, backoff_base=0.05, backoff_max=0.3, job_seconds=30.0,
                       status_callbacks=False, heartbeat_ttl=2.0)


@pytest.fixture
def standin():
    with TwilioStandin(ACCOUNT, AUTH_TOKEN, callback_delay=0.0) as tw:
        yield tw


@pytest.fixture
def bservices(make_settings, db, redis, standin):
    built = build_services(make_settings(twilio_account_sid=ACCOUNT, twilio_api_base_url=standin.base_url,
                                         twilio_http_timeout=5.0))
    built.broadcast_config = FAST
    sync_organizations(built)
    yield built
    built.close()


_phones = itertools.count(1)


class People:
    def __init__(self, services):
        self.services = services

    def contact(self, org="nairobi-vendors", language=None, whatsapp_hours_ago=None, opted_out=False,
                phone=None) -> int:
        phone = phone or f"+2547220{next(_phones):05d}"
        now = utcnow()
        values = dict(organization=org, phone=phone, language=language, opted_out=opted_out, created_at=now,
                      updated_at=now, last_inbound_sms_at=now - timedelta(days=3))
        if whatsapp_hours_ago is not None:
            values.update(last_inbound_whatsapp_at=now - timedelta(hours=whatsapp_hours_ago),
                          whatsapp_id=phone.lstrip("+"), last_inbound_sms_at=None)
        with self.services.engine.begin() as conn:
            return conn.execute(insert(Contact).values(**values).returning(Contact.id)).scalar()

    def member(self, contact_id, org="nairobi-vendors", trade="vendor", city="Nairobi", place_id="nbo.gikomba",
               language=None) -> int:
        seq = next(_phones)
        with self.services.engine.begin() as conn:
            return conn.execute(insert(Member).values(
                organization=org, contact_id=contact_id, seq=seq, number=f"T-{seq:05d}", name="Test Member",
                trade=trade, city=city, place_id=place_id, language=language, consent_version="v1",
                consented_at=utcnow(), created_at=utcnow(), updated_at=utcnow()).returning(Member.id)).scalar()

    def vendor(self, **kw) -> int:
        member_kw = {k: kw.pop(k) for k in ("trade", "city", "place_id") if k in kw}
        cid = self.contact(**kw)
        self.member(cid, **member_kw)
        return cid


@pytest.fixture
def people(bservices):
    return People(bservices)
