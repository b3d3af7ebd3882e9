"""Authorities tests: the real app on the test PostgreSQL and Redis, its sender twilio-python's Client
pointed at the local Twilio stand-in (so every message to a reporter or an organizer is a real API call
that the stand-in records), signed webhooks for the workers, signed-in browsers for the organizers."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.desk import authorities
from bot.desk.tokens import create_token
from bot.line.reports import create_report
from bot.models import Report
from tests.conftest import Phone
from tests.dashboard.conftest import PASSWORD, Browser  # noqa: F401  (re-exported for the tests)

ORG = "nairobi-vendors"


@pytest.fixture
def live(sending):
    return sending


@pytest.fixture
def services(live):
    return live[0]


@pytest.fixture
def client(live):
    return live[1].test_client()


@pytest.fixture
def token(services):
    return create_token(services, ORG, "authorities-test")


@pytest.fixture
def api(client, token):
    headers = {"Authorization": f"Bearer {token}"}

    class Api:
        def get(self, path, **kw):
            return client.get(path, headers=headers, **kw)

        def post(self, path, json=None):
            return client.post(path, json=json, headers=headers)

        def patch(self, path, json=None):
            return client.patch(path, json=json, headers=headers)

    return Api()


@pytest.fixture
def organizer_browser(live, services):
    from bot.desk.accounts import create_user

    account = create_user(services, ORG, "organizer@nairobi.example.org", "Organizer", PASSWORD, "organizer")
    browser = Browser(live[1].test_client())
    assert browser.login(account.email).status_code == 302
    return browser


def worker_reports(client, number: str, body: str = "askari wamechukua mali yangu gikomba leo",
                   anonymous: str = "hapana", channel: str = "sms", quote: str = "hapana") -> Phone:
    """A worker reports through signed webhooks (Kiswahili, so the line answers in Kiswahili)."""
    worker = Phone(client, number, channel)
    worker.send(body)
    worker.send(anonymous)
    worker.send(quote)
    return worker


def reports_of(services, number_of_reports: int, category: str = "confiscation", place: str = "nbo.gikomba") -> list:
    """Reports without a reporter's number (made as the demo makes them), clustered with the others."""
    return [create_report(services, ORG, contact_id=None, channel="sms", language="en", category=category,
                          description=f"goods taken {i}", place={"place_id": place}, occurred_on=date.today(),
                          occurred_text=None, anonymous=False) for i in range(number_of_reports)]


def latest_report(services, org: str = ORG) -> Report:
    with services.db() as session:
        return session.scalars(select(Report).where(Report.organization == org).order_by(Report.id.desc())).first()


def county(services, **extra):
    data = {"name": "Nairobi County Trade Licensing", "kind": "city_department", "email": "trade@nairobi.example.org",
            "categories": ["confiscation", "eviction"], "places": ["nbo.gikomba"], "deadlines": {"confiscation": 7},
            "default_days": 14}
    data.update(extra)
    return authorities.create(services, ORG, data)


@pytest.fixture
def outsider_authority(services) -> int:
    """Another organization's authority: invisible to nairobi-vendors."""
    return authorities.create(services, "pune-wastepickers", {"name": "Pune ward office"}).id
