"""Retention with the clock moved forward: each organization's settings (content org.yaml: Nairobi
90/180 days, Pune 30/60) say what is purged and when, exactly; an open conversation, members,
reports and the audit log are kept; the daily job is on RQ's schedule and schedules its successor."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from bot import tasks
from bot.desk import retention
from bot.models import (AuditEvent, Contact, Handover, InboundMessage, OutboundMessage, Poll, PollAnswer, PollVersion,
                        Report, ReportMedia, utcnow)
from tests.conftest import Phone
from tests.privacy.test_forget import register, report
from tests.reports.helpers import PUNE, rows
from tests.reports.test_media import burst


@pytest.fixture
def live(make_live):
    services, app = make_live()
    return services, app.test_client()


def count(services, model, *where) -> int:
    with services.db() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def with_bodies(services, model, org: str) -> int:
    """Rows still holding what was said: every inbound row has its raw form (a photo has no body)."""
    if model is InboundMessage:
        return count(services, model, model.organization == org, model.raw != {})
    return count(services, model, model.organization == org, model.body != "")


def test_retention_purges_exactly_what_each_organization_keeps(live, media_server):
    services, client = live
    assert (services.catalog.org("nairobi-vendors").retention_messages_days,
            services.catalog.org("pune-wastepickers").retention_media_days) == (90, 60)
    # Nairobi: a member who reports with a photo, a worker who only asks, one in an organizer's conversation.
    member = Phone(client, "+254711880001", "whatsapp")
    register(member, "Retention Member")
    report(member, "retentionword", media_server.url + "/ME1")
    burst(services)
    Phone(client, "+254711880002").send("is gikomba open")
    talking = Phone(client, "+254711880003")
    talking.send("hello")
    with services.db.begin() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.phone == "+254711880003"))
        session.add(Handover(organization="nairobi-vendors", contact_id=contact_id,
                             expires_at=utcnow() + timedelta(days=400)))
    # Pune: one worker, who also answered a poll in their own words and another question with an option.
    Phone(client, "+919811880004", to=PUNE).send("namaste")
    with services.db.begin() as session:
        worker = session.scalar(select(Contact.id).where(Contact.phone == "+919811880004"))
        poll = Poll(organization="pune-wastepickers", name="Rates", state="closed")
        session.add(poll)
        session.flush()
        version = PollVersion(poll_id=poll.id, number=1, questions=[])
        session.add(version)
        session.flush()
        for question, option, text in ((0, None, "rates fell at the depot"), (1, "yes", None)):
            session.add(PollAnswer(poll_id=poll.id, version_id=version.id, question=question, contact_id=worker,
                                   option=option, text=text, channel="sms", language="en"))

    audit_before = count(services, AuditEvent)
    nbo_in, nbo_out = with_bodies(services, InboundMessage, "nairobi-vendors"), with_bodies(services, OutboundMessage, "nairobi-vendors")
    talking_in = count(services, InboundMessage, InboundMessage.contact_id == contact_id)
    talking_out = count(services, OutboundMessage, OutboundMessage.contact_id == contact_id)
    pune_in, pune_out = with_bodies(services, InboundMessage, "pune-wastepickers"), with_bodies(services, OutboundMessage, "pune-wastepickers")
    assert min(nbo_in, nbo_out, talking_in, talking_out, pune_in, pune_out) > 0
    [photo] = rows(services, ReportMedia)
    assert Path(photo.path).is_file()

    now = utcnow()
    nothing = {"inbound": 0, "outbound": 0, "poll_answers": 0, "status_events": 0, "media": 0, "files": 0}
    assert retention.purge(services, now + timedelta(days=29))["pune-wastepickers"] == nothing

    day31 = retention.purge(services, now + timedelta(days=31))
    assert day31["pune-wastepickers"] == {**nothing, "inbound": pune_in, "outbound": pune_out, "poll_answers": 1}
    with services.db() as session:  # the words go, the answers still count
        kept_answers = session.execute(select(PollAnswer.question, PollAnswer.option, PollAnswer.text)
                                       .order_by(PollAnswer.question)).all()
    assert [tuple(a) for a in kept_answers] == [(0, None, None), (1, "yes", None)]
    assert day31["nairobi-vendors"] == nothing

    day91 = retention.purge(services, now + timedelta(days=91))
    assert day91["nairobi-vendors"] == {**nothing, "inbound": nbo_in - talking_in, "outbound": nbo_out - talking_out}
    assert with_bodies(services, InboundMessage, "nairobi-vendors") == talking_in  # the open conversation
    assert Path(photo.path).is_file()  # photos are kept 180 days

    day181 = retention.purge(services, now + timedelta(days=181))
    assert day181["nairobi-vendors"] == {**nothing, "media": 1, "files": 1}
    assert not Path(photo.path).exists()
    [expired] = rows(services, ReportMedia)
    assert (expired.status, expired.path, expired.url) == ("expired", None, "")
    assert retention.purge(services, now + timedelta(days=181))["nairobi-vendors"] == nothing  # nothing twice

    # Kept: the report and its words, the member, every earlier audit event (plus one per purge).
    [kept] = rows(services, Report)
    assert "retentionword" in kept.description and count(services, Report) == 1
    purges = rows(services, AuditEvent, AuditEvent.action == retention.ACTION)
    assert count(services, AuditEvent) == audit_before + len(purges) and len(purges) == 3
    with services.db() as session:
        raws = session.scalars(select(InboundMessage.raw).where(
            InboundMessage.organization == "pune-wastepickers")).all()
    assert raws and all(raw == {} for raw in raws)


def test_the_daily_job_is_scheduled_and_schedules_the_next(live):
    services, _ = live
    now = datetime(2026, 12, 3, 8, 30, tzinfo=timezone.utc)
    job = retention.schedule(services.queue, now)
    registry = ScheduledJobRegistry(queue=services.queue)
    assert job.id == "retention-20261204" and job.id in registry.get_job_ids()
    assert registry.get_scheduled_time(job) == datetime(2026, 12, 4, 1, 0, tzinfo=timezone.utc)
    assert retention.schedule(services.queue, now).id == job.id and registry.count == 1  # once per day
    assert job.func_name == "bot.tasks.retention_daily"
    counts = tasks.retention_daily()  # what the scheduler runs (tasks bound to these services)
    assert set(counts) == set(services.catalog.organizations)
    assert len(registry.get_job_ids()) >= 1


def test_the_data_page_says_what_is_kept_and_for_how_long(services, app):
    from bot.desk.accounts import create_user
    from tests.dashboard.conftest import PASSWORD, signed_in_as

    for org, days in (("nairobi-vendors", ("90", "180")), ("pune-wastepickers", ("30", "60"))):
        account = create_user(services, org, f"organizer@{org}.example.org", "Organizer", PASSWORD, "organizer")
        page = signed_in_as(app, account).get("/data").get_data(as_text=True)
        assert f'data-messages-days="{days[0]}" data-media-days="{days[1]}"' in page
        section = page[page.index('<section id="retention"'):]
        section = section[:section.index("</section>")]
        assert f" {days[0]} " in section and f" {days[1]} " in section  # in the page's language
