"""FORGET erases a worker's poll answers (with what they typed) and where they stood in the poll."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.broadcasts import polls
from bot.models import PollAnswer
from tests.conftest import NAIROBI, Phone

POLL = {"name": "march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?"}, "yes_no": True}, {"texts": {"en": "Why?"}}]}


def test_forget_erases_answers(bservices, people):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    people.vendor(phone="+254788000001", language="en")
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL)
    polls.send_poll(bservices, pid, inline=True)
    worker = Phone(client, "+254788000001", "sms", NAIROBI)
    assert "Why?" in worker.send("yes")
    worker.send("the county owes us")  # a free answer, kept as typed
    with bservices.engine.connect() as conn:
        assert conn.scalar(select(PollAnswer.text).where(PollAnswer.question == 1)) == "the county owes us"
    assert bservices.redis.exists("poll:nairobi-vendors:+254788000001")
    assert "Erase" in worker.send("FORGET")
    assert "erased" in worker.send("1")
    with bservices.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PollAnswer)) == 0
    assert not bservices.redis.exists("poll:nairobi-vendors:+254788000001")
