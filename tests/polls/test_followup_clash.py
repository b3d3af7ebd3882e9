"""A member asked a poll question and "Has it been fixed? 1 Yes 2 No" (bot/desk/followups.py): a digit goes
to the question asked last; once the poll's question is answered, the next one goes to the follow-up that
still waits (not to changing the poll answer). Through signed webhooks."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.broadcasts import polls
from bot.desk import escalations, followups
from bot.models import Escalation, PollAnswer, utcnow
from tests.authorities.conftest import ORG, county, latest_report, worker_reports

POLL = {"name": "march", "segment": {},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def test_the_question_asked_last_takes_the_digit(bservices):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    authority = county(bservices)
    workers, refs = [], []
    for number in ("+254711700001", "+254711700002"):
        workers.append(worker_reports(client, number))
        refs.append(latest_report(bservices).reference)
        escalations.raise_report(bservices, ORG, refs[-1], {"authority_id": authority.id, "method": "phone"}, "test")
    assert followups.check(bservices, now=utcnow() + timedelta(days=8))["asked"] == 2
    now = utcnow()
    with bservices.engine.begin() as conn:  # A was asked before the poll comes, B after
        for ref, asked in ((refs[0], now - timedelta(hours=2)), (refs[1], now + timedelta(minutes=1))):
            conn.execute(update(Escalation).where(Escalation.report_id == latest_id(bservices, ref))
                         .values(followup_asked_at=asked))
    pid = polls.create_poll(bservices, ORG, POLL)
    assert polls.send_poll(bservices, pid, inline=True)["recipients"] == 2
    a, b = workers

    a.send("1")  # the poll was asked last: the poll's answer
    assert poll_answers(bservices) == {a.number: "yes"} and followup_answers(bservices) == {}
    a.send("2")  # the poll is answered; the follow-up still waits: it takes this one
    assert poll_answers(bservices) == {a.number: "yes"}
    assert followup_answers(bservices) == {refs[0]: "no"}

    b.send("1")  # the follow-up was asked last
    assert followup_answers(bservices) == {refs[0]: "no", refs[1]: "yes"} and b.number not in poll_answers(bservices)
    assert "Maandamano Ijumaa?" in b.send("2")  # the poll asks again: "1" went to the other question
    b.send("2")
    assert poll_answers(bservices) == {a.number: "yes", b.number: "no"}


def latest_id(services, ref: str) -> int:
    from bot.models import Report

    with services.db() as session:
        return session.scalar(select(Report.id).where(Report.reference == ref))


def poll_answers(services) -> dict:
    from bot.models import Contact

    with services.engine.connect() as conn:
        return dict(conn.execute(select(Contact.phone, PollAnswer.option).join(Contact, Contact.id == PollAnswer.contact_id)).all())


def followup_answers(services) -> dict:
    from bot.models import Report

    with services.engine.connect() as conn:
        return dict(conn.execute(select(Report.reference, Escalation.followup_answer)
                                 .join(Report, Report.id == Escalation.report_id)
                                 .where(Escalation.followup_answer.is_not(None))).all())
